"""Redemption: rewards, redemption codes, redemptions, refunds.

Also each community's redemption policy (time zone, refund window, points expiry), each
shop's redemption settings (supermarket flag, free-amount maximum), the per-member limit
locks and settlements.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _moment(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "redemption_community_settings",
        sa.Column("community_id", sa.Integer(), sa.ForeignKey("communities.id"), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("refund_window_days", sa.Integer(), nullable=False),
        sa.Column("expiry_enabled", sa.Boolean(), nullable=False),
        sa.Column("expiry_period", sa.String(length=8), nullable=False),
        sa.Column("expiry_after_periods", sa.Integer(), nullable=False),
        sa.Column("expired_through", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("community_id"),
    )
    op.create_table(
        "redemption_shop_settings",
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id"), nullable=False),
        sa.Column("community_id", sa.Integer(), sa.ForeignKey("communities.id"), nullable=False),
        sa.Column("is_supermarket", sa.Boolean(), nullable=False),
        sa.Column("free_amount_max_points", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("shop_id"),
    )
    op.create_index(
        "ix_redemption_shop_settings_community_id", "redemption_shop_settings", ["community_id"]
    )
    op.create_table(
        "rewards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), sa.ForeignKey("communities.id"), nullable=False),
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id"), nullable=False),
        sa.Column("name_zh", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("price_points", sa.Integer(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=True),
        sa.Column("limit_per_day", sa.Integer(), nullable=True),
        sa.Column("limit_per_month", sa.Integer(), nullable=True),
        sa.Column("limit_ever", sa.Integer(), nullable=True),
        _moment("valid_from", nullable=True),
        _moment("valid_until", nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        _moment("created_at"),
        sa.PrimaryKeyConstraint("id"),
        # The stock never goes below zero, whatever the application does.
        sa.CheckConstraint("stock IS NULL OR stock >= 0", name="ck_rewards_stock"),
        sa.CheckConstraint("price_points > 0", name="ck_rewards_price"),
    )
    op.create_index("ix_rewards_community_id", "rewards", ["community_id"])
    op.create_index("ix_rewards_shop_id", "rewards", ["shop_id"])
    op.create_table(
        "redemption_limit_locks",
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("members.id"), nullable=False),
        sa.Column("reward_id", sa.Integer(), sa.ForeignKey("rewards.id"), nullable=False),
        sa.PrimaryKeyConstraint("member_id", "reward_id"),
    )
    op.create_table(
        "redemptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_id", sa.String(length=32), nullable=False),
        sa.Column("community_id", sa.Integer(), sa.ForeignKey("communities.id"), nullable=False),
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id"), nullable=False),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("members.id"), nullable=False),
        sa.Column("member_account", sa.String(length=64), nullable=False),
        sa.Column("reward_id", sa.Integer(), sa.ForeignKey("rewards.id"), nullable=True),
        sa.Column("amount_points", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("stock_reserved", sa.Boolean(), nullable=False),
        sa.Column("hold_seq", sa.BigInteger(), nullable=True),
        _moment("hold_expires_at", nullable=True),
        sa.Column("resolved_seq", sa.BigInteger(), nullable=True),
        sa.Column("scanned_by", sa.Integer(), sa.ForeignKey("members.id"), nullable=False),
        _moment("scanned_at"),
        sa.Column("resolved_by", sa.Integer(), sa.ForeignKey("members.id"), nullable=True),
        _moment("resolved_at", nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code_id"),
    )
    op.create_index(
        "ix_redemptions_limits", "redemptions", ["member_id", "reward_id", "scanned_at"]
    )
    op.create_index("ix_redemptions_shop", "redemptions", ["shop_id", "scanned_at"])
    op.create_index(
        "ix_redemptions_held", "redemptions", ["community_id", "state", "hold_expires_at"]
    )
    op.create_index("ix_redemptions_resolved", "redemptions", ["community_id", "resolved_seq"])
    op.create_table(
        "redemption_refunds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("redemption_id", sa.Integer(), sa.ForeignKey("redemptions.id"), nullable=False),
        sa.Column("community_id", sa.Integer(), sa.ForeignKey("communities.id"), nullable=False),
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id"), nullable=False),
        sa.Column("amount_points", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.Integer(), sa.ForeignKey("members.id"), nullable=False),
        _moment("requested_at"),
        sa.Column("decided_by", sa.Integer(), sa.ForeignKey("members.id"), nullable=True),
        _moment("decided_at", nullable=True),
        sa.Column("decision_note", sa.String(length=200), nullable=False),
        sa.Column("entry_seq", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        # At most one refund per redemption, whatever the application does.
        sa.UniqueConstraint("redemption_id"),
    )
    op.create_index("ix_redemption_refunds_community_id", "redemption_refunds", ["community_id"])
    op.create_table(
        "redemption_settlements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), sa.ForeignKey("communities.id"), nullable=False),
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id"), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("amount_points", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("recorded_by", sa.Integer(), sa.ForeignKey("members.id"), nullable=False),
        _moment("recorded_at"),
        sa.Column("entry_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("shop_id", "reference", name="uq_settlements_reference"),
    )
    op.create_index(
        "ix_redemption_settlements_community_id", "redemption_settlements", ["community_id"]
    )


def downgrade() -> None:
    op.drop_table("redemption_settlements")
    op.drop_table("redemption_refunds")
    op.drop_table("redemptions")
    op.drop_table("redemption_limit_locks")
    op.drop_table("rewards")
    op.drop_table("redemption_shop_settings")
    op.drop_table("redemption_community_settings")
