"""A few weeks of demo history, made through the real flows with the clock set back.

Captains create and open events, members scan the venue code (and check out of patrols),
captains approve, residents redeem rewards at the shops. Every credit and redemption is
therefore a genuine signed ledger entry with its rule-set hash and explanation.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from checkin import approval, codes, events, scans
from checkin.events import EventSpec
from checkin.models import Checkin, Event
from ledger import proofs
from ledger.errors import Refusal
from ledger.keys import KeyStore
from organisation.auth import Principal
from organisation.models import Community, Member, Shop, Team
from redemption import catalogue, holds, issuing

WEEKS_OF_HISTORY = 4
CODE_TTL_SECONDS = 30
HOLD_TTL_SECONDS = 600
SEED = 2026
ACTIVITY_OF_TEAM = {
    "patrol": ("safety_patrol", "夜间安全巡逻", "青云路—翠竹巷", 19, 2),
    "arts": ("arts_performance", "广场文艺宣传演出", "社区文化广场", 15, 2),
    "ribbon": ("red_ribbon_outreach", "红丝带健康宣传", "社区卫生服务站", 9, 3),
    "fitness": ("science_fitness", "科普健身课堂", "社区活动中心", 8, 1),
}
REWARDS = (
    ("market", "食用油 5L", "Cooking oil 5 L", 120, 20, None),
    ("market", "大米 5kg", "Rice 5 kg", 100, 15, None),
    ("market", "洗衣液", "Laundry detergent", 60, 30, None),
    ("market", "毛巾", "Towel", 30, None, 2),
    ("barber", "免费理发", "Free haircut", 80, None, 1),
)


@dataclass(frozen=True)
class DemoWorld:
    """What the history is made of."""

    community: Community
    teams: dict[str, Team]
    captains: dict[str, Member]
    members_of: dict[str, list[Member]]
    admin: Member
    shops: dict[str, Shop]
    clerks: dict[str, Member]
    residents: list[Member]


def _principal(member: Member, **scopes: frozenset[int]) -> Principal:
    assert member.id is not None
    return Principal(
        member_id=member.id,
        community_id=member.community_id,
        account=member.account,
        session_id="demo-seed",
        **scopes,
    )


async def _event(
    session: AsyncSession, world: DemoWorld, keystore: KeyStore, team_key: str, starts: datetime
) -> None:
    activity, title, place, _, hours = ACTIVITY_OF_TEAM[team_key]
    team, captain = world.teams[team_key], world.captains[team_key]
    assert team.id is not None
    assert world.community.id is not None
    assert captain.id is not None
    ends = starts + timedelta(hours=hours)
    spec = EventSpec(activity, title, place, starts, ends, capacity=30, open_to="team")
    event = await events.create(
        session,
        community_id=world.community.id,
        team_id=team.id,
        created_by=captain.id,
        spec=spec,
        now=starts - timedelta(days=2),
    )
    await events.open_event(session, event=event, now=starts - timedelta(minutes=10))
    rng = random.Random(f"{SEED}-{team_key}-{starts:%Y%m%d}")  # noqa: S311 (demo data)
    checkins: list[Checkin] = []
    for minute, member in enumerate(m for m in world.members_of[team_key] if rng.random() < 0.75):
        at = starts + timedelta(minutes=2 + minute)
        shown = await codes.current(
            session,
            keystore=keystore,
            event=event,
            base_url="http://demo",
            ttl_seconds=CODE_TTL_SECONDS,
            now=at,
        )
        assert member.id is not None
        result = await scans.check_in(
            session,
            keystore=keystore,
            token=shown.token,
            member_id=member.id,
            community_id=world.community.id,
            ttl_seconds=CODE_TTL_SECONDS,
            now=at,
        )
        if event.checkout_required:
            await scans.record_checkout(
                session,
                keystore=keystore,
                event=event,
                member_id=member.id,
                at=ends - timedelta(minutes=rng.randrange(0, 40)),
                now=ends,
            )
        checkins.append(result.checkin)
    await _approve_all(
        session, world, keystore, team_key=team_key, event=event, checkins=checkins, ends=ends
    )


async def _approve_all(
    session: AsyncSession,
    world: DemoWorld,
    keystore: KeyStore,
    *,
    team_key: str,
    event: Event,
    checkins: list[Checkin],
    ends: datetime,
) -> None:
    team_id, community_id = world.teams[team_key].id, world.community.id
    assert team_id is not None
    assert community_id is not None
    captain = _principal(world.captains[team_key], captain_of=frozenset({team_id}))
    admin = _principal(world.admin, admin_of=frozenset({community_id}))
    for index, checkin in enumerate(checkins):
        assert checkin.id is not None
        approver = admin if checkin.member_id == captain.member_id else captain
        await approval.approve(
            session,
            keystore=keystore,
            principal=approver,
            checkin_id=checkin.id,
            now=ends + timedelta(hours=1, minutes=index),
        )
    await events.close_event(session, event=event, now=ends + timedelta(hours=2))


async def _rewards(session: AsyncSession, world: DemoWorld, now: datetime) -> list[int]:
    assert world.community.id is not None
    made = []
    for shop_key, name_zh, name_en, price, stock, per_month in REWARDS:
        shop = world.shops[shop_key]
        assert shop.id is not None
        fields: dict[str, object] = {
            "name_zh": name_zh,
            "name_en": name_en,
            "price_points": price,
            "stock": stock,
            "limit_per_month": per_month,
        }
        reward = await catalogue.create_reward(
            session, community_id=world.community.id, shop_id=shop.id, fields=fields, now=now
        )
        assert reward.id is not None
        made.append(reward.id)
    return made


async def _redeem(
    session: AsyncSession,
    world: DemoWorld,
    keystore: KeyStore,
    reward_ids: list[int],
    start: datetime,
) -> None:
    rng = random.Random(SEED)  # noqa: S311 (demo data)
    for index, member in enumerate(rng.sample(world.residents, 8)):
        at = start + timedelta(hours=index * 3)
        reward_id = reward_ids[index % len(reward_ids)]
        try:
            issued = await issuing.issue_code(
                session,
                keystore=keystore,
                community=world.community,
                member=member,
                reward_id=reward_id,
                shop_id=None,
                amount_points=None,
                ttl_seconds=120,
                public_base_url="http://demo",
                now=at,
            )
        except Refusal:  # a resident who cannot afford it simply does not redeem
            continue
        shop_key = "barber" if issued.shop.name.endswith("理发店") else "market"
        clerk = world.clerks[shop_key]
        assert clerk.id is not None
        held = await holds.scan(
            session,
            keystore=keystore,
            community=world.community,
            shop=issued.shop,
            clerk_id=clerk.id,
            token=issued.token,
            hold_ttl_seconds=HOLD_TTL_SECONDS,
            now=at + timedelta(minutes=1),
        )
        await holds.resolve(
            session,
            keystore=keystore,
            community=world.community,
            redemption=held,
            action="void" if index == 5 else "commit",
            clerk_id=clerk.id,
            now=at + timedelta(minutes=2),
        )


async def _open_event_now(session: AsyncSession, world: DemoWorld, now: datetime) -> None:
    """A patrol under way, so the captain's kiosk has a code to show."""
    team, captain = world.teams["patrol"], world.captains["patrol"]
    assert team.id is not None
    assert captain.id is not None
    assert world.community.id is not None
    starts = now - timedelta(minutes=30)
    spec = EventSpec(
        "safety_patrol",
        "今晚安全巡逻",
        "青云路—翠竹巷",
        starts,
        starts + timedelta(hours=3),
        capacity=20,
        open_to="team",
    )
    event = await events.create(
        session,
        community_id=world.community.id,
        team_id=team.id,
        created_by=captain.id,
        spec=spec,
        now=starts - timedelta(hours=1),
    )
    await events.open_event(session, event=event, now=starts)


async def seed_history(
    session: AsyncSession, *, world: DemoWorld, keystore: KeyStore, now: datetime
) -> None:
    """Weekly events of every team over the past weeks, approvals and some redemptions."""
    first_week = (now - timedelta(weeks=WEEKS_OF_HISTORY)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    reward_ids = await _rewards(session, world, first_week)
    for week in range(WEEKS_OF_HISTORY):
        for day, team_key in enumerate(ACTIVITY_OF_TEAM):
            start_hour = ACTIVITY_OF_TEAM[team_key][3]
            starts = first_week + timedelta(weeks=week, days=day, hours=start_hour - 8)
            await _event(session, world, keystore, team_key, starts)
    await _redeem(session, world, keystore, reward_ids, now - timedelta(days=3))
    await _open_event_now(session, world, now)
    await proofs.issue_checkpoint(
        session, keystore=keystore, ledger=world.community.ledger_id, now=now
    )
