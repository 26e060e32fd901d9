"""The reward catalogue: what each shop (and the points supermarket) sells for points."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from ledger import service as ledger_service
from ledger.errors import Refusal
from organisation.errors import InvalidInput
from organisation.models import Community, Member, Shop
from organisation.service import get_in_community
from redemption import errors
from redemption.models import Reward, ShopRedemptionSettings
from redemption.periods import as_utc

MAX_PRICE_POINTS = 1_000_000
MAX_CATALOGUE_ITEMS = 500
EDITABLE = frozenset(
    {
        "name_zh",
        "name_en",
        "price_points",
        "stock",
        "limit_per_day",
        "limit_per_month",
        "limit_ever",
        "valid_from",
        "valid_until",
        "active",
    }
)


def _validate(reward: Reward) -> None:
    if not reward.name_zh.strip():
        raise InvalidInput("name_zh: required", field="name_zh")
    if not 0 < reward.price_points <= MAX_PRICE_POINTS:
        raise InvalidInput("price_points: 1 to 1,000,000", field="price_points")
    if reward.stock is not None and reward.stock < 0:
        raise InvalidInput("stock: 0 or more, or null for unlimited", field="stock")
    for name in ("limit_per_day", "limit_per_month", "limit_ever"):
        value = getattr(reward, name)
        if value is not None and value < 1:
            raise InvalidInput(f"{name}: 1 or more, or null for none", field=name)
    start, end = reward.valid_from, reward.valid_until
    if start is not None and end is not None and as_utc(end) <= as_utc(start):
        raise InvalidInput("valid_until: must be after valid_from", field="valid_until")


def _utc_or_none(moment: object) -> datetime | None:
    assert moment is None or isinstance(moment, datetime)
    return None if moment is None else as_utc(moment)


async def create_reward(
    session: AsyncSession,
    *,
    community_id: int,
    shop_id: int,
    fields: Mapping[str, object],
    now: datetime,
) -> Reward:
    """A new active reward of a shop of the community; `fields` are the EDITABLE ones."""
    await get_in_community(session, Shop, shop_id, community_id)
    unknown = set(fields) - EDITABLE
    assert not unknown, unknown
    reward = Reward(
        community_id=community_id, shop_id=shop_id, name_zh="", price_points=0, created_at=now
    )
    for name, value in fields.items():
        setattr(reward, name, _utc_or_none(value) if name.startswith("valid_") else value)
    _validate(reward)
    session.add(reward)
    await session.flush()
    return reward


async def update_reward(
    session: AsyncSession, *, reward: Reward, changes: Mapping[str, object]
) -> Reward:
    """Change some EDITABLE fields; `stock` sets the units available from now on."""
    unknown = set(changes) - EDITABLE
    assert not unknown, unknown
    for name, value in changes.items():
        setattr(reward, name, _utc_or_none(value) if name.startswith("valid_") else value)
    _validate(reward)
    await session.flush()
    return reward


async def list_rewards(
    session: AsyncSession, *, community_id: int, shop_id: int | None = None
) -> list[Reward]:
    """Every reward of the community (or of one shop), withdrawn ones included."""
    statement = select(Reward).where(Reward.community_id == community_id)
    if shop_id is not None:
        statement = statement.where(Reward.shop_id == shop_id)
    statement = statement.order_by(col(Reward.id)).limit(MAX_CATALOGUE_ITEMS)
    return list((await session.execute(statement)).scalars())


def check_redeemable(reward: Reward, now: datetime) -> None:
    """Refuse a withdrawn reward, or one outside its validity window."""
    if not reward.active:
        raise errors.RewardWithdrawn(reward=reward.id or 0)
    if reward.valid_from is not None and now < as_utc(reward.valid_from):
        raise errors.RewardNotYetValid(reward=reward.id or 0)
    if reward.valid_until is not None and now >= as_utc(reward.valid_until):
        raise errors.RewardExpired(reward=reward.id or 0)


def is_redeemable(reward: Reward, now: datetime) -> bool:
    try:
        check_redeemable(reward, now)
    except Refusal:
        return False
    return reward.stock is None or reward.stock > 0


@dataclass(frozen=True)
class Offer:
    """A reward a member may redeem now, with its shop and whether they can afford it."""

    reward: Reward
    shop: Shop
    is_supermarket: bool
    affordable: bool


@dataclass(frozen=True)
class Browse:
    available_points: int
    offers: list[Offer]


async def browse(
    session: AsyncSession, *, member: Member, community: Community, now: datetime
) -> Browse:
    """Rewards of the member's community on offer now at active shops, cheapest first."""
    found = await ledger_service.balance(
        session, ledger=community.ledger_id, account=member.account, now=now
    )
    statement = (
        select(Reward, Shop, ShopRedemptionSettings.is_supermarket)
        .join(Shop, col(Shop.id) == Reward.shop_id)
        .outerjoin(ShopRedemptionSettings, col(ShopRedemptionSettings.shop_id) == Shop.id)
        .where(Reward.community_id == community.id, col(Shop.active).is_(True))
        .order_by(col(Reward.price_points), col(Reward.id))
        .limit(MAX_CATALOGUE_ITEMS)
    )
    offers = [
        Offer(reward, shop, bool(flag), reward.price_points <= found.available_points)
        for reward, shop, flag in await session.execute(statement)
        if is_redeemable(reward, now)
    ]
    return Browse(found.available_points, offers)
