"""A community admin's side of redemption: catalogue, policies, refunds, settlements.

Changes are for the community's admins; reads also for its auditors. Other communities'
objects answer 404.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Response, delete, get, patch, post, put
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import Access, access, require_admin, require_staff
from api.deps import Context, Db, Me, Now
from api.pagination import Limit, Offset
from api.routes.redemption_schemas import (
    CommunitySettingsIn,
    CommunitySettingsOut,
    DecisionIn,
    RefundOut,
    RewardIn,
    RewardOut,
    RewardPatch,
    SettlementIn,
    SettlementOut,
    ShopSettingsIn,
    ShopSettingsOut,
    refund_out,
    reward_out,
    settlement_out,
)
from organisation.models import Community, Shop
from organisation.service import get_in_community
from redemption import catalogue, policy, refunds, settlement
from redemption.models import CommunityRedemptionSettings, RefundRequest, Reward

CommunityId = FromPath[int]
BASE = "/api/v1/communities/{community_id:int}"
TAGS = ["redemption-admin"]


async def _community(db: AsyncSession, community_id: int) -> Community:
    found = await db.get(Community, community_id)
    assert found is not None  # require_admin / require_staff answered 404 for unknown ids
    return found


async def _reward(db: AsyncSession, community_id: int, reward_id: int) -> Reward:
    return await get_in_community(db, Reward, reward_id, community_id)


@post(f"{BASE}/rewards", opt=access(Access.ADMIN), tags=TAGS)
async def create_reward(
    community_id: CommunityId, data: JSONBody[RewardIn], db: Db, principal: Me, now: Now
) -> Response[RewardOut]:
    """Add a reward to a shop's (or the supermarket's) catalogue."""
    require_admin(principal, community_id)
    fields = {n: getattr(data, n) for n in RewardIn.__struct_fields__ if n != "shop_id"}
    reward = await catalogue.create_reward(
        db, community_id=community_id, shop_id=data.shop_id, fields=fields, now=now
    )
    return Response(reward_out(reward), status_code=201)


@get(f"{BASE}/rewards", opt=access(Access.STAFF), tags=TAGS)
async def list_rewards(
    community_id: CommunityId,
    db: Db,
    principal: Me,
    shop_id: Annotated[int | None, QueryParameter(ge=1)] = None,
) -> list[RewardOut]:
    """Every reward of the community (or of one shop), withdrawn ones included."""
    require_staff(principal, community_id)
    found = await catalogue.list_rewards(db, community_id=community_id, shop_id=shop_id)
    return [reward_out(r) for r in found]


@get(f"{BASE}/rewards/{{reward_id:int}}", opt=access(Access.STAFF), tags=TAGS)
async def read_reward(
    community_id: CommunityId, reward_id: FromPath[int], db: Db, principal: Me
) -> RewardOut:
    """One reward."""
    require_staff(principal, community_id)
    return reward_out(await _reward(db, community_id, reward_id))


@patch(f"{BASE}/rewards/{{reward_id:int}}", opt=access(Access.ADMIN), tags=TAGS)
async def update_reward(
    community_id: CommunityId,
    reward_id: FromPath[int],
    data: JSONBody[RewardPatch],
    db: Db,
    principal: Me,
) -> RewardOut:
    """Change a reward; `stock` sets the units available from now on."""
    require_admin(principal, community_id)
    reward = await _reward(db, community_id, reward_id)
    changed = await catalogue.update_reward(db, reward=reward, changes=data.changes())
    return reward_out(changed)


@delete(f"{BASE}/rewards/{{reward_id:int}}", opt=access(Access.ADMIN), tags=TAGS, status_code=200)
async def withdraw_reward(
    community_id: CommunityId, reward_id: FromPath[int], db: Db, principal: Me
) -> RewardOut:
    """Withdraw a reward (it stays for the record of what was redeemed)."""
    require_admin(principal, community_id)
    reward = await _reward(db, community_id, reward_id)
    changed = await catalogue.update_reward(db, reward=reward, changes={"active": False})
    return reward_out(changed)


def _policy_out(row: CommunityRedemptionSettings) -> CommunitySettingsOut:
    return CommunitySettingsOut(
        community_id=row.community_id,
        timezone=row.timezone,
        refund_window_days=row.refund_window_days,
        expiry_enabled=row.expiry_enabled,
        expiry_period=row.expiry_period,
        expiry_after_periods=row.expiry_after_periods,
        expired_through=row.expired_through,
    )


@get(f"{BASE}/redemption-settings", opt=access(Access.STAFF), tags=TAGS)
async def read_settings(community_id: CommunityId, db: Db, principal: Me) -> CommunitySettingsOut:
    """The community's redemption policy: time zone, refund window, points expiry."""
    require_staff(principal, community_id)
    return _policy_out(await policy.community_policy(db, community_id))


@put(f"{BASE}/redemption-settings", opt=access(Access.ADMIN), tags=TAGS)
async def write_settings(
    community_id: CommunityId, data: JSONBody[CommunitySettingsIn], db: Db, principal: Me
) -> CommunitySettingsOut:
    """Replace the community's redemption policy."""
    require_admin(principal, community_id)
    row = await policy.set_community_policy(
        db,
        community_id=community_id,
        timezone=data.timezone,
        refund_window_days=data.refund_window_days,
        expiry_enabled=data.expiry_enabled,
        expiry_period=data.expiry_period,
        expiry_after_periods=data.expiry_after_periods,
    )
    return _policy_out(row)


