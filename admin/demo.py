"""A demo sub-district with two communities, people, teams, shops and some history.

Seeding is idempotent: a database that already holds the demo sub-district is left as is.
Every demo login uses DEMO_PASSWORD.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from admin.demo_history import WEEKS_OF_HISTORY, DemoWorld, seed_history
from ledger.keys import KeyStore
from organisation import service as org
from organisation.models import Community, Member, Shop, SubDistrict, Team
from organisation.passwords import hash_password

DEMO_DISTRICT = "锦江街道"
DEMO_PASSWORD = "jifen-demo"  # noqa: S105 (printed to the person running the demo)
PUBLIC_LEDGER = "qingyun"
PRIVATE_LEDGER = "cuizhu"
RESIDENT_COUNT = 30
# The organisation exists a little before the history that happens in it.
HISTORY_LEAD = timedelta(weeks=WEEKS_OF_HISTORY, days=3)
TEAMS = (
    ("patrol", "退役军人巡逻队", "Veterans' patrol"),
    ("arts", "文艺宣传队", "Arts and publicity"),
    ("ribbon", "红丝带服务队", "Red ribbon"),
    ("fitness", "科普健身队", "Science and fitness"),
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
GIVEN = "秀英桂兰建华志强丽娟国庆玉梅德明海燕春花永红文静晓东红梅立新雪梅卫东"


@dataclass
class DemoPeople:
    """Who the demo made, by login."""

    password_hash: str
    logins: dict[str, str] = field(default_factory=dict)  # user name -> what they are
    members: dict[str, Member] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)
    team_members: dict[str, list[Member]] = field(default_factory=dict)
    shops: dict[str, Shop] = field(default_factory=dict)
    community: Community | None = None


async def demo_exists(session: AsyncSession) -> bool:
    statement = select(col(SubDistrict.id)).where(col(SubDistrict.name) == DEMO_DISTRICT)
    return (await session.execute(statement)).first() is not None


def _chinese_name(index: int) -> str:
    given = GIVEN[(index * 2) % len(GIVEN) : (index * 2) % len(GIVEN) + 2]
    return SURNAMES[index % len(SURNAMES)] + given


async def _person(
    session: AsyncSession,
    people: DemoPeople,
    community: Community,
    *,
    username: str,
    name: str,
    what: str,
    building_id: int | None,
    now: datetime,
) -> Member:
    member, _ = await org.create_member(
        session,
        community=community,
        display_name=name,
        phone=None,
        username=username,
        building_id=building_id,
        date_of_birth=None,
        now=now,
        with_setup_code=False,
    )
    member.password_hash = people.password_hash
    people.logins[username] = what
    people.members[username] = member
    return member


async def _places(session: AsyncSession, community: Community, buildings: int) -> list[int]:
    assert community.id is not None
    building_ids: list[int] = []
    for grid_number in (1, 2):
        grid = await org.create_grid(
            session, community_id=community.id, name=f"第{'一二'[grid_number - 1]}网格"
        )
        assert grid.id is not None
        for number in range(grid_number, buildings + 1, 2):
            building = await org.create_building(
                session, community_id=community.id, grid_id=grid.id, name=f"{number}栋"
            )
            assert building.id is not None
            building_ids.append(building.id)
    return building_ids


async def _grant(
    session: AsyncSession, member: Member, role: str, scope_id: int | None, now: datetime
) -> None:
    assert scope_id is not None
    await org.grant_role(
        session, member=member, role=role, scope_id=scope_id, granted_by=None, now=now
    )


async def seed_organisation(
    session: AsyncSession, *, keystore: KeyStore, now: datetime
) -> DemoPeople:
    """The sub-district, its two communities, their places, teams, shops and people."""
    people = DemoPeople(password_hash=hash_password(DEMO_PASSWORD))
    district = await org.create_sub_district(session, name=DEMO_DISTRICT)
    assert district.id is not None
    qingyun = await org.create_community(
        session,
        keystore=keystore,
        sub_district_id=district.id,
        name="青云社区",
        ledger_id=PUBLIC_LEDGER,
        ledger_public=True,
        now=now,
    )
    cuizhu = await org.create_community(
        session,
        keystore=keystore,
        sub_district_id=district.id,
        name="翠竹社区",
        ledger_id=PRIVATE_LEDGER,
        ledger_public=False,
        now=now,
    )
    people.community = qingyun
    assert qingyun.id is not None
    buildings = await _places(session, qingyun, 6)
    await _places(session, cuizhu, 4)
    for key, name, name_en in TEAMS:
        people.teams[key] = await org.create_team(
            session, community_id=qingyun.id, name=name, name_en=name_en
        )
    market = await org.create_shop(
        session,
        community=qingyun,
        name="青云积分超市",
        address="青云路 8 号社区服务中心",
        opening_hours="09:00-17:00",
        contact="社区服务中心",
    )
    people.shops["market"] = market
    barber = await org.create_shop(
        session,
        community=qingyun,
        name="老王理发店",
        address="青云路 21 号",
        opening_hours="08:30-20:00",
        contact="王师傅",
    )

    people.shops["barber"] = barber

    async def person(username: str, name: str, what: str, building: int | None) -> Member:
        return await _person(
            session,
            people,
            qingyun,
            username=username,
            name=name,
            what=what,
            building_id=building,
            now=now,
        )

    await _grant(
        session,
        await person("admin", "社区管理员", "community admin (青云社区)", None),
        "admin",
        qingyun.id,
        now,
    )
    await _grant(
        session,
        await person("auditor", "审计员", "auditor (青云社区)", None),
        "auditor",
        qingyun.id,
        now,
    )
    district_admin = await person("district", "街道管理员", "district admin (锦江街道)", None)
    await _grant(session, district_admin, "district_admin", district.id, now)
    await _grant(
        session,
        await person("clerk-market", "超市店员", "clerk (青云积分超市)", None),
        "clerk",
        market.id,
        now,
    )
    await _grant(
        session,
        await person("clerk-barber", "王师傅", "clerk (老王理发店)", None),
        "clerk",
        barber.id,
        now,
    )
    for index in range(1, RESIDENT_COUNT + 1):
        building = buildings[index % len(buildings)]
        await person(f"resident{index:02d}", _chinese_name(index), "resident", building)
    for number, (key, _, name_en) in enumerate(TEAMS):
        captain = people.members[f"resident{number + 1:02d}"]
        people.logins[captain.username or ""] = f"resident, captain of {name_en}"
        await _grant(session, captain, "captain", people.teams[key].id, now)
        await org.add_to_team(session, team=people.teams[key], member=captain, now=now)
        people.team_members.setdefault(key, []).append(captain)
    for index in range(1, RESIDENT_COUNT + 1):
        member = people.members[f"resident{index:02d}"]
        keys = [TEAMS[index % len(TEAMS)][0]]
        if index % 3 == 0:  # some serve in a second team
            keys.append(TEAMS[(index + 1) % len(TEAMS)][0])
        for team_key in keys:
            await org.add_to_team(session, team=people.teams[team_key], member=member, now=now)
            if member not in people.team_members.setdefault(team_key, []):
                people.team_members[team_key].append(member)
    return people


async def seed_demo(session: AsyncSession, *, keystore: KeyStore, now: datetime) -> DemoPeople:
    """Everything the demo shows: the organisation, then weeks of history through the flows."""
    people = await seed_organisation(session, keystore=keystore, now=now - HISTORY_LEAD)
    assert people.community is not None
    world = DemoWorld(
        community=people.community,
        teams=people.teams,
        captains={
            key: people.members[f"resident{number + 1:02d}"]
            for number, (key, _, _) in enumerate(TEAMS)
        },
        members_of=people.team_members,
        admin=people.members["admin"],
        shops=people.shops,
        clerks={"market": people.members["clerk-market"], "barber": people.members["clerk-barber"]},
        residents=[people.members[f"resident{i:02d}"] for i in range(1, RESIDENT_COUNT + 1)],
    )
    await seed_history(session, world=world, keystore=keystore, now=now)
    return people
