"""The resident's reward pages: what points buy, a code to show at the shop, what was redeemed.

`/rewards` lists the community's rewards on offer now (what the available points buy first)
and the shops that take a free amount; its forms ask for a code, and `/rewards/code/{code}`
shows the code as a QR image with a countdown. The page's script asks
`/rewards/code/{code}/status` every few seconds and reloads once the clerk has scanned or
resolved it; without scripts the page still says until when the code is valid.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath, QueryParameter, URLEncodedBody
from litestar.response import Redirect, Template
from litestar.types import ExceptionHandlersMap
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.access import Access, access
from api.deps import Context, Db, Me, Now
from api.web.i18n import choose_language, translator
from api.web.redemption_views import (
    NO_STORE,
    clock_time,
    community_zone,
    day_time,
    refusal_page,
    reward_name,
    seconds_left,
    state_of,
)
from api.web.render import PAGE_KEY, page
from ledger import service as ledger_service
from ledger.errors import Refusal
from organisation.auth import Principal
from organisation.errors import InvalidInput, NotFound
from organisation.models import Community, Member, Shop
from redemption import catalogue, codes, issuing
from redemption.models import Redemption, RefundRequest, Reward, ShopRedemptionSettings

MINE_PAGE_SIZE = 30
MAX_ID = 2**31 - 1
LIVE = "live"  # a code nobody has scanned yet, still valid
LAPSED = "lapsed"  # a code nobody scanned before it expired
PAGE = {PAGE_KEY: True}
REFUSALS: ExceptionHandlersMap = {
    Refusal: refusal_page("rewards_refused.html", "/rewards", "rw_back")
}


class CodeForm(msgspec.Struct):
    """A reward, or a free amount at a shop; text as the browser sends it."""

    reward_id: str = ""
    shop_id: str = ""
    amount_points: str = ""


@dataclass(frozen=True)
class OfferView:
    reward_id: int
    name: str
    shop_name: str
    is_supermarket: bool
    price_points: int
    stock: int | None
    valid_until: str
    limits: list[tuple[str, int]]
    affordable: bool
    short_points: int


@dataclass(frozen=True)
class FreeShopView:
    shop_id: int
    name: str
    address: str
    opening_hours: str
    max_points: int


@dataclass(frozen=True)
class MineView:
    id: int
    title: str
    shop_name: str
    amount_points: int
    state: str
    refund_state: str | None
    when: str


async def _me(db: AsyncSession, principal: Principal) -> tuple[Member, Community]:
    member = await db.get(Member, principal.member_id)
    assert member is not None
    community = await db.get(Community, member.community_id)
    assert community is not None
    return member, community


def _offer_view(offer: catalogue.Offer, available: int, language: str, tz: ZoneInfo) -> OfferView:
    reward = offer.reward
    limits = [
        (key, value)
        for key, value in (
            ("rw_limit_day", reward.limit_per_day),
            ("rw_limit_month", reward.limit_per_month),
            ("rw_limit_ever", reward.limit_ever),
        )
        if value is not None
    ]
    until = reward.valid_until
    return OfferView(
        reward_id=reward.id or 0,
        name=reward_name(reward, language, ""),
        shop_name=offer.shop.name,
        is_supermarket=offer.is_supermarket,
        price_points=reward.price_points,
        stock=reward.stock,
        valid_until=day_time(until, tz) if until is not None else "",
        limits=limits,
        affordable=offer.affordable,
        short_points=max(0, reward.price_points - available),
    )


async def _free_shops(db: AsyncSession, community_id: int) -> list[FreeShopView]:
    statement = (
        select(Shop, ShopRedemptionSettings.free_amount_max_points)
        .join(ShopRedemptionSettings, col(ShopRedemptionSettings.shop_id) == Shop.id)
        .where(
            Shop.community_id == community_id,
            col(Shop.active).is_(True),
            col(ShopRedemptionSettings.free_amount_max_points) > 0,
        )
        .order_by(col(Shop.id))
    )
    return [
        FreeShopView(shop.id or 0, shop.name, shop.address, shop.opening_hours, most)
        for shop, most in await db.execute(statement)
    ]


@get("/rewards", opt=access(Access.MEMBER, **PAGE), include_in_schema=False)
async def rewards(request: Request[Any, Any, Any], db: Db, principal: Me, now: Now) -> Template:
    """Rewards on offer now, those my available points buy first, and free-amount shops."""
    member, community = await _me(db, principal)
    assert community.id is not None
    found = await catalogue.browse(db, member=member, community=community, now=now)
    held = await ledger_service.balance(
        db, ledger=community.ledger_id, account=member.account, now=now
    )
    language = choose_language(request)
    tz = await community_zone(db, community.id)
    offers = [_offer_view(o, found.available_points, language, tz) for o in found.offers]
    return await page(
        request,
        "rewards_list.html",
        available_points=found.available_points,
        held_points=held.held_points,
        affordable=[o for o in offers if o.affordable],
        out_of_reach=[o for o in offers if not o.affordable],
        free_shops=await _free_shops(db, community.id),
    )


def _number(text: str, field: str) -> int | None:
    """The whole number typed into `field`, None when left empty."""
    if not text.strip():
        return None
    if not text.strip().isdigit() or not 0 < int(text) <= MAX_ID:
        raise InvalidInput(f"{field}: a whole number above zero", field=field)
    return int(text)


@post(
    "/rewards/code",
    opt=access(Access.MEMBER, **PAGE),
    include_in_schema=False,
    exception_handlers=REFUSALS,
)
async def new_code(
    data: URLEncodedBody[CodeForm], db: Db, principal: Me, context: Context, now: Now
) -> Redirect:
    """Ask for a code for a reward or a free amount, then show it."""
    member, community = await _me(db, principal)
    settings = context.settings
    issued = await issuing.issue_code(
        db,
        keystore=context.keystore,
        community=community,
        member=member,
        reward_id=_number(data.reward_id, "reward_id"),
        shop_id=_number(data.shop_id, "shop_id"),
        amount_points=_number(data.amount_points, "amount_points"),
        ttl_seconds=settings.redemption_ttl_seconds,
        public_base_url=settings.public_base_url,
        now=now,
    )
    return Redirect(f"/rewards/code/{issued.token}", status_code=303)


@dataclass(frozen=True)
class CodeView:
    token: str
    title: str
    shop_name: str
    amount_points: int
    reward_id: int | None
    shop_id: int
    state: str
    expires_at: str
    seconds_left: int


async def _my_code(
    db: AsyncSession, principal: Principal, token: str, now: datetime, language: str
) -> CodeView:
    """One of my codes and how far it got; someone else's code is NotFound."""
    _, community = await _me(db, principal)
    claims = await codes.read(db, token=token, ledger=community.ledger_id)
    if claims.member_id != principal.member_id:
        raise NotFound(object="redemption_code", id=0)
    shop = await db.get(Shop, claims.shop_id)
    assert shop is not None
    reward = None if claims.reward_id is None else await db.get(Reward, claims.reward_id)
    scanned = await db.scalar(select(Redemption).where(Redemption.code_id == claims.code_id))
    if scanned is not None:
        state = state_of(scanned, now)
    else:
        state = LIVE if claims.expires_at > now else LAPSED
    tz = await community_zone(db, community.id or 0)
    return CodeView(
        token=token,
        title=reward_name(reward, language, translator(language)["rw_free_title"]),
        shop_name=shop.name,
        amount_points=claims.amount_points,
        reward_id=claims.reward_id,
        shop_id=claims.shop_id,
        state=state,
        expires_at=clock_time(claims.expires_at, tz),
        seconds_left=seconds_left(claims.expires_at, now),
    )


