"""Per-member limits of a reward: per local day, per local month, ever.

Race-free by a lock, not by luck: a scan first locks the (member, reward) row of
`redemption_limit_locks` (created on first use), then counts. A concurrent scan of the same
member and reward waits for the lock, and counts again once the first has committed or
rolled back, so it sees the first's redemption. On SQLite every writing transaction already
holds the database lock.

A redemption counts while its hold is live or once committed; voided and expired ones do not.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from redemption import errors
from redemption.models import COMMITTED, HELD, Reward
from redemption.periods import day_start, month_start, zone
from redemption.tables import dialect_insert, limit_locks, redemptions

_LIMITS = ("limit_per_day", "limit_per_month", "limit_ever")
_PERIOD_NAMES = {"limit_per_day": "day", "limit_per_month": "month", "limit_ever": "ever"}


def has_limits(reward: Reward) -> bool:
    return any(getattr(reward, name) is not None for name in _LIMITS)


async def lock_member_reward(session: AsyncSession, *, member_id: int, reward_id: int) -> None:
    """Hold the (member, reward) lock until the transaction ends."""
    row = {"member_id": member_id, "reward_id": reward_id}
    insert = dialect_insert(session, limit_locks).values(row).on_conflict_do_nothing()
    await session.execute(insert)
    await session.execute(
        select(limit_locks.c.member_id)
        .where(limit_locks.c.member_id == member_id, limit_locks.c.reward_id == reward_id)
        .with_for_update()
    )


async def counts(
    session: AsyncSession, *, member_id: int, reward_id: int, timezone: str, now: datetime
) -> dict[str, int]:
    """How many of the reward the member redeemed today, this month and ever."""
    tz = zone(timezone)
    r = redemptions.c
    counting = or_(r.state == COMMITTED, and_(r.state == HELD, r.hold_expires_at > now))

    def since(start: datetime) -> ColumnElement[Any]:
        return func.coalesce(func.sum(case((r.scanned_at >= start, 1), else_=0)), 0)

    statement = select(since(day_start(now, tz)), since(month_start(now, tz)), func.count()).where(
        r.member_id == member_id, r.reward_id == reward_id, counting
    )
    day, month, ever = (await session.execute(statement)).one()
    return {"limit_per_day": int(day), "limit_per_month": int(month), "limit_ever": int(ever)}


async def check(
    session: AsyncSession,
    *,
    reward: Reward,
    member_id: int,
    timezone: str,
    now: datetime,
    lock: bool = True,
) -> None:
    """Refuse with limit_reached if one more would pass a limit; `lock` makes it race-free
    (a read-only preview passes False)."""
    if not has_limits(reward):
        return
    assert reward.id is not None
    if lock:
        await lock_member_reward(session, member_id=member_id, reward_id=reward.id)
    found = await counts(
        session, member_id=member_id, reward_id=reward.id, timezone=timezone, now=now
    )
    for name in _LIMITS:
        limit = getattr(reward, name)
        if limit is not None and found[name] >= limit:
            raise errors.LimitReached(period=_PERIOD_NAMES[name], limit=limit, reward=reward.id)
