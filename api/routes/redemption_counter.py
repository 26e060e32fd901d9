"""The shop counter: scan a code, confirm or cancel, ask for a refund, read the statement.

Scanning and resolving are for clerks of the shop. Statements are for the shop's clerks and
the community's admins and auditors. Anything outside the caller's scope answers 404.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import Response, get, post
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.access import Access, access, require_clerk
from api.deps import Context, Db, Me, Now
from api.pagination import Limit, Offset
from api.routes.redemption_schemas import (
    RedemptionOut,
    RefundOut,
    RefundRequestIn,
    ScanIn,
    StatementOut,
    redemption_out,
    refund_out,
    statement_out,
)
from ledger.types import HoldAction
from organisation.auth import Principal
from organisation.errors import NotFound
from organisation.models import Community, Shop
from redemption import codes, holds, refunds, statements
from redemption.models import Redemption
from redemption.periods import dates_span, zone
from redemption.policy import community_policy

ShopId = FromPath[int]
CSV = "text/csv"  # the framework adds "; charset=utf-8"
StateFilter = Annotated[str | None, QueryParameter(pattern="^(held|committed|voided|expired)$")]


async def _shop(db: AsyncSession, shop_id: int) -> tuple[Shop, Community]:
    shop = await db.get(Shop, shop_id)
    if shop is None:
        raise NotFound(object="shop", id=shop_id)
    community = await db.get(Community, shop.community_id)
    assert community is not None
    return shop, community


async def _clerk_shop(
    db: AsyncSession, principal: Principal, shop_id: int
) -> tuple[Shop, Community]:
    """The shop if the caller is one of its clerks; 404 otherwise."""
    shop, community = await _shop(db, shop_id)
    require_clerk(principal, shop_id, shop.community_id)
    return shop, community


async def _readable_shop(
    db: AsyncSession, principal: Principal, shop_id: int
) -> tuple[Shop, Community]:
    """The shop if the caller is its clerk or reads its community (admin, auditor)."""
    shop, community = await _shop(db, shop_id)
    if shop_id not in principal.clerk_of and not principal.can_read_community(shop.community_id):
        raise NotFound(object="shop", id=shop_id)
    return shop, community


@post("/api/v1/shops/{shop_id:int}/scans", opt=access(Access.CLERK), tags=["redemption"])
async def scan(
    shop_id: ShopId, data: JSONBody[ScanIn], db: Db, principal: Me, context: Context, now: Now
) -> Response[RedemptionOut]:
    """Scan a resident's code: hold its points and reserve the reward, until confirmed."""
    shop, community = await _clerk_shop(db, principal, shop_id)
    redemption = await holds.scan(
        db,
        keystore=context.keystore,
        community=community,
        shop=shop,
        clerk_id=principal.member_id,
        token=codes.token_from_scan(data.code),
        hold_ttl_seconds=context.settings.hold_ttl_seconds,
        now=now,
    )
    return Response(redemption_out(redemption, now), status_code=201)


async def _resolve(
    db: AsyncSession,
    principal: Principal,
    context: Context,
    shop_id: int,
    redemption_id: int,
    action: HoldAction,
    now: Now,
) -> RedemptionOut:
    shop, community = await _clerk_shop(db, principal, shop_id)
    found = await holds.get_at_shop(db, redemption_id=redemption_id, shop=shop)
    resolved = await holds.resolve(
        db,
        keystore=context.keystore,
        community=community,
        redemption=found,
        action=action,
        clerk_id=principal.member_id,
        now=now,
    )
    return redemption_out(resolved, now)


@post(
    "/api/v1/shops/{shop_id:int}/redemptions/{redemption_id:int}/commit",
    opt=access(Access.CLERK),
    tags=["redemption"],
    status_code=200,
)
async def commit(
    shop_id: ShopId, redemption_id: FromPath[int], db: Db, principal: Me, context: Context, now: Now
) -> RedemptionOut:
    """Confirm the hand-over: the held points move to the shop. Repeating it is harmless."""
    return await _resolve(db, principal, context, shop_id, redemption_id, "commit", now)


