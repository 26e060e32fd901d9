"""The clerk's counter: the page a scanned redemption code opens, confirm or cancel, the day's
redemptions and the shop statement.

Opening `/r/{code}` scans the code at the clerk's shop (places the hold and reserves the
stock) and sends the clerk to the redemption's page, where big buttons confirm or cancel.
Opening the same URL again shows the same redemption, so a reload never scans twice. A clerk
of several shops first says which shop they are at. Only the clerks of a redemption's shop
see it; for anyone else it does not exist (404).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import Request, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template
from litestar.types import ExceptionHandlersMap
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.access import Access, access
from api.deps import Context, Db, Me, Now
from api.web import refund_pages
from api.web.i18n import choose_language, translator
from api.web.redemption_views import (
    NO_STORE,
    clock_time,
    community_zone,
    day_time,
    local,
    refusal_page,
    reward_name,
    seconds_left,
    state_of,
)
from api.web.render import PAGE_KEY, page
from ledger.errors import Refusal
from ledger.types import HoldAction
from organisation.auth import Principal
from organisation.errors import InvalidInput, NotFound
from organisation.models import Community, Shop
from redemption import codes, holds, statements
from redemption.models import COMMITTED, Redemption, Reward
from redemption.periods import dates_span

PAGE = {PAGE_KEY: True}
MAX_ID = 2**31 - 1
TODAY_LIMIT = 200
STATEMENT_LINES_SHOWN = 500
COUNTER_REFUSALS: ExceptionHandlersMap = {
    Refusal: refusal_page("clerk_refused.html", "/clerk", "ck_back")
}
TOKEN_TEXT = re.compile(r"[A-Za-z0-9_-]{1,500}")
ShopChoice = Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)]


@dataclass(frozen=True)
class RedemptionView:
    id: int
    title: str
    shop_name: str
    amount_points: int
    member_account: str
    state: str
    scanned_at: str
    hold_until: str
    seconds_left: int


async def _my_shops(db: AsyncSession, principal: Principal) -> list[Shop]:
    """The shops the caller is a clerk of, in a stable order."""
    statement = select(Shop).where(col(Shop.id).in_(principal.clerk_of)).order_by(col(Shop.id))
    return list((await db.execute(statement)).scalars())


def _chosen(shops: list[Shop], shop_id: int | None) -> Shop:
    """The shop asked for (one of mine, else NotFound), or my only shop."""
    if shop_id is None:
        return shops[0]
    for shop in shops:
        if shop.id == shop_id:
            return shop
    raise NotFound(object="shop", id=shop_id)


async def _community(db: AsyncSession, shop: Shop) -> Community:
    community = await db.get(Community, shop.community_id)
    assert community is not None
    return community


async def _code_shop_id(db: AsyncSession, shops: list[Shop], token: str) -> int | None:
    """The shop a code names, if it reads as a code of one of my shops' communities."""
    for community_id in sorted({shop.community_id for shop in shops}):
        community = await db.get(Community, community_id)
        assert community is not None
        try:
            return (await codes.read(db, token=token, ledger=community.ledger_id)).shop_id
        except Refusal:
            continue
    return None


@get(
    "/r/{code:str}",
    opt=access(Access.CLERK, **PAGE),
    include_in_schema=False,
    exception_handlers=COUNTER_REFUSALS,
)
async def scan_code(
    request: Request[Any, Any, Any],
    code: FromPath[str],
    db: Db,
    principal: Me,
    context: Context,
    now: Now,
    shop: ShopChoice = None,
) -> Template | Redirect:
    """Scan a resident's code at my shop and go to its confirm page (once per code)."""
    shops = await _my_shops(db, principal)
    if shop is None and len(shops) > 1:
        return await page(
            request,
            "clerk_choose_shop.html",
            shops=shops,
            code=code,
            code_shop_id=await _code_shop_id(db, shops, code),
        )
    chosen = _chosen(shops, shop)
    community = await _community(db, chosen)
    claims = await codes.read(db, token=code, ledger=community.ledger_id)
    known = await db.scalar(select(Redemption).where(Redemption.code_id == claims.code_id))
    if known is not None and known.shop_id == chosen.id:
        return Redirect(f"/clerk/redemptions/{known.id}", status_code=303)
    held = await holds.scan(
        db,
        keystore=context.keystore,
        community=community,
        shop=chosen,
        clerk_id=principal.member_id,
        token=code,
        hold_ttl_seconds=context.settings.hold_ttl_seconds,
        now=now,
    )
    return Redirect(f"/clerk/redemptions/{held.id}", status_code=303)


