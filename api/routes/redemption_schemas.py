"""Request and response bodies of the redemption endpoints, and how rows become responses.

Request bodies carry only what a caller may choose: never ids of the caller, balances,
states, communities or accounts.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec

from redemption.models import HELD, Redemption, RefundRequest, Reward, Settlement
from redemption.periods import as_utc
from redemption.statements import Line, Statement

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
OptionalName = Annotated[str, msgspec.Meta(max_length=100)]
Points = Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]
Count = Annotated[int, msgspec.Meta(ge=0, le=1_000_000_000)]
Limit = Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]
Note = Annotated[str, msgspec.Meta(max_length=200)]
Id = Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)]
UNSET = msgspec.UNSET
Unset = msgspec.UnsetType


class RewardIn(msgspec.Struct, forbid_unknown_fields=True):
    """A new reward; `stock` null = unlimited; a limit null = none."""

    shop_id: Id
    name_zh: Name
    price_points: Points
    name_en: OptionalName = ""
    stock: Count | None = None
    limit_per_day: Limit | None = None
    limit_per_month: Limit | None = None
    limit_ever: Limit | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    active: bool = True


class RewardPatch(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Fields to change; absent ones stay, null clears (stock null = unlimited)."""

    name_zh: Name | Unset = UNSET
    name_en: OptionalName | Unset = UNSET
    price_points: Points | Unset = UNSET
    stock: Count | Unset | None = UNSET
    limit_per_day: Limit | Unset | None = UNSET
    limit_per_month: Limit | Unset | None = UNSET
    limit_ever: Limit | Unset | None = UNSET
    valid_from: datetime | Unset | None = UNSET
    valid_until: datetime | Unset | None = UNSET
    active: bool | Unset = UNSET

    def changes(self) -> dict[str, object]:
        return {
            name: value
            for name in self.__struct_fields__
            if (value := getattr(self, name)) is not UNSET
        }


class RewardOut(msgspec.Struct):
    id: int
    community_id: int
    shop_id: int
    name_zh: str
    name_en: str
    price_points: int
    stock: int | None
    limit_per_day: int | None
    limit_per_month: int | None
    limit_ever: int | None
    valid_from: datetime | None
    valid_until: datetime | None
    active: bool
    created_at: datetime


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else as_utc(moment)


def reward_out(reward: Reward) -> RewardOut:
    assert reward.id is not None
    return RewardOut(
        id=reward.id,
        community_id=reward.community_id,
        shop_id=reward.shop_id,
        name_zh=reward.name_zh,
        name_en=reward.name_en,
        price_points=reward.price_points,
        stock=reward.stock,
        limit_per_day=reward.limit_per_day,
        limit_per_month=reward.limit_per_month,
        limit_ever=reward.limit_ever,
        valid_from=_utc(reward.valid_from),
        valid_until=_utc(reward.valid_until),
        active=reward.active,
        created_at=as_utc(reward.created_at),
    )


class OfferOut(msgspec.Struct):
    reward: RewardOut
    shop_name: str
    is_supermarket: bool
    affordable: bool


class CatalogueOut(msgspec.Struct):
    available_points: int
    items: list[OfferOut]


class ShopOfferOut(msgspec.Struct):
    shop_id: int
    name: str
    address: str
    opening_hours: str
    is_supermarket: bool
    free_amount_max_points: int


class CommunitySettingsIn(msgspec.Struct, forbid_unknown_fields=True):
    timezone: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] = "Asia/Shanghai"
    refund_window_days: Annotated[int, msgspec.Meta(ge=0, le=366)] = 7
    expiry_enabled: bool = False
    expiry_period: Annotated[str, msgspec.Meta(pattern="^(year|month)$")] = "year"
    expiry_after_periods: Annotated[int, msgspec.Meta(ge=0, le=120)] = 1


class CommunitySettingsOut(msgspec.Struct):
    community_id: int
    timezone: str
    refund_window_days: int
    expiry_enabled: bool
    expiry_period: str
    expiry_after_periods: int
    expired_through: str | None


class ShopSettingsIn(msgspec.Struct, forbid_unknown_fields=True):
    is_supermarket: bool = False
    free_amount_max_points: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)] = 0


class ShopSettingsOut(msgspec.Struct):
    shop_id: int
    is_supermarket: bool
    free_amount_max_points: int


class CodeIn(msgspec.Struct, forbid_unknown_fields=True):
    """A reward (`reward_id`), or a free amount at a shop (`shop_id` and `amount_points`)."""

    reward_id: Id | None = None
    shop_id: Id | None = None
    amount_points: Points | None = None


