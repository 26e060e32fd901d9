"""A few weeks of real volunteering history for the admin tests, made through the use cases.

`History.visit(at, activity, team, who)` creates and opens an event of the team at `at`, has
each volunteer scan its venue code, and has the community's admin approve them (activities
that are auto-approved credit at once), so check-ins, their credits in the ledger and the
rule-set explanations are all as the service makes them. Calls must go forward in time: the
ledger's timestamps never go back.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from checkin import approval, codes, events, reversal, scans
from checkin.models import APPROVED, Checkin
from organisation import auth
from organisation import service as org
from organisation.auth import Principal
from organisation.models import Building, Community, Member, Shop, Team
from redemption import codes as redemption_codes
from redemption import holds
from redemption.models import Redemption, Reward
from tests.api.world import PASSWORD_HASH, World

TTL_SECONDS = 30
BASE_URL = "http://127.0.0.1:8000"
# Volunteers of the history: their building (None: none on record) and their teams.
VOLUNTEERS: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "wang": ("1 栋", ("patrol",)),
    "li": ("1 栋", ("patrol", "arts")),
    "zhao": ("2 栋", ("arts",)),
    "sun": (None, ("arts",)),
}


@dataclass
class History:
    """The world's community A with two teams, two buildings and four volunteers."""

    world: World
    admin: Principal
    teams: dict[str, Team]
    buildings: dict[str, Building]
    people: dict[str, Member] = field(default_factory=dict)

    @property
    def community(self) -> Community:
        return self.world.community

    async def visit(
        self, at: datetime, activity_id: str, team: str, who: list[str], *, decide: str = "approve"
    ) -> list[Checkin]:
        """An event at `at` where `who` check in and are approved (or, with `decide`,
        rejected or left pending); their check-ins."""
        sessions = self.world.db.sessions
        keystore = self.world.keystore
        community_id = self.community.id or 0
        async with sessions.begin() as session:
            spec = events.EventSpec(
                activity_id=activity_id,
                title=f"{activity_id} {at:%m-%d}",
                place="社区广场",
                starts_at=at,
                ends_at=at + timedelta(hours=2),
                capacity=50,
                open_to="community",
            )
            event = await events.create(
                session,
                community_id=community_id,
                team_id=self.teams[team].id or 0,
                created_by=self.admin.member_id,
                spec=spec,
                now=at,
            )
            await events.open_event(session, event=event, now=at)
        checkins = []
        for index, name in enumerate(who):
            scanned_at = at + timedelta(minutes=1, seconds=index)
            async with sessions.begin() as session:
                shown = await codes.current(
                    session,
                    keystore=keystore,
                    event=event,
                    base_url=BASE_URL,
                    ttl_seconds=TTL_SECONDS,
                    now=scanned_at,
                )
                result = await scans.check_in(
                    session,
                    keystore=keystore,
                    token=shown.token,
                    member_id=self.people[name].id or 0,
                    community_id=community_id,
                    ttl_seconds=TTL_SECONDS,
                    now=scanned_at,
                )
            checkins.append(result.checkin)
        decided = []
        for index, checkin in enumerate(checkins):
            decided_at = at + timedelta(minutes=10, seconds=index)
            if checkin.state == APPROVED or decide == "leave":
                decided.append(checkin)
                continue
            async with sessions.begin() as session:
                if decide == "reject":
                    decided.append(
                        await approval.reject(
                            session,
                            principal=self.admin,
                            checkin_id=checkin.id or 0,
                            reason="没有到场",
                            now=decided_at,
                        )
                    )
                    continue
                decided.append(
                    await approval.approve(
                        session,
                        keystore=keystore,
                        principal=self.admin,
                        checkin_id=checkin.id or 0,
                        now=decided_at,
                    )
                )
        return decided

    async def redeem(
        self, at: datetime, name: str, reward: Reward, *, confirm: bool = True
    ) -> Redemption:
        """`name` redeems `reward` at the world's shop and its clerk confirms at `at` (or,
        without `confirm`, leaves the points held)."""
        sessions = self.world.db.sessions
        keystore = self.world.keystore
        member = self.people[name]
        async with sessions.begin() as session:
            signer = await redemption_codes.signer_for(
                session, keystore=keystore, ledger=self.community.ledger_id, now=at
            )
        claims = redemption_codes.new_claims(
            signer,
            member_id=member.id or 0,
            shop_id=reward.shop_id,
            reward_id=reward.id,
            amount_points=reward.price_points,
            ttl_seconds=120,
            now=at,
        )
        token = redemption_codes.encode(claims, signer)
        clerk_id = self.world.id_of("clerk")
        async with sessions.begin() as session:
            shop = await session.get(Shop, reward.shop_id)
            community = await session.get(Community, self.community.id)
            assert shop is not None
            assert community is not None
            held = await holds.scan(
                session,
                keystore=keystore,
                community=community,
                shop=shop,
                clerk_id=clerk_id,
                token=token,
                hold_ttl_seconds=600,
                now=at,
            )
            if not confirm:
                return held
            return await holds.resolve(
                session,
                keystore=keystore,
                community=community,
                redemption=held,
                action="commit",
                clerk_id=clerk_id,
                now=at + timedelta(seconds=30),
            )

    async def reverse(self, checkin: Checkin, at: datetime) -> Checkin:
        """The admin reverses a check-in's credit."""
        async with self.world.db.sessions.begin() as session:
            return await reversal.reverse(
                session,
                keystore=self.world.keystore,
                principal=self.admin,
                checkin_id=checkin.id or 0,
                reason="记错了人",
                now=at,
            )


async def new_history(world: World, start: datetime) -> History:
    """Buildings, a second team and four volunteers in community A (made at `start`)."""
    community = world.community
    assert community.id is not None
    tag = secrets.token_hex(3)
    async with world.db.sessions.begin() as session:
        grid = await org.create_grid(session, community_id=community.id, name="二网格")
        buildings = {
            name: await org.create_building(
                session, community_id=community.id, grid_id=grid.id or 0, name=name
            )
            for name in ("1 栋", "2 栋")
        }
        teams = {
            "patrol": await session.get(Team, world.team.id),
            "arts": await org.create_team(
                session, community_id=community.id, name="文艺宣传队", name_en="Arts"
            ),
        }
        assert teams["patrol"] is not None
        fresh = await session.get(Community, community.id)
        assert fresh is not None
        people = {}
        for name, (building, team_names) in VOLUNTEERS.items():
            member, _ = await org.create_member(
                session,
                community=fresh,
                display_name=f"志愿者{name}",
                phone=None,
                username=f"{name}-{tag}",
                building_id=buildings[building].id if building else None,
                date_of_birth=None,
                now=start,
                with_setup_code=False,
            )
            member.password_hash = PASSWORD_HASH
            for team_name in team_names:
                team = teams[team_name]
                assert team is not None
                await org.add_to_team(session, team=team, member=member, now=start)
            people[name] = member
        admin = await session.get(Member, world.id_of("admin"))
        assert admin is not None
        opened = await auth.open_session(session, member=admin, now=start)
        principal = await auth.load_principal(session, session_id=opened.id, now=start)
    assert principal is not None
    checked = {k: v for k, v in teams.items() if v is not None}
    history = History(world, principal, checked, buildings)
    history.people = people
    return history
