"""Points expiry, for communities that switch it on: oldest points first.

Points a member received in local period P (a year or a month) expire at the end of period
P + N (N = `expiry_after_periods`; a year and N = 1 is "the end of the next calendar year").
A scheduled job walks the ledger in seq order and keeps, per member, lots of received points
by period; every debit (a confirmed redemption, a transfer out, an earlier expiry) uses the
oldest lots first (FIFO). Whatever is left of lots whose period has expired is posted as an
`expiry` entry from the member to the community's expiry account, under the reference
`expiry/{account}/{period}`: once per member and period, whoever runs the job and however
often. The entry is appended (never an edit), shows in the member's history, and is not
earning, so leaderboards of points earned do not change.

Points spent before the job posts an expiry are not taken twice: the posting is what is left.
A member whose points are held by a pending redemption may not have enough available for the
expiry; they are skipped and taken at the next run, once the hold is resolved.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ledger import errors as ledger_errors
from ledger import service as ledger_service
from ledger.canonical import parse_ts
from ledger.keys import KeyStore
from ledger.tables import entries
from ledger.types import HOLD, HOLD_EXPIRE, HOLD_VOID, Posting
from organisation.models import Community, Member
from organisation.pseudonyms import EXPIRY_ACCOUNT
from redemption.holds import release_expired
from redemption.models import CommunityRedemptionSettings
from redemption.periods import latest_expired_period, period_key, zone

EXPIRY_KIND = "expiry"
SCAN_CHUNK = 5000
NO_BALANCE_EFFECT = (HOLD, HOLD_VOID, HOLD_EXPIRE)


def expiry_ref(account: str, period: str) -> str:
    return f"expiry/{account}/{period}"


@dataclass(frozen=True)
class ExpiryRun:
    """What one run did: entries posted, members skipped (held points), and the newest
    expired period, or None when nothing was due."""

    posted: int
    skipped: int
    through: str | None


class Lots:
    """A member's received points by period, oldest first, as debits leave them."""

    def __init__(self) -> None:
        self.queue: deque[list[str | int]] = deque()  # [period, points left]
        self.expired_periods: set[str] = set()

    def receive(self, period: str, amount: int) -> None:
        if self.queue and self.queue[-1][0] == period:
            self.queue[-1][1] = int(self.queue[-1][1]) + amount
        else:
            self.queue.append([period, amount])

    def spend(self, amount: int) -> None:
        while amount > 0 and self.queue:
            left = int(self.queue[0][1])
            used = min(left, amount)
            amount -= used
            if used == left:
                self.queue.popleft()
            else:
                self.queue[0][1] = left - used

    def due(self, through: str) -> list[tuple[str, int]]:
        """(period, points) left in periods up to `through` with no expiry posted yet."""
        return [
            (str(period), int(left))
            for period, left in self.queue
            if str(period) <= through and int(left) > 0 and period not in self.expired_periods
        ]


async def member_lots(
    session: AsyncSession, *, ledger: str, accounts: set[str], tz: ZoneInfo, unit: str
) -> dict[str, Lots]:
    """Replay the ledger's balance-moving entries into lots per member account."""
    lots: dict[str, Lots] = {}
    after = 0
    columns = (entries.c.seq, entries.c.ts, entries.c.kind, entries.c.debit, entries.c.credit)
    statement = select(*columns, entries.c.amount, entries.c.ref).where(
        entries.c.ledger == ledger, entries.c.kind.not_in(NO_BALANCE_EFFECT)
    )
    while True:
        chunk = statement.where(entries.c.seq > after).order_by(entries.c.seq).limit(SCAN_CHUNK)
        rows = list(await session.execute(chunk))
        for seq, ts, kind, debit, credit, amount, ref in rows:
            after = seq
            if credit in accounts:
                lots.setdefault(credit, Lots()).receive(period_key(parse_ts(ts), tz, unit), amount)
            if debit in accounts:
                owner = lots.setdefault(debit, Lots())
                owner.spend(amount)
                if kind == EXPIRY_KIND:
                    owner.expired_periods.add(ref.rsplit("/", 1)[1])
        if len(rows) < SCAN_CHUNK:
            return lots


async def expire_points(
    session: AsyncSession,
    *,
    keystore: KeyStore,
    community: Community,
    policy: CommunityRedemptionSettings,
    now: datetime,
) -> ExpiryRun:
    """Post every expiry due by `now` in the community; nothing twice."""
    if not policy.expiry_enabled:
        return ExpiryRun(0, 0, None)
    tz = zone(policy.timezone)
    unit, after_periods = policy.expiry_period, policy.expiry_after_periods
    through = latest_expired_period(now, unit, after_periods, tz)
    if policy.expired_through is not None and policy.expired_through >= through:
        return ExpiryRun(0, 0, None)
    members = select(Member.account).where(Member.community_id == community.id)  # type: ignore[call-overload]
    accounts = set((await session.execute(members)).scalars())
    lots = await member_lots(
        session, ledger=community.ledger_id, accounts=accounts, tz=tz, unit=unit
    )
    postings = [
        Posting(
            EXPIRY_KIND,
            account,
            EXPIRY_ACCOUNT,
            points,
            expiry_ref(account, period),
            {"period": period},
        )
        for account in sorted(lots)
        for period, points in lots[account].due(through)
    ]
    results = await ledger_service.append_batch(
        session, keystore=keystore, ledger=community.ledger_id, postings=postings, now=now
    )
    refused = [
        (posting, result)
        for posting, result in zip(postings, results, strict=True)
        if isinstance(result, ledger_errors.Refusal)
    ]
    # Our postings are well formed and their refs new; only held points can stand in the way.
    assert all(isinstance(r, ledger_errors.InsufficientPoints) for _, r in refused), refused
    # The ledger may have expired overdue holds on the spot to free points; release them.
    await release_expired(session, community=community, now=now)
    if not refused:
        policy.expired_through = through
        await session.flush()
    skipped = len({posting.debit for posting, _ in refused})
    return ExpiryRun(len(postings) - len(refused), skipped, through)