class CodeOut(msgspec.Struct):
    code: str
    url: str
    expires_at: datetime
    shop_id: int
    shop_name: str
    reward_id: int | None
    reward_name_zh: str
    reward_name_en: str
    amount_points: int
    qr_svg: str
    qr_png: str


class ScanIn(msgspec.Struct, forbid_unknown_fields=True):
    """What the clerk's scanner read: the code or its URL."""

    code: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class RedemptionOut(msgspec.Struct):
    id: int
    shop_id: int
    member_account: str
    reward_id: int | None
    amount_points: int
    state: str  # held, committed, voided or expired (a held one past its time shows expired)
    hold_seq: int | None
    hold_expires_at: datetime | None
    resolved_seq: int | None
    scanned_at: datetime
    resolved_at: datetime | None


def effective_state(redemption: Redemption, now: datetime) -> str:
    """The state a person should see: a hold past its expiry is expired, job or not."""
    expires = redemption.hold_expires_at
    if redemption.state == HELD and expires is not None and as_utc(expires) <= now:
        return "expired"
    return redemption.state


def redemption_out(redemption: Redemption, now: datetime) -> RedemptionOut:
    assert redemption.id is not None
    return RedemptionOut(
        id=redemption.id,
        shop_id=redemption.shop_id,
        member_account=redemption.member_account,
        reward_id=redemption.reward_id,
        amount_points=redemption.amount_points,
        state=effective_state(redemption, now),
        hold_seq=redemption.hold_seq,
        hold_expires_at=_utc(redemption.hold_expires_at),
        resolved_seq=redemption.resolved_seq,
        scanned_at=as_utc(redemption.scanned_at),
        resolved_at=_utc(redemption.resolved_at),
    )


class MyRedemptionOut(msgspec.Struct):
    redemption: RedemptionOut
    shop_name: str
    reward_name_zh: str
    reward_name_en: str
    refund_state: str | None


class RefundRequestIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Note = ""


class DecisionIn(msgspec.Struct, forbid_unknown_fields=True):
    note: Note = ""


class RefundOut(msgspec.Struct):
    id: int
    redemption_id: int
    shop_id: int
    amount_points: int
    reason: str
    state: str
    requested_at: datetime
    decided_at: datetime | None
    decision_note: str
    entry_seq: int | None


def refund_out(refund: RefundRequest) -> RefundOut:
    assert refund.id is not None
    return RefundOut(
        id=refund.id,
        redemption_id=refund.redemption_id,
        shop_id=refund.shop_id,
        amount_points=refund.amount_points,
        reason=refund.reason,
        state=refund.state,
        requested_at=as_utc(refund.requested_at),
        decided_at=_utc(refund.decided_at),
        decision_note=refund.decision_note,
        entry_seq=refund.entry_seq,
    )


class SettlementIn(msgspec.Struct, forbid_unknown_fields=True):
    amount_points: Annotated[int, msgspec.Meta(ge=1, le=2**53 - 1)]
    reference: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    note: Note = ""


class SettlementOut(msgspec.Struct):
    id: int
    shop_id: int
    reference: str
    amount_points: int
    note: str
    recorded_at: datetime
    entry_seq: int


def settlement_out(row: Settlement) -> SettlementOut:
    assert row.id is not None
    return SettlementOut(
        id=row.id,
        shop_id=row.shop_id,
        reference=row.reference,
        amount_points=row.amount_points,
        note=row.note,
        recorded_at=as_utc(row.recorded_at),
        entry_seq=row.entry_seq,
    )


class LineOut(msgspec.Struct):
    seq: int
    ts: str
    kind: str
    amount_points: int
    member_account: str | None
    redemption_id: int | None
    reward_id: int | None
    reward_name_zh: str
    reward_name_en: str
    reference: str


class StatementOut(msgspec.Struct):
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
    received_points: int
    settled_points: int
    other_points: int
    lines: list[LineOut]
    truncated: bool


def _line_out(line: Line) -> LineOut:
    return LineOut(**{name: getattr(line, name) for name in LineOut.__struct_fields__})


def statement_out(found: Statement) -> StatementOut:
    return StatementOut(
        shop_id=found.shop_id,
        shop_name=found.shop_name,
        first=found.first,
        last=found.last,
        start=found.start,
        end=found.end,
        opening_balance_points=found.opening_balance_points,
        closing_balance_points=found.closing_balance_points,
        redemption_count=found.redemption_count,
        redeemed_points=found.redeemed_points,
        refund_count=found.refund_count,
        refunded_points=found.refunded_points,
        received_points=found.received_points,
        settled_points=found.settled_points,
        other_points=found.other_points,
        lines=[_line_out(line) for line in found.lines],
        truncated=found.truncated,
    )
