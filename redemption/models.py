"""Tables of the reward catalogue and redemptions.

The ledger holds the points; these tables hold what the ledger does not know: what a hold
was for (a reward, a free amount at a shop), the stock a redemption reserved, who scanned,
refund requests and their approval, settlements, and each community's redemption policy.
Every moment is stored in UTC.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Column, DateTime, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

# Redemption states. `held` is the only unresolved one; the others mirror the ledger hold.
HELD = "held"
COMMITTED = "committed"
VOIDED = "voided"
EXPIRED = "expired"

# Refund request states.
REQUESTED = "requested"
APPROVED = "approved"
REJECTED = "rejected"


def _moment(*, nullable: bool = False) -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=nullable)


class CommunityRedemptionSettings(SQLModel, table=True):
    """A community's redemption policy; a community without a row uses the defaults."""

    __tablename__ = "redemption_community_settings"

    community_id: int = Field(foreign_key="communities.id", primary_key=True)
    # IANA zone that decides where a day, a month and a year begin (limits, expiry, statements).
    timezone: str = Field(default="Asia/Shanghai", max_length=64)
    refund_window_days: int = 7
    expiry_enabled: bool = False
    expiry_period: str = Field(default="year", max_length=8)  # "year" or "month"
    # Points earned in period P expire at the end of period P + expiry_after_periods.
    expiry_after_periods: int = 1
    # The newest earning period whose expiry has been posted for every member.
    expired_through: str | None = Field(default=None, max_length=16)


class ShopRedemptionSettings(SQLModel, table=True):
    """What a shop accepts; a shop without a row is an ordinary shop without free amounts."""

    __tablename__ = "redemption_shop_settings"

    shop_id: int = Field(foreign_key="shops.id", primary_key=True)
    community_id: int = Field(foreign_key="communities.id", index=True)
    # The community's points supermarket (积分超市) is a shop with this flag.
    is_supermarket: bool = False
    # The largest free amount a member may spend in one redemption here; 0 = none accepted.
    free_amount_max_points: int = 0


class Reward(SQLModel, table=True):
    """An item or service of the catalogue, sold by one shop (or the supermarket) for points."""

    __tablename__ = "rewards"
    __table_args__ = (
        CheckConstraint("stock IS NULL OR stock >= 0", name="ck_rewards_stock"),
        CheckConstraint("price_points > 0", name="ck_rewards_price"),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="communities.id", index=True)
    shop_id: int = Field(foreign_key="shops.id", index=True)
    name_zh: str = Field(max_length=100)
    name_en: str = Field(default="", max_length=100)
    price_points: int
    # Units available now (reserved units are already taken off); None = unlimited.
    stock: int | None = None
    limit_per_day: int | None = None
    limit_per_month: int | None = None
    limit_ever: int | None = None
    valid_from: datetime | None = Field(default=None, sa_column=_moment(nullable=True))
    valid_until: datetime | None = Field(default=None, sa_column=_moment(nullable=True))
    active: bool = True
    created_at: datetime = Field(sa_column=_moment())


class LimitLock(SQLModel, table=True):
    """A row per (member, reward) that a scan locks before counting against the limits."""

    __tablename__ = "redemption_limit_locks"

    member_id: int = Field(foreign_key="members.id", primary_key=True)
    reward_id: int = Field(foreign_key="rewards.id", primary_key=True)


class Redemption(SQLModel, table=True):
    """One scanned code: its hold on the ledger and how it ended."""

    __tablename__ = "redemptions"
    __table_args__ = (
        Index("ix_redemptions_limits", "member_id", "reward_id", "scanned_at"),
        Index("ix_redemptions_shop", "shop_id", "scanned_at"),
        Index("ix_redemptions_held", "community_id", "state", "hold_expires_at"),
        Index("ix_redemptions_resolved", "community_id", "resolved_seq"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # The code's random id: one redemption per code, whatever scans it.
    code_id: str = Field(max_length=32, unique=True)
    community_id: int = Field(foreign_key="communities.id")
    shop_id: int = Field(foreign_key="shops.id")
    member_id: int = Field(foreign_key="members.id")
    member_account: str = Field(max_length=64)
    reward_id: int | None = Field(default=None, foreign_key="rewards.id")
    amount_points: int
    state: str = Field(default=HELD, max_length=16)
    stock_reserved: bool = False
    hold_seq: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    hold_expires_at: datetime | None = Field(default=None, sa_column=_moment(nullable=True))
    resolved_seq: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    scanned_by: int = Field(foreign_key="members.id")
    scanned_at: datetime = Field(sa_column=_moment())
    resolved_by: int | None = Field(default=None, foreign_key="members.id")
    resolved_at: datetime | None = Field(default=None, sa_column=_moment(nullable=True))


class RefundRequest(SQLModel, table=True):
    """A clerk's request to give a committed redemption's points back, and its decision."""

    __tablename__ = "redemption_refunds"

    id: int | None = Field(default=None, primary_key=True)
    redemption_id: int = Field(foreign_key="redemptions.id", unique=True)
    community_id: int = Field(foreign_key="communities.id", index=True)
    shop_id: int = Field(foreign_key="shops.id")
    amount_points: int
    reason: str = Field(default="", max_length=200)
    state: str = Field(default=REQUESTED, max_length=16)
    requested_by: int = Field(foreign_key="members.id")
    requested_at: datetime = Field(sa_column=_moment())
    decided_by: int | None = Field(default=None, foreign_key="members.id")
    decided_at: datetime | None = Field(default=None, sa_column=_moment(nullable=True))
    decision_note: str = Field(default="", max_length=200)
    entry_seq: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class Settlement(SQLModel, table=True):
    """Points a shop handed back to the community, recorded by an admin."""

    __tablename__ = "redemption_settlements"
    __table_args__ = (UniqueConstraint("shop_id", "reference", name="uq_settlements_reference"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="communities.id", index=True)
    shop_id: int = Field(foreign_key="shops.id")
    # Chosen by the admin (e.g. "2026-03"): recording the same reference twice records once.
    reference: str = Field(max_length=64)
    amount_points: int
    note: str = Field(default="", max_length=200)
    recorded_by: int = Field(foreign_key="members.id")
    recorded_at: datetime = Field(sa_column=_moment())
    entry_seq: int = Field(sa_column=Column(BigInteger, nullable=False))
