"""The community itself (name, whether its ledger is public, its redemption policy) and its
grids and buildings.

The redemption policy (time zone, refund window, points expiry) is replaced as a whole with
the redemption layer's `policy.set_community_policy`, checked with the JSON API's own request
struct, as `PUT .../redemption-settings` does.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, func, select

from api.access import Access, access
from api.deps import Db, Me
from api.routes.manage_places import BuildingIn, BuildingPatch, CommunityPatch, GridIn
from api.routes.redemption_schemas import CommunitySettingsIn
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
    invalid,
    parse,
    staff_scope,
)
from ledger.errors import Refusal
from organisation import service as org
from organisation.models import Building, Grid, Member, SubDistrict
from redemption import policy
from redemption.periods import PERIOD_UNITS

MAX_PLACES = 500
# Every field of the redemption policy form: left empty, the request struct's defaults would
# replace what is stored unasked.
POLICY_FIELDS = ("timezone", "refund_window_days", "expiry_period", "expiry_after_periods")


async def _community_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    scope: Scope,
    *,
    refusal: Refusal | None = None,
    values: dict[str, str] | None = None,
    done: str | None = None,
) -> Template:
    district = await db.get(SubDistrict, scope.community.sub_district_id)
    return await admin_page(
        request,
        scope,
        "admin_community.html",
        section="community",
        district=district,
        redemption=await policy.community_policy(db, scope.id),
        period_units=PERIOD_UNITS,
        refusal=refusal,
        values=values,
        done=done,
    )


@get(BASE + "/community", opt=access(Access.STAFF, **PAGE), include_in_schema=False)
async def community_page(
    request: Request[Any, Any, Any], community_id: PathId, db: Db, principal: Me, done: Done = None
) -> Template:
    """The community's name, ledger id, whether its ledger is public, and its redemption
    policy."""
    scope = await staff_scope(db, principal, community_id)
    return await _community_page(request, db, scope, done=done)


@post(BASE + "/community", opt=access(Access.ADMIN, **PAGE), include_in_schema=False)
async def update_community(
    request: Request[Any, Any, Any], community_id: PathId, db: Db, principal: Me
) -> Template | Redirect:
    """Rename the community, or make its ledger public (or members-only again)."""
    scope = await admin_scope(db, principal, community_id)
    fields = await form_of(request)

    async def save() -> None:
        data = parse(CommunityPatch, {**fields, "ledger_public": "ledger_public" in fields})
        if data.name is not None:
            scope.community.name = data.name
        if data.ledger_public is not None:
            scope.community.ledger_public = data.ledger_public
        await db.flush()

    refused = await attempt(db, save)
    if isinstance(refused, Refusal):
        return await _community_page(request, db, scope, refusal=refused, values=fields)
    return Redirect(f"{scope.base}/community?done=saved", status_code=303)


@post(
    BASE + "/community/redemption-settings",
    opt=access(Access.ADMIN, **PAGE),
    include_in_schema=False,
)
async def update_redemption_policy(
    request: Request[Any, Any, Any], community_id: PathId, db: Db, principal: Me
) -> Template | Redirect:
    """Replace the community's redemption policy: time zone, refund window, points expiry."""
    scope = await admin_scope(db, principal, community_id)
    fields = await form_of(request)

    async def save() -> None:
        for name in POLICY_FIELDS:
            if not fields.get(name):
                raise invalid(name, "required")
        data = parse(CommunitySettingsIn, {**fields, "expiry_enabled": "expiry_enabled" in fields})
        await policy.set_community_policy(
            db,
            community_id=scope.id,
            timezone=data.timezone,
            refund_window_days=data.refund_window_days,
            expiry_enabled=data.expiry_enabled,
            expiry_period=data.expiry_period,
            expiry_after_periods=data.expiry_after_periods,
        )

    refused = await attempt(db, save)
    if isinstance(refused, Refusal):
        return await _community_page(request, db, scope, refusal=refused, values=fields)
    return Redirect(f"{scope.base}/community?done=saved", status_code=303)