@get("/clerk/scan", opt=access(Access.CLERK, **PAGE), include_in_schema=False)
async def typed_code(
    code: Annotated[str, QueryParameter(min_length=1, max_length=500)],
) -> Redirect:
    """A code typed or pasted at the counter (or its URL) opens like a scanned one."""
    scanned = codes.token_from_scan(code)
    # Not even code-shaped: open "-" instead, which the code reader refuses as malformed.
    shaped = scanned if TOKEN_TEXT.fullmatch(scanned) else "-"
    return Redirect(f"/r/{shaped}", status_code=303)


async def _in_scope(
    db: AsyncSession, principal: Principal, redemption_id: int
) -> tuple[Redemption, Shop, Community]:
    """A redemption of one of my shops; anything else is NotFound."""
    found = await db.get(Redemption, redemption_id)
    if found is None or found.shop_id not in principal.clerk_of:
        raise NotFound(object="redemption", id=redemption_id)
    shop = await db.get(Shop, found.shop_id)
    assert shop is not None
    return found, shop, await _community(db, shop)


def _view(
    redemption: Redemption,
    shop: Shop,
    reward: Reward | None,
    now: datetime,
    language: str,
    tz: ZoneInfo,
) -> RedemptionView:
    return RedemptionView(
        id=redemption.id or 0,
        title=reward_name(reward, language, translator(language)["rw_free_title"]),
        shop_name=shop.name,
        amount_points=redemption.amount_points,
        member_account=redemption.member_account,
        state=state_of(redemption, now),
        scanned_at=day_time(redemption.scanned_at, tz),
        hold_until=clock_time(redemption.hold_expires_at or now, tz),
        seconds_left=seconds_left(redemption.hold_expires_at, now),
    )


@get(
    "/clerk/redemptions/{redemption_id:int}",
    opt=access(Access.CLERK, **PAGE),
    include_in_schema=False,
    exception_handlers=COUNTER_REFUSALS,
)
async def redemption_page(
    request: Request[Any, Any, Any],
    redemption_id: FromPath[int],
    db: Db,
    principal: Me,
    now: Now,
    refund_done: refund_pages.RefundDone = None,
) -> Template:
    """The confirm page of a held redemption, or how it ended (and its refund)."""
    redemption, shop, community = await _in_scope(db, principal, redemption_id)
    reward = None if redemption.reward_id is None else await db.get(Reward, redemption.reward_id)
    tz = await community_zone(db, community.id or 0)
    view = _view(redemption, shop, reward, now, choose_language(request), tz)
    refund = await refund_pages.clerk_refund(db, redemption, refund_done)
    shown = await page(request, "clerk_redemption.html", r=view, refund=refund)
    shown.headers.update(NO_STORE)
    return shown


async def _resolve(
    db: AsyncSession,
    principal: Principal,
    context: Context,
    redemption_id: int,
    action: HoldAction,
    now: datetime,
) -> Redirect:
    redemption, _, community = await _in_scope(db, principal, redemption_id)
    await holds.resolve(
        db,
        keystore=context.keystore,
        community=community,
        redemption=redemption,
        action=action,
        clerk_id=principal.member_id,
        now=now,
    )
    return Redirect(f"/clerk/redemptions/{redemption_id}", status_code=303)


@post(
    "/clerk/redemptions/{redemption_id:int}/confirm",
    opt=access(Access.CLERK, **PAGE),
    include_in_schema=False,
    exception_handlers=COUNTER_REFUSALS,
)
async def confirm(
    redemption_id: FromPath[int], db: Db, principal: Me, context: Context, now: Now
) -> Redirect:
    """Confirm the hand-over: the held points move to the shop; repeating it is harmless."""
    return await _resolve(db, principal, context, redemption_id, "commit", now)


