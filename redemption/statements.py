"""A shop's statement for any period, read from the ledger itself.

Lines are the shop account's ledger entries that move points (holds, voids and expiries move
none), so the statement adds up to the ledger by construction: closing = opening + the sum of
the lines. Each line is enriched from redemption's tables: the redemption and reward of a
confirmation, the redemption of a refund, the reference of a settlement.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, and_, case, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col
from sqlmodel import select as sm_select

from ledger.canonical import format_ts
from ledger.tables import entries
from ledger.types import HOLD, HOLD_COMMIT, HOLD_EXPIRE, HOLD_VOID
from organisation.errors import InvalidInput
from organisation.models import Community, Shop
from redemption.models import Redemption, RefundRequest, Reward, Settlement
from redemption.periods import dates_span, zone
from redemption.policy import community_policy
from redemption.refunds import REFUND_KIND
from redemption.settlement import SETTLEMENT_KIND

MAX_LINES = 50_000
MAX_DAYS = 3660
NO_BALANCE_EFFECT = (HOLD, HOLD_VOID, HOLD_EXPIRE)
LINE_KINDS = {HOLD_COMMIT: "redemption", REFUND_KIND: "refund", SETTLEMENT_KIND: "settlement"}


@dataclass(frozen=True)
class Line:
    """One entry: `amount_points` is its effect on the shop's balance (negative = out)."""

    seq: int
    ts: str
    kind: str  # redemption, refund, settlement or other
    amount_points: int
    member_account: str | None
    redemption_id: int | None
    reward_id: int | None
    reward_name_zh: str
    reward_name_en: str
    reference: str


@dataclass(frozen=True)
class Statement:
    shop_id: int
    shop_name: str
    first: date
    last: date
    start: datetime
    end: datetime
    opening_balance_points: int
    closing_balance_points: int
    redemption_count: int
    redeemed_points: int
    refund_count: int
    refunded_points: int
    settled_points: int
    other_points: int
    lines: list[Line]
    truncated: bool

    @property
    def received_points(self) -> int:
        """Points the shop took in over the period: redemptions net of refunds."""
        return self.redeemed_points - self.refunded_points


def _effect(account: str) -> ColumnElement[Any]:
    return case((entries.c.credit == account, entries.c.amount), else_=-entries.c.amount)


def _of_shop(ledger: str, account: str) -> ColumnElement[bool]:
    return and_(
        entries.c.ledger == ledger,
        or_(entries.c.debit == account, entries.c.credit == account),
        entries.c.kind.not_in(NO_BALANCE_EFFECT),
    )


async def _balance_before(session: AsyncSession, ledger: str, account: str, ts: str) -> int:
    total = select(cast(func.coalesce(func.sum(_effect(account)), 0), BigInteger)).where(
        _of_shop(ledger, account), entries.c.ts < ts
    )
    return int((await session.execute(total)).scalar_one())


async def _details(
    session: AsyncSession, community_id: int, seqs: list[int]
) -> tuple[dict[int, tuple[Redemption, Reward | None]], dict[int, int], dict[int, str]]:
    if not seqs:
        return {}, {}, {}
    confirmed = (
        sm_select(Redemption, Reward)
        .outerjoin(Reward, col(Reward.id) == col(Redemption.reward_id))
        .where(Redemption.community_id == community_id, col(Redemption.resolved_seq).in_(seqs))
    )
    by_commit: dict[int, tuple[Redemption, Reward | None]] = {
        r.resolved_seq or 0: (r, w) for r, w in await session.execute(confirmed)
    }
    refunded = sm_select(RefundRequest.entry_seq, RefundRequest.redemption_id).where(
        RefundRequest.community_id == community_id, col(RefundRequest.entry_seq).in_(seqs)
    )
    by_refund: dict[int, int] = {s or 0: r for s, r in await session.execute(refunded)}
    settled = sm_select(Settlement.entry_seq, Settlement.reference).where(
        Settlement.community_id == community_id, col(Settlement.entry_seq).in_(seqs)
    )
    by_settlement: dict[int, str] = {s: r for s, r in await session.execute(settled)}  # noqa: C416 (rows are not pairs to the type checker)
    return by_commit, by_refund, by_settlement


