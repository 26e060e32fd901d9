"""Each community's redemption policy and each shop's redemption settings.

Stored in redemption's own tables, so the organisation's tables stay as they are. A
community or shop without a row has the defaults.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from organisation.errors import InvalidInput
from organisation.models import Shop
from redemption.models import CommunityRedemptionSettings, ShopRedemptionSettings
from redemption.periods import PERIOD_UNITS, zone

MAX_REFUND_WINDOW_DAYS = 366
MAX_EXPIRY_AFTER_PERIODS = 120


async def community_policy(session: AsyncSession, community_id: int) -> CommunityRedemptionSettings:
    """The community's policy (a transient default row when none was stored)."""
    found = await session.get(CommunityRedemptionSettings, community_id)
    return found if found is not None else CommunityRedemptionSettings(community_id=community_id)


async def set_community_policy(
    session: AsyncSession,
    *,
    community_id: int,
    timezone: str,
    refund_window_days: int,
    expiry_enabled: bool,
    expiry_period: str,
    expiry_after_periods: int,
) -> CommunityRedemptionSettings:
    """Replace the community's policy; checked before anything is stored."""
    zone(timezone)
    if not 0 <= refund_window_days <= MAX_REFUND_WINDOW_DAYS:
        raise InvalidInput("refund_window_days: 0 to 366", field="refund_window_days")
    if expiry_period not in PERIOD_UNITS:
        raise InvalidInput("expiry_period: year or month", field="expiry_period")
    if not 0 <= expiry_after_periods <= MAX_EXPIRY_AFTER_PERIODS:
        raise InvalidInput("expiry_after_periods: 0 to 120", field="expiry_after_periods")
    row = await session.get(CommunityRedemptionSettings, community_id)
    if row is None:
        row = CommunityRedemptionSettings(community_id=community_id)
        session.add(row)
    changed_expiry = (row.expiry_period, row.expiry_after_periods, row.timezone) != (
        expiry_period,
        expiry_after_periods,
        timezone,
    )
    row.timezone = timezone
    row.refund_window_days = refund_window_days
    row.expiry_enabled = expiry_enabled
    row.expiry_period = expiry_period
    row.expiry_after_periods = expiry_after_periods
    if changed_expiry:
        row.expired_through = None  # the next expiry run reconsiders every member
    await session.flush()
    return row


async def shop_policy(session: AsyncSession, shop: Shop) -> ShopRedemptionSettings:
    """The shop's settings (a transient default row when none was stored)."""
    assert shop.id is not None
    found = await session.get(ShopRedemptionSettings, shop.id)
    if found is not None:
        return found
    return ShopRedemptionSettings(shop_id=shop.id, community_id=shop.community_id)


async def set_shop_policy(
    session: AsyncSession, *, shop: Shop, is_supermarket: bool, free_amount_max_points: int
) -> ShopRedemptionSettings:
    """Replace the shop's settings."""
    assert shop.id is not None
    if free_amount_max_points < 0:
        raise InvalidInput("free_amount_max_points: 0 or more", field="free_amount_max_points")
    row = await session.get(ShopRedemptionSettings, shop.id)
    if row is None:
        row = ShopRedemptionSettings(shop_id=shop.id, community_id=shop.community_id)
        session.add(row)
    row.is_supermarket = is_supermarket
    row.free_amount_max_points = free_amount_max_points
    await session.flush()
    return row