@get(
    "/rewards/code/{code:str}",
    opt=access(Access.MEMBER, **PAGE),
    include_in_schema=False,
    exception_handlers=REFUSALS,
)
async def code_page(
    request: Request[Any, Any, Any], code: FromPath[str], db: Db, principal: Me, now: Now
) -> Template:
    """My code as a QR image with a countdown, or what became of it."""
    view = await _my_code(db, principal, code, now, choose_language(request))
    shown = await page(
        request,
        "redeem_code.html",
        code=view,
        qr_src=f"/api/v1/me/redemption-codes/{view.token}/qr.svg",
    )
    shown.headers.update(NO_STORE)
    return shown


@get(
    "/rewards/code/{code:str}/status",
    opt=access(Access.MEMBER),
    include_in_schema=False,
)
async def code_status(
    request: Request[Any, Any, Any], code: FromPath[str], db: Db, principal: Me, now: Now
) -> Response[dict[str, Any]]:
    """How far my code got (live, lapsed, held, committed, voided, expired), for the page's
    script; refusals answer as problem details like the API."""
    view = await _my_code(db, principal, code, now, choose_language(request))
    body = {"state": view.state, "seconds_left": view.seconds_left}
    return Response(body, headers=NO_STORE)


def _mine_view(
    redemption: Redemption,
    shop_name: str,
    reward: Reward | None,
    refund_state: str | None,
    *,
    now: datetime,
    language: str,
    tz: ZoneInfo,
) -> MineView:
    return MineView(
        id=redemption.id or 0,
        title=reward_name(reward, language, translator(language)["rw_free_title"]),
        shop_name=shop_name,
        amount_points=redemption.amount_points,
        state=state_of(redemption, now),
        refund_state=refund_state,
        when=day_time(redemption.scanned_at, tz),
    )


@get("/rewards/mine", opt=access(Access.MEMBER, **PAGE), include_in_schema=False)
async def mine(
    request: Request[Any, Any, Any],
    db: Db,
    principal: Me,
    now: Now,
    before: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
) -> Template:
    """What I redeemed and what is held, newest first."""
    member, community = await _me(db, principal)
    statement = (
        select(Redemption, Shop.name, Reward, RefundRequest.state)
        .join(Shop, col(Shop.id) == Redemption.shop_id)
        .outerjoin(Reward, col(Reward.id) == Redemption.reward_id)
        .outerjoin(RefundRequest, col(RefundRequest.redemption_id) == Redemption.id)
        .where(Redemption.member_id == principal.member_id)
    )
    if before is not None:
        statement = statement.where(col(Redemption.id) < before)
    statement = statement.order_by(col(Redemption.id).desc()).limit(MINE_PAGE_SIZE)
    language = choose_language(request)
    tz = await community_zone(db, community.id or 0)
    items = [
        _mine_view(redemption, shop, reward, refund, now=now, language=language, tz=tz)
        for redemption, shop, reward, refund in await db.execute(statement)
    ]
    balance = await ledger_service.balance(
        db, ledger=community.ledger_id, account=member.account, now=now
    )
    return await page(
        request,
        "rewards_mine.html",
        items=items,
        balance=balance,
        next_before=items[-1].id if len(items) == MINE_PAGE_SIZE else None,
    )


ROUTES = [rewards, new_code, code_page, code_status, mine]
