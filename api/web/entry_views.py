"""What a member reads for each ledger entry of theirs: a title and an explanation.

A check-in's credit shows its event and the rules' explanation, kept in both languages on
the check-in row that the entry's meta names (`checkin`); a reversal names the credit it
took back; holds, redemptions and refunds name the reward and the shop (the meta names the
redemption); an expiry names the period whose points lapsed. Other kinds show a plain title.
Amounts are signed from the member's side; a hold moves no points yet, so it shows the
amount it holds instead.
"""

# Chinese text takes full-width punctuation; it is no confusable here.
# ruff: noqa: RUF001

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.web.redemption_views import local, reward_name
from checkin.credit import CREDIT_KIND
from checkin.models import Checkin, Event
from checkin.reversal import REVERSAL_KIND
from ledger.canonical import parse_ts
from ledger.types import HOLD, HOLD_COMMIT, HOLD_EXPIRE, HOLD_VOID, Entry
from organisation.models import Shop
from redemption.expiry import EXPIRY_KIND
from redemption.models import Redemption, Reward
from redemption.refunds import REFUND_KIND

CREDIT = CREDIT_KIND
REVERSAL = REVERSAL_KIND
REFUND = REFUND_KIND
EXPIRY = EXPIRY_KIND
NOT_MOVED = (HOLD, HOLD_VOID, HOLD_EXPIRE)  # no points leave the account with these
TITLES: Mapping[str, tuple[str, str]] = {
    CREDIT: ("志愿服务", "Volunteering"),
    REVERSAL: ("积分冲正", "Credit reversed"),
    HOLD: ("兑换冻结", "Held for a redemption"),
    HOLD_COMMIT: ("积分兑换", "Redeemed"),
    HOLD_VOID: ("兑换取消", "Redemption cancelled"),
    HOLD_EXPIRE: ("兑换超时", "Redemption timed out"),
    REFUND: ("兑换退还", "Refund"),
    EXPIRY: ("积分过期", "Points expired"),
}
FREE_AMOUNT = ("积分抵扣", "Paid with points")
LINES: Mapping[str, tuple[str, str]] = {
    "reversed": ("撤销 {d} 的积分：{what}", "Points of {d} taken back: {what}"),
    "held": ("冻结 {n} 分，店员确认后扣除", "{n} points held until the clerk confirms"),
    "released": ("冻结的 {n} 分已退回", "The {n} held points are back"),
    "expired": ("{p} 获得的积分已到期", "Points earned in {p} expired"),
}


@dataclass(frozen=True)
class HistoryRow:
    """One ledger entry as a member reads it."""

    seq: int
    kind: str
    points: int
    held_points: int
    title: str
    explanation: str
    ts: str
    when: str


@dataclass(frozen=True)
class _Credit:
    event_title: str
    explanation_zh: str
    explanation_en: str
    local_date: str


@dataclass(frozen=True)
class _Redeemed:
    reward: Reward | None
    shop_name: str


def _ids(entries: Sequence[Entry], key: str) -> list[int]:
    return sorted({v for e in entries if isinstance(v := e.meta.get(key), int)})


async def _credits(session: AsyncSession, ids: list[int]) -> dict[int, _Credit]:
    if not ids:
        return {}
    statement = (
        select(Checkin, Event.title)
        .join(Event, col(Event.id) == col(Checkin.event_id))
        .where(col(Checkin.id).in_(ids))
    )
    return {
        c.id or 0: _Credit(title, c.explanation_zh, c.explanation_en, str(c.local_date or ""))
        for c, title in await session.execute(statement)
    }


async def _redemptions(session: AsyncSession, ids: list[int]) -> dict[int, _Redeemed]:
    if not ids:
        return {}
    statement = (
        select(Redemption, Reward, Shop.name)
        .join(Shop, col(Shop.id) == col(Redemption.shop_id))
        .outerjoin(Reward, col(Reward.id) == col(Redemption.reward_id))
        .where(col(Redemption.id).in_(ids))
    )
    return {r.id or 0: _Redeemed(w, shop) for r, w, shop in await session.execute(statement)}


def _pick(pair: tuple[str, str], language: str) -> str:
    return pair[1] if language == "en" else pair[0]


def _explain(
    entry: Entry,
    language: str,
    credits: Mapping[int, _Credit],
    redeemed: Mapping[int, _Redeemed],
) -> tuple[str, str]:
    """The title and the explanation of one entry."""
    title = _pick(TITLES.get(entry.kind, (entry.kind, entry.kind)), language)
    checkin_id, redemption_id = entry.meta.get("checkin"), entry.meta.get("redemption")
    found = credits.get(checkin_id) if isinstance(checkin_id, int) else None
    if entry.kind == CREDIT and found is not None:
        why = found.explanation_en if language == "en" else found.explanation_zh
        return f"{title} · {found.event_title}", why
    if entry.kind == REVERSAL and found is not None:
        line = _pick(LINES["reversed"], language)
        return title, line.format(d=found.local_date, what=found.event_title)
    sale = redeemed.get(redemption_id) if isinstance(redemption_id, int) else None
    if sale is not None:
        what = reward_name(sale.reward, language, _pick(FREE_AMOUNT, language))
        note = ""
        if entry.kind == HOLD:
            note = _pick(LINES["held"], language).format(n=entry.amount)
        elif entry.kind in (HOLD_VOID, HOLD_EXPIRE):
            note = _pick(LINES["released"], language).format(n=entry.amount)
        return f"{title} · {what}", " · ".join(p for p in (sale.shop_name, note) if p)
    if entry.kind == EXPIRY and isinstance(period := entry.meta.get("period"), str):
        return title, _pick(LINES["expired"], language).format(p=period)
    return title, ""


async def history_rows(
    session: AsyncSession,
    entries: Sequence[Entry],
    *,
    account: str,
    language: str,
    tz: ZoneInfo,
) -> list[HistoryRow]:
    """The entries, newest first as given, with titles and explanations in `language`."""
    credits = await _credits(session, _ids(entries, "checkin"))
    redeemed = await _redemptions(session, _ids(entries, "redemption"))
    rows = []
    for entry in entries:
        moved = entry.kind not in NOT_MOVED
        signed = entry.amount if entry.credit == account else -entry.amount
        title, explanation = _explain(entry, language, credits, redeemed)
        rows.append(
            HistoryRow(
                seq=entry.seq,
                kind=entry.kind,
                points=signed if moved else 0,
                held_points=0 if moved or entry.kind != HOLD else entry.amount,
                title=title,
                explanation=explanation,
                ts=entry.ts,
                when=local(parse_ts(entry.ts), tz).strftime("%Y-%m-%d %H:%M"),
            )
        )
    return rows
