"""A resident's side of redemption: browse, ask for a code, show it, see what was redeemed."""

from __future__ import annotations

from typing import Annotated

from litestar import Response, get, post
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.access import Access, access
from api.deps import Context, Db, Me, Now
from api.pagination import Limit, Page
from api.routes.redemption_schemas import (
    CatalogueOut,
    CodeIn,
    CodeOut,
    MyRedemptionOut,
    OfferOut,
    ShopOfferOut,
    redemption_out,
    reward_out,
)
from organisation.auth import Principal
from organisation.errors import NotFound
from organisation.models import Community, Member, Shop
from redemption import catalogue, codes, errors, issuing
from redemption.models import Redemption, RefundRequest, Reward, ShopRedemptionSettings

NO_STORE = {"cache-control": "no-store"}


async def _me(db: AsyncSession, principal: Principal) -> tuple[Member, Community]:
    member = await db.get(Member, principal.member_id)
    assert member is not None
    community = await db.get(Community, member.community_id)
    assert community is not None
    return member, community


@get("/api/v1/me/rewards", opt=access(Access.MEMBER), tags=["redemption"])
async def my_rewards(
    db: Db,
    principal: Me,
    now: Now,
    affordable_only: Annotated[bool, QueryParameter(description="only what I can afford")] = True,
) -> CatalogueOut:
    """Rewards on offer now in my community; by default only those my available points buy."""
    member, community = await _me(db, principal)
    found = await catalogue.browse(db, member=member, community=community, now=now)
    items = [
        OfferOut(reward_out(o.reward), o.shop.name, o.is_supermarket, o.affordable)
        for o in found.offers
        if o.affordable or not affordable_only
    ]
    return CatalogueOut(available_points=found.available_points, items=items)


@get("/api/v1/me/redemption-shops", opt=access(Access.MEMBER), tags=["redemption"])
async def my_shops(db: Db, principal: Me) -> list[ShopOfferOut]:
    """Active shops of my community, with the free amount each accepts (0 = none)."""
    statement = (
        select(Shop, ShopRedemptionSettings)
        .outerjoin(ShopRedemptionSettings, col(ShopRedemptionSettings.shop_id) == Shop.id)
        .where(Shop.community_id == principal.community_id, col(Shop.active).is_(True))
        .order_by(col(Shop.id))
    )
    return [
        ShopOfferOut(
            shop_id=shop.id or 0,
            name=shop.name,
            address=shop.address,
            opening_hours=shop.opening_hours,
            is_supermarket=bool(policy and policy.is_supermarket),
            free_amount_max_points=policy.free_amount_max_points if policy else 0,
        )
        for shop, policy in await db.execute(statement)
    ]


@post("/api/v1/me/redemption-codes", opt=access(Access.MEMBER), tags=["redemption"])
async def new_code(
    data: JSONBody[CodeIn], db: Db, principal: Me, context: Context, now: Now
) -> Response[CodeOut]:
    """A short-lived signed code to show at the shop, for a reward or a free amount."""
    member, community = await _me(db, principal)
    settings = context.settings
    issued = await issuing.issue_code(
        db,
        keystore=context.keystore,
        community=community,
        member=member,
        reward_id=data.reward_id,
        shop_id=data.shop_id,
        amount_points=data.amount_points,
        ttl_seconds=settings.redemption_ttl_seconds,
        public_base_url=settings.public_base_url,
        now=now,
    )
    reward = issued.reward
    image = f"/api/v1/me/redemption-codes/{issued.token}/qr"
    body = CodeOut(
        code=issued.token,
        url=issued.url,
        expires_at=issued.claims.expires_at,
        shop_id=issued.claims.shop_id,
        shop_name=issued.shop.name,
        reward_id=issued.claims.reward_id,
        reward_name_zh=reward.name_zh if reward is not None else "",
        reward_name_en=reward.name_en if reward is not None else "",
        amount_points=issued.claims.amount_points,
        qr_svg=f"{image}.svg",
        qr_png=f"{image}.png",
    )
    return Response(body, status_code=201, headers=NO_STORE)


async def _my_code_url(
    db: AsyncSession, principal: Principal, context: Context, token: str, now: Now
) -> str:
    _, community = await _me(db, principal)
    claims = await codes.read(db, token=token, ledger=community.ledger_id)
    if claims.member_id != principal.member_id:
        raise NotFound(object="redemption_code", id=0)
    if claims.expires_at <= now:
        raise errors.CodeExpired()
    return codes.code_url(context.settings.public_base_url, token)


@get(
    "/api/v1/me/redemption-codes/{code:str}/qr.svg",
    opt=access(Access.MEMBER),
    tags=["redemption"],
    media_type="image/svg+xml",
)
async def code_svg(
    code: FromPath[str], db: Db, principal: Me, context: Context, now: Now
) -> Response[bytes]:
    """The QR image (SVG) of one of my live codes."""
    url = await _my_code_url(db, principal, context, code, now)
    return Response(codes.qr_svg(url), media_type="image/svg+xml", headers=NO_STORE)


@get(
    "/api/v1/me/redemption-codes/{code:str}/qr.png",
    opt=access(Access.MEMBER),
    tags=["redemption"],
    media_type="image/png",
)
async def code_png(
    code: FromPath[str], db: Db, principal: Me, context: Context, now: Now
) -> Response[bytes]:
    """The QR image (PNG) of one of my live codes."""
    url = await _my_code_url(db, principal, context, code, now)
    return Response(codes.qr_png(url), media_type="image/png", headers=NO_STORE)


@get("/api/v1/me/redemptions", opt=access(Access.MEMBER), tags=["redemption"])
async def my_redemptions(
    db: Db,
    principal: Me,
    now: Now,
    before: Annotated[int | None, QueryParameter(ge=1, le=2**31 - 1)] = None,
    limit: Limit = 50,
) -> Page[MyRedemptionOut]:
    """What I redeemed and what is held, newest first; pass `next` as `before`."""
    statement = (
        select(Redemption, Shop.name, Reward, RefundRequest.state)
        .join(Shop, col(Shop.id) == Redemption.shop_id)
        .outerjoin(Reward, col(Reward.id) == Redemption.reward_id)
        .outerjoin(RefundRequest, col(RefundRequest.redemption_id) == Redemption.id)
        .where(Redemption.member_id == principal.member_id)
    )
    if before is not None:
        statement = statement.where(col(Redemption.id) < before)
    rows = (await db.execute(statement.order_by(col(Redemption.id).desc()).limit(limit))).all()
    items = [
        MyRedemptionOut(
            redemption=redemption_out(redemption, now),
            shop_name=shop_name,
            reward_name_zh=reward.name_zh if reward is not None else "",
            reward_name_en=reward.name_en if reward is not None else "",
            refund_state=refund_state,
        )
        for redemption, shop_name, reward, refund_state in rows
    ]
    following = items[-1].redemption.id if len(items) == limit else None
    return Page(items=items, next=following)


ROUTES = [my_rewards, my_shops, new_code, code_svg, code_png, my_redemptions]