async def _places_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    scope: Scope,
    *,
    refusal: Refusal | None = None,
    values: dict[str, str] | None = None,
    done: str | None = None,
) -> Template:
    grids = await org.page_in_community(
        db, Grid, community_id=scope.id, after=None, limit=MAX_PLACES
    )
    buildings = await org.page_in_community(
        db, Building, community_id=scope.id, after=None, limit=MAX_PLACES
    )
    residents: dict[int | None, int] = dict(
        (
            await db.execute(
                select(Member.building_id, func.count(col(Member.id)))
                .where(Member.community_id == scope.id, col(Member.building_id).is_not(None))
                .group_by(col(Member.building_id))
            )
        ).all()
    )
    return await admin_page(
        request,
        scope,
        "admin_places.html",
        section="places",
        grids=grids,
        buildings_of={g.id: [b for b in buildings if b.grid_id == g.id] for g in grids},
        residents=residents,
        refusal=refusal,
        values=values,
        done=done,
    )


@get(BASE + "/places", opt=access(Access.STAFF, **PAGE), include_in_schema=False)
async def places_page(
    request: Request[Any, Any, Any], community_id: PathId, db: Db, principal: Me, done: Done = None
) -> Template:
    """Grids and their buildings, with how many residents live in each building."""
    scope = await staff_scope(db, principal, community_id)
    return await _places_page(request, db, scope, done=done)


async def _places_result(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    scope: Scope,
    outcome: object,
    fields: dict[str, str],
    done: str,
) -> Template | Redirect:
    if isinstance(outcome, Refusal):
        return await _places_page(request, db, scope, refusal=outcome, values=fields)
    return Redirect(f"{scope.base}/places?done={done}", status_code=303)


@post(BASE + "/grids", opt=access(Access.ADMIN, **PAGE), include_in_schema=False)
async def create_grid(
    request: Request[Any, Any, Any], community_id: PathId, db: Db, principal: Me
) -> Template | Redirect:
    """A new grid of the community."""
    scope = await admin_scope(db, principal, community_id)
    fields = await form_of(request)

    async def create() -> Grid:
        data = parse(GridIn, fields)
        return await org.create_grid(db, community_id=scope.id, name=data.name)

    return await _places_result(request, db, scope, await attempt(db, create), fields, "created")


@post(BASE + "/grids/{grid_id:int}", opt=access(Access.ADMIN, **PAGE), include_in_schema=False)
async def rename_grid(
    request: Request[Any, Any, Any], community_id: PathId, grid_id: PathId, db: Db, principal: Me
) -> Template | Redirect:
    """Rename a grid of the community."""
    scope = await admin_scope(db, principal, community_id)
    grid = await org.get_in_community(db, Grid, grid_id, scope.id)
    fields = await form_of(request)

    async def rename() -> None:
        grid.name = parse(GridIn, fields).name
        await db.flush()

    return await _places_result(request, db, scope, await attempt(db, rename), fields, "saved")


@post(BASE + "/buildings", opt=access(Access.ADMIN, **PAGE), include_in_schema=False)
async def create_building(
    request: Request[Any, Any, Any], community_id: PathId, db: Db, principal: Me
) -> Template | Redirect:
    """A new building in one of the community's grids."""
    scope = await admin_scope(db, principal, community_id)
    fields = await form_of(request)

    async def create() -> Building:
        data = parse(BuildingIn, fields)
        return await org.create_building(
            db, community_id=scope.id, grid_id=data.grid_id, name=data.name
        )

    return await _places_result(request, db, scope, await attempt(db, create), fields, "created")


@post(
    BASE + "/buildings/{building_id:int}",
    opt=access(Access.ADMIN, **PAGE),
    include_in_schema=False,
)
async def update_building(
    request: Request[Any, Any, Any],
    community_id: PathId,
    building_id: PathId,
    db: Db,
    principal: Me,
) -> Template | Redirect:
    """Rename a building, or move it to another grid of the community."""
    scope = await admin_scope(db, principal, community_id)
    building = await org.get_in_community(db, Building, building_id, scope.id)
    fields = await form_of(request)

    async def save() -> None:
        data = parse(BuildingPatch, fields)
        if data.grid_id is not None:
            await org.get_in_community(db, Grid, data.grid_id, scope.id)
            building.grid_id = data.grid_id
        if data.name is not None:
            building.name = data.name
        await db.flush()

    return await _places_result(request, db, scope, await attempt(db, save), fields, "saved")


ROUTES = [
    community_page,
    update_community,
    update_redemption_policy,
    places_page,
    create_grid,
    rename_grid,
    create_building,
    update_building,
]