@get(f"{BASE}/shops/{{shop_id:int}}/redemption-settings", opt=access(Access.STAFF), tags=TAGS)
async def read_shop_settings(
    community_id: CommunityId, shop_id: FromPath[int], db: Db, principal: Me
) -> ShopSettingsOut:
    """Whether the shop is the points supermarket, and the free amount it accepts."""
    require_staff(principal, community_id)
    shop = await get_in_community(db, Shop, shop_id, community_id)
    row = await policy.shop_policy(db, shop)
    return ShopSettingsOut(shop_id, row.is_supermarket, row.free_amount_max_points)


@put(f"{BASE}/shops/{{shop_id:int}}/redemption-settings", opt=access(Access.ADMIN), tags=TAGS)
async def write_shop_settings(
    community_id: CommunityId,
    shop_id: FromPath[int],
    data: JSONBody[ShopSettingsIn],
    db: Db,
    principal: Me,
) -> ShopSettingsOut:
    """Set the supermarket flag and the largest free amount (0 = none) of a shop."""
    require_admin(principal, community_id)
    shop = await get_in_community(db, Shop, shop_id, community_id)
    row = await policy.set_shop_policy(
        db,
        shop=shop,
        is_supermarket=data.is_supermarket,
        free_amount_max_points=data.free_amount_max_points,
    )
    return ShopSettingsOut(shop_id, row.is_supermarket, row.free_amount_max_points)


@get(f"{BASE}/refunds", opt=access(Access.STAFF), tags=TAGS)
async def list_refunds(
    community_id: CommunityId,
    db: Db,
    principal: Me,
    state_filter: Annotated[
        str | None, QueryParameter(name="state", pattern="^(requested|approved|rejected)$")
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[RefundOut]:
    """Refund requests of the community, newest first (e.g. `state=requested`)."""
    require_staff(principal, community_id)
    found = await refunds.list_refunds(
        db, community_id=community_id, state=state_filter, limit=limit, offset=offset
    )
    return [refund_out(r) for r in found]


@post(
    f"{BASE}/refunds/{{refund_id:int}}/approve",
    opt=access(Access.ADMIN),
    tags=TAGS,
    status_code=200,
)
async def approve_refund(
    community_id: CommunityId,
    refund_id: FromPath[int],
    data: JSONBody[DecisionIn],
    db: Db,
    principal: Me,
    context: Context,
    now: Now,
) -> RefundOut:
    """Approve: a refund entry moves the points from the shop back to the resident."""
    require_admin(principal, community_id)
    refund = await get_in_community(db, RefundRequest, refund_id, community_id)
    approved = await refunds.approve_refund(
        db,
        keystore=context.keystore,
        community=await _community(db, community_id),
        refund=refund,
        admin_id=principal.member_id,
        note=data.note,
        now=now,
    )
    return refund_out(approved)


@post(
    f"{BASE}/refunds/{{refund_id:int}}/reject", opt=access(Access.ADMIN), tags=TAGS, status_code=200
)
async def reject_refund(
    community_id: CommunityId,
    refund_id: FromPath[int],
    data: JSONBody[DecisionIn],
    db: Db,
    principal: Me,
    now: Now,
) -> RefundOut:
    """Decline a refund request; nothing moves."""
    require_admin(principal, community_id)
    refund = await get_in_community(db, RefundRequest, refund_id, community_id)
    rejected = await refunds.reject_refund(
        db, refund=refund, admin_id=principal.member_id, note=data.note, now=now
    )
    return refund_out(rejected)


@post(f"{BASE}/shops/{{shop_id:int}}/settlements", opt=access(Access.ADMIN), tags=TAGS)
async def record_settlement(
    community_id: CommunityId,
    shop_id: FromPath[int],
    data: JSONBody[SettlementIn],
    db: Db,
    principal: Me,
    context: Context,
    now: Now,
) -> Response[SettlementOut]:
    """Record that the shop handed points back to the community, once per reference."""
    require_admin(principal, community_id)
    shop = await get_in_community(db, Shop, shop_id, community_id)
    row = await settlement.record_settlement(
        db,
        keystore=context.keystore,
        community=await _community(db, community_id),
        shop=shop,
        amount_points=data.amount_points,
        reference=data.reference,
        note=data.note,
        admin_id=principal.member_id,
        now=now,
    )
    return Response(settlement_out(row), status_code=201)


@get(f"{BASE}/shops/{{shop_id:int}}/settlements", opt=access(Access.STAFF), tags=TAGS)
async def list_settlements(
    community_id: CommunityId, shop_id: FromPath[int], db: Db, principal: Me
) -> list[SettlementOut]:
    """The shop's settlements, newest first."""
    require_staff(principal, community_id)
    shop = await get_in_community(db, Shop, shop_id, community_id)
    return [settlement_out(r) for r in await settlement.list_settlements(db, shop_id=shop.id or 0)]


ROUTES = [
    create_reward,
    list_rewards,
    read_reward,
    update_reward,
    withdraw_reward,
    read_settings,
    write_settings,
    read_shop_settings,
    write_shop_settings,
    list_refunds,
    approve_refund,
    reject_refund,
    record_settlement,
    list_settlements,
]