@post(
    "/api/v1/shops/{shop_id:int}/redemptions/{redemption_id:int}/void",
    opt=access(Access.CLERK),
    tags=["redemption"],
    status_code=200,
)
async def void(
    shop_id: ShopId, redemption_id: FromPath[int], db: Db, principal: Me, context: Context, now: Now
) -> RedemptionOut:
    """Cancel: the hold and the reserved stock return. Repeating it is harmless."""
    return await _resolve(db, principal, context, shop_id, redemption_id, "void", now)


@get("/api/v1/shops/{shop_id:int}/redemptions", opt=access(Access.MEMBER), tags=["redemption"])
async def shop_redemptions(
    shop_id: ShopId,
    db: Db,
    principal: Me,
    now: Now,
    on: Annotated[date | None, QueryParameter(description="a local date")] = None,
    state_filter: StateFilter = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[RedemptionOut]:
    """The shop's redemptions, newest first; `on` keeps one local day (e.g. today)."""
    shop, _ = await _readable_shop(db, principal, shop_id)
    statement = select(Redemption).where(Redemption.shop_id == shop.id)
    if on is not None:
        policy = await community_policy(db, shop.community_id)
        start, end = dates_span(on, on, zone(policy.timezone))
        statement = statement.where(
            col(Redemption.scanned_at) >= start, col(Redemption.scanned_at) < end
        )
    if state_filter is not None:
        statement = statement.where(Redemption.state == state_filter)
    statement = statement.order_by(col(Redemption.id).desc()).limit(limit).offset(offset)
    found = (await db.execute(statement)).scalars()
    return [redemption_out(r, now) for r in found]


@post(
    "/api/v1/shops/{shop_id:int}/redemptions/{redemption_id:int}/refund-request",
    opt=access(Access.CLERK),
    tags=["redemption"],
)
async def request_refund(
    shop_id: ShopId,
    redemption_id: FromPath[int],
    data: JSONBody[RefundRequestIn],
    db: Db,
    principal: Me,
    now: Now,
) -> Response[RefundOut]:
    """Ask an admin to give a confirmed redemption's points back to the resident."""
    shop, _ = await _clerk_shop(db, principal, shop_id)
    found = await holds.get_at_shop(db, redemption_id=redemption_id, shop=shop)
    refund = await refunds.request_refund(
        db, redemption=found, clerk_id=principal.member_id, reason=data.reason, now=now
    )
    return Response(refund_out(refund), status_code=201)


async def _statement(
    db: AsyncSession, principal: Principal, shop_id: int, first: date, last: date
) -> statements.Statement:
    shop, community = await _readable_shop(db, principal, shop_id)
    return await statements.shop_statement(
        db, community=community, shop=shop, first=first, last=last
    )


FromDate = Annotated[date, QueryParameter(name="from", description="first local date")]
ToDate = Annotated[date, QueryParameter(name="to", description="last local date, inclusive")]


@get("/api/v1/shops/{shop_id:int}/statement", opt=access(Access.MEMBER), tags=["redemption"])
async def statement_json(
    shop_id: ShopId, db: Db, principal: Me, first: FromDate, last: ToDate
) -> StatementOut:
    """The shop's statement for local dates `from` to `to`: redemptions, refunds,
    settlements, points received, opening and closing balance."""
    return statement_out(await _statement(db, principal, shop_id, first, last))


@get(
    "/api/v1/shops/{shop_id:int}/statement.csv",
    opt=access(Access.MEMBER),
    tags=["redemption"],
    media_type=CSV,
)
async def statement_csv(
    shop_id: ShopId, db: Db, principal: Me, first: FromDate, last: ToDate
) -> Response[str]:
    """The same statement as CSV (UTF-8 with a byte-order mark, for spreadsheets)."""
    found = await _statement(db, principal, shop_id, first, last)
    name = f"shop-{shop_id}-{first.isoformat()}-{last.isoformat()}.csv"
    return Response(
        statements.statement_csv(found),
        media_type=CSV,
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


ROUTES = [scan, commit, void, shop_redemptions, request_refund, statement_json, statement_csv]
