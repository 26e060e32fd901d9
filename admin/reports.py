"""Reports read from the ledger: points issued and redeemed per week, active volunteers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ledger.canonical import format_ts, parse_ts
from ledger.tables import entries

COMMUNITY_ZONE = ZoneInfo("Asia/Shanghai")
ISSUED_KINDS = ("checkin.credit",)
REDEEMED_KINDS = ("hold.commit",)
RETURNED_KINDS = ("reversal",)


@dataclass(frozen=True)
class WeeklyPoints:
    """Per ISO week (Monday first, community time): points issued, redeemed, volunteers."""

    week_starts: list[date]
    issued_points: list[int]
    redeemed_points: list[int]
    active_volunteers: list[int]

    @property
    def labels(self) -> list[str]:
        return [f"{d:%m-%d}" for d in self.week_starts]


def monday_of(day: date) -> date:
    """The Monday that starts `day`'s ISO week."""
    return day - timedelta(days=day.weekday())


async def weekly_points(
    session: AsyncSession,
    *,
    ledger: str,
    weeks: int,
    now: datetime,
    zone: ZoneInfo = COMMUNITY_ZONE,
) -> WeeklyPoints:
    """The last `weeks` weeks up to and including the current one, on `zone`'s calendar."""
    this_monday = monday_of(now.astimezone(zone).date())
    starts = [this_monday - timedelta(weeks=weeks - 1 - i) for i in range(weeks)]
    since = datetime.combine(starts[0], datetime.min.time(), zone)
    statement = select(entries.c.kind, entries.c.amount, entries.c.ts, entries.c.credit).where(
        entries.c.ledger == ledger,
        entries.c.ts >= format_ts(since),
        entries.c.kind.in_((*ISSUED_KINDS, *REDEEMED_KINDS, *RETURNED_KINDS)),
    )
    index = {start: i for i, start in enumerate(starts)}
    issued, redeemed = [0] * weeks, [0] * weeks
    volunteers: list[set[str]] = [set() for _ in starts]
    for kind, amount, ts, credit in await session.execute(statement):
        week = index.get(monday_of(parse_ts(ts).astimezone(zone).date()))
        if week is None:
            continue
        if kind in ISSUED_KINDS:
            issued[week] += amount
            volunteers[week].add(credit)
        elif kind in RETURNED_KINDS:
            issued[week] -= amount
        else:
            redeemed[week] += amount
    return WeeklyPoints(starts, issued, redeemed, [len(v) for v in volunteers])