@post(
    "/clerk/redemptions/{redemption_id:int}/cancel",
    opt=access(Access.CLERK, **PAGE),
    include_in_schema=False,
    exception_handlers=COUNTER_REFUSALS,
)
async def cancel(
    redemption_id: FromPath[int], db: Db, principal: Me, context: Context, now: Now
) -> Redirect:
    """Cancel: the points and the reserved stock return; repeating it is harmless."""
    return await _resolve(db, principal, context, redemption_id, "void", now)


@dataclass(frozen=True)
class ShopDay:
    shop: Shop
    rows: list[RedemptionView]
    confirmed_count: int
    confirmed_points: int


async def _shop_day(db: AsyncSession, shop: Shop, now: datetime, language: str) -> ShopDay:
    tz = await community_zone(db, shop.community_id)
    today = local(now, tz).date()
    start, end = dates_span(today, today, tz)
    statement = (
        select(Redemption, Reward)
        .outerjoin(Reward, col(Reward.id) == Redemption.reward_id)
        .where(
            Redemption.shop_id == shop.id,
            col(Redemption.scanned_at) >= start,
            col(Redemption.scanned_at) < end,
        )
        .order_by(col(Redemption.id).desc())
        .limit(TODAY_LIMIT)
    )
    rows = [_view(r, shop, w, now, language, tz) for r, w in await db.execute(statement)]
    done = [row for row in rows if row.state == COMMITTED]
    return ShopDay(shop, rows, len(done), sum(row.amount_points for row in done))


@get("/clerk", opt=access(Access.CLERK, **PAGE), include_in_schema=False)
async def counter(request: Request[Any, Any, Any], db: Db, principal: Me, now: Now) -> Template:
    """Today's redemptions of each of my shops, newest first."""
    language = choose_language(request)
    days = [await _shop_day(db, shop, now, language) for shop in await _my_shops(db, principal)]
    return await page(request, "clerk_counter.html", days=days)


def _date(text: str | None, default: date, field: str) -> date:
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(f"{field}: a date like 2026-03-01", field=field) from exc


@get(
    "/clerk/statement",
    opt=access(Access.CLERK, **PAGE),
    include_in_schema=False,
    exception_handlers=COUNTER_REFUSALS,
)
async def statement(
    request: Request[Any, Any, Any],
    db: Db,
    principal: Me,
    now: Now,
    shop: ShopChoice = None,
    first: Annotated[str | None, QueryParameter(name="from", max_length=10)] = None,
    last: Annotated[str | None, QueryParameter(name="to", max_length=10)] = None,
) -> Template:
    """My shop's statement for a period (this month by default), with the CSV link."""
    shops = await _my_shops(db, principal)
    chosen = _chosen(shops, shop)
    tz = await community_zone(db, chosen.community_id)
    today = local(now, tz).date()
    period_first = _date(first, today.replace(day=1), "from")
    period_last = _date(last, today, "to")
    found = await statements.shop_statement(
        db,
        community=await _community(db, chosen),
        shop=chosen,
        first=period_first,
        last=period_last,
    )
    query = f"from={period_first.isoformat()}&to={period_last.isoformat()}"
    return await page(
        request,
        "clerk_statement.html",
        shops=shops,
        chosen=chosen,
        s=found,
        lines=[
            (day_time(datetime.fromisoformat(line.ts), tz), line)
            for line in found.lines[:STATEMENT_LINES_SHOWN]
        ],
        shown_limit=STATEMENT_LINES_SHOWN,
        more_lines=len(found.lines) > STATEMENT_LINES_SHOWN,
        csv_href=f"/api/v1/shops/{chosen.id}/statement.csv?{query}",
        first=period_first.isoformat(),
        last=period_last.isoformat(),
    )


ROUTES = [scan_code, typed_code, redemption_page, confirm, cancel, counter, statement]