def _line(
    row: tuple[int, str, str, str, str, int],
    account: str,
    found: tuple[dict[int, tuple[Redemption, Reward | None]], dict[int, int], dict[int, str]],
) -> Line:
    seq, ts, kind, _debit, credit, amount = row
    by_commit, by_refund, by_settlement = found
    redemption, reward = by_commit.get(seq, (None, None))
    return Line(
        seq=seq,
        ts=ts,
        kind=LINE_KINDS.get(kind, "other"),
        amount_points=amount if credit == account else -amount,
        member_account=redemption.member_account if redemption is not None else None,
        redemption_id=redemption.id if redemption is not None else by_refund.get(seq),
        reward_id=reward.id if reward is not None else None,
        reward_name_zh=reward.name_zh if reward is not None else "",
        reward_name_en=reward.name_en if reward is not None else "",
        reference=by_settlement.get(seq, ""),
    )


async def shop_statement(
    session: AsyncSession, *, community: Community, shop: Shop, first: date, last: date
) -> Statement:
    """The shop's statement for local dates `first` to `last` inclusive."""
    assert community.id is not None
    assert shop.id is not None
    if last < first or (last - first).days > MAX_DAYS:
        raise InvalidInput("the period must run forwards and span at most ten years", field="to")
    policy = await community_policy(session, community.id)
    start, end = dates_span(first, last, zone(policy.timezone))
    start_ts, end_ts = format_ts(start), format_ts(end)
    opening = await _balance_before(session, community.ledger_id, shop.account, start_ts)
    statement = (
        select(
            entries.c.seq,
            entries.c.ts,
            entries.c.kind,
            entries.c.debit,
            entries.c.credit,
            entries.c.amount,
        )
        .where(_of_shop(community.ledger_id, shop.account), entries.c.ts >= start_ts)
        .where(entries.c.ts < end_ts)
        .order_by(entries.c.seq)
        .limit(MAX_LINES + 1)
    )
    rows = [tuple(r) for r in await session.execute(statement)]
    truncated = len(rows) > MAX_LINES
    rows = rows[:MAX_LINES]
    found = await _details(session, community.id, [int(r[0]) for r in rows])
    lines = [_line(r, shop.account, found) for r in rows]
    closing = await _balance_before(session, community.ledger_id, shop.account, end_ts)

    def total(kind: str) -> int:
        return sum(line.amount_points for line in lines if line.kind == kind)

    return Statement(
        shop_id=shop.id,
        shop_name=shop.name,
        first=first,
        last=last,
        start=start,
        end=end,
        opening_balance_points=opening,
        closing_balance_points=closing,
        redemption_count=sum(line.kind == "redemption" for line in lines),
        redeemed_points=total("redemption"),
        refund_count=sum(line.kind == "refund" for line in lines),
        refunded_points=-total("refund"),
        settled_points=-total("settlement"),
        other_points=total("other"),
        lines=lines,
        truncated=truncated,
    )


CSV_COLUMNS = (
    "seq",
    "ts",
    "kind",
    "amount_points",
    "redemption_id",
    "reward_id",
    "reward_name_zh",
    "reward_name_en",
    "member_account",
    "reference",
)


def statement_csv(statement: Statement) -> str:
    """The statement as CSV: an opening row, one row per line, a closing row.

    Starts with a byte-order mark so that spreadsheet programs read the Chinese names right.
    """
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    blank = [""] * (len(CSV_COLUMNS) - 4)
    writer.writerow(
        [
            "",
            format_ts(statement.start),
            "opening_balance",
            statement.opening_balance_points,
            *blank,
        ]
    )
    for line in statement.lines:
        writer.writerow(
            [
                line.seq,
                line.ts,
                line.kind,
                line.amount_points,
                line.redemption_id or "",
                line.reward_id or "",
                line.reward_name_zh,
                line.reward_name_en,
                line.member_account or "",
                line.reference,
            ]
        )
    writer.writerow(
        ["", format_ts(statement.end), "closing_balance", statement.closing_balance_points, *blank]
    )
    return out.getvalue()
