"""Partner shops with their clerks and redemption settings.

Clerks are role grants named as captains are (admin_teams `grant_role_to`); revoking one is
admin_teams' `revoke_grant`. A shop's redemption settings are set in admin_shop_settings,
which shows its outcome on the shops page here (`shops_result`).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.access import Access, access
from api.deps import Db, Me, Now
from api.routes.manage_teams import ShopIn, ShopPatch
from api.web.admin_common import (
    BASE,
    PAGE,
    Done,
    PathId,
    Scope,
    admin_page,
    admin_scope,
    attempt,
    form_of,
    parse,
    staff_scope,
)
from api.web.admin_teams import MAX_ROWS, grant_role_to, holders
from ledger.errors import Refusal
from organisation import service as org
from organisation.models import RoleGrant, Shop
from redemption.models import ShopRedemptionSettings


async def _shops_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    scope: Scope,
    *,
    refusal: Refusal | None = None,
    values: dict[str, str] | None = None,
    done: str | None = None,
) -> Template:
    shops = await org.page_in_community(db, Shop, community_id=scope.id, after=None, limit=MAX_ROWS)
    ids = [s.id or 0 for s in shops]
    settings = {
        row.shop_id: row
        for row in (
            await db.execute(
                select(ShopRedemptionSettings).where(col(ShopRedemptionSettings.shop_id).in_(ids))
            )
        ).scalars()
    }
    return await admin_page(
        request,
        scope,
        "admin_shops.html",
        section="shops",
        shops=shops,
        settings=settings,
        clerks=await holders(db, "clerk", ids),
        refusal=refusal,
        values=values,
        done=done,
    )


@get(BASE + "/shops", opt=access(Access.STAFF, **PAGE), include_in_schema=False)
async def shops_page(
    request: Request[Any, Any, Any], community_id: PathId, db: Db, principal: Me, done: Done = None
) -> Template:
    """The community's partner shops with their clerks and redemption settings."""
    scope = await staff_scope(db, principal, community_id)
    return await _shops_page(request, db, scope, done=done)


async def shops_result(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    scope: Scope,
    outcome: object,
    fields: dict[str, str],
    done: str,
) -> Template | Redirect:
    """The shops page again with a form's refusal, or back to it saying what was done."""
    if isinstance(outcome, Refusal):
        return await _shops_page(request, db, scope, refusal=outcome, values=fields)
    return Redirect(f"{scope.base}/shops?done={done}", status_code=303)


@post(BASE + "/shops", opt=access(Access.ADMIN, **PAGE), include_in_schema=False)
async def create_shop(
    request: Request[Any, Any, Any], community_id: PathId, db: Db, principal: Me
) -> Template | Redirect:
    """A new partner shop with its ledger account."""
    scope = await admin_scope(db, principal, community_id)
    fields = await form_of(request)

    async def create() -> Shop:
        data = parse(ShopIn, fields)
        return await org.create_shop(
            db,
            community=scope.community,
            name=data.name,
            address=data.address,
            opening_hours=data.opening_hours,
            contact=data.contact,
        )

    return await shops_result(request, db, scope, await attempt(db, create), fields, "created")


@post(BASE + "/shops/{shop_id:int}", opt=access(Access.ADMIN, **PAGE), include_in_schema=False)
async def update_shop(
    request: Request[Any, Any, Any], community_id: PathId, shop_id: PathId, db: Db, principal: Me
) -> Template | Redirect:
    """Change a shop's details, or deactivate (or reactivate) it; its history stays."""
    scope = await admin_scope(db, principal, community_id)
    shop = await org.get_in_community(db, Shop, shop_id, scope.id)
    fields = await form_of(request)

    async def save() -> None:
        data = parse(ShopPatch, {**fields, "active": "active" in fields})
        for name in ("name", "address", "opening_hours", "contact", "active"):
            value = getattr(data, name)
            if value is not None:
                setattr(shop, name, value)
        await db.flush()

    outcome = await attempt(db, save)
    return await shops_result(request, db, scope, outcome, fields, "saved")


@post(
    BASE + "/shops/{shop_id:int}/clerks",
    opt=access(Access.ADMIN, **PAGE),
    include_in_schema=False,
)
async def grant_clerk(
    request: Request[Any, Any, Any],
    community_id: PathId,
    shop_id: PathId,
    db: Db,
    principal: Me,
    now: Now,
) -> Template | Redirect:
    """Make a member of the community a clerk of this shop."""
    scope = await admin_scope(db, principal, community_id)
    shop = await org.get_in_community(db, Shop, shop_id, scope.id)
    fields = await form_of(request)

    async def grant() -> RoleGrant:
        return await grant_role_to(db, scope, fields.get("member"), "clerk", shop.id or 0, now)

    outcome = await attempt(db, grant)
    return await shops_result(request, db, scope, outcome, fields, "granted")


ROUTES = [shops_page, create_shop, update_shop, grant_clerk]
