"""Management of the hierarchy: sub-districts, communities, grids and buildings.

District admins run their sub-district and create its communities; a community's admins
change its name and whether its ledger is public, and run its grids and buildings.
Auditors of a community read what its admins read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from litestar import get, patch, post
from litestar.params import JSONBody
from sqlmodel import col, select

from api.access import Access, access, require_admin, require_staff
from api.deps import Context, Db, Me, Now
from api.pagination import Limit, Page
from api.routes.manage_common import (
    After,
    Id,
    Name,
    PathId,
    next_cursor,
    require_district_admin,
    utc,
)
from organisation import service as org
from organisation.models import Building, Community, Grid, SubDistrict

TAGS = ["manage"]
LedgerSlug = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]


class SubDistrictOut(msgspec.Struct):
    id: int
    name: str


class SubDistrictIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name


class CommunityOut(msgspec.Struct):
    id: int
    sub_district_id: int
    name: str
    ledger_id: str
    ledger_public: bool
    created_at: datetime


class CommunityIn(msgspec.Struct, forbid_unknown_fields=True):
    """A new community; its ledger id is its public, permanent name in ledger URLs."""

    name: Name
    ledger_id: LedgerSlug
    ledger_public: bool = False


class CommunityPatch(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | None = None
    ledger_public: bool | None = None


class GridOut(msgspec.Struct):
    id: int
    community_id: int
    name: str


class GridIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name


class BuildingOut(msgspec.Struct):
    id: int
    community_id: int
    grid_id: int
    name: str


class BuildingIn(msgspec.Struct, forbid_unknown_fields=True):
    grid_id: Id
    name: Name


class BuildingPatch(msgspec.Struct, forbid_unknown_fields=True):
    grid_id: Id | None = None
    name: Name | None = None


def _sub_district(row: SubDistrict) -> SubDistrictOut:
    assert row.id is not None
    return SubDistrictOut(id=row.id, name=row.name)


def _community(row: Community) -> CommunityOut:
    assert row.id is not None
    return CommunityOut(
        id=row.id,
        sub_district_id=row.sub_district_id,
        name=row.name,
        ledger_id=row.ledger_id,
        ledger_public=row.ledger_public,
        created_at=utc(row.created_at),
    )


def _grid(row: Grid) -> GridOut:
    assert row.id is not None
    return GridOut(id=row.id, community_id=row.community_id, name=row.name)


def _building(row: Building) -> BuildingOut:
    assert row.id is not None
    return BuildingOut(id=row.id, community_id=row.community_id, grid_id=row.grid_id, name=row.name)


@get("/api/v1/sub-districts", opt=access(Access.DISTRICT_ADMIN), tags=TAGS)
async def list_sub_districts(db: Db, principal: Me) -> list[SubDistrictOut]:
    """The sub-districts I administer."""
    ids = sorted(principal.district_admin_of)
    statement = (
        select(SubDistrict).where(col(SubDistrict.id).in_(ids)).order_by(col(SubDistrict.id))
    )
    return [_sub_district(r) for r in (await db.execute(statement)).scalars()]


@get("/api/v1/sub-districts/{sub_district_id:int}", opt=access(Access.DISTRICT_ADMIN), tags=TAGS)
async def read_sub_district(sub_district_id: PathId, db: Db, principal: Me) -> SubDistrictOut:
    """One sub-district I administer."""
    require_district_admin(principal, sub_district_id)
    row = await db.get(SubDistrict, sub_district_id)
    assert row is not None, "district admin grants reference existing sub-districts"
    return _sub_district(row)


@patch("/api/v1/sub-districts/{sub_district_id:int}", opt=access(Access.DISTRICT_ADMIN), tags=TAGS)
async def rename_sub_district(
    sub_district_id: PathId, data: JSONBody[SubDistrictIn], db: Db, principal: Me
) -> SubDistrictOut:
    """Rename a sub-district I administer."""
    require_district_admin(principal, sub_district_id)
    row = await db.get(SubDistrict, sub_district_id)
    assert row is not None, "district admin grants reference existing sub-districts"
    row.name = data.name
    await db.flush()
    return _sub_district(row)


@post(
    "/api/v1/sub-districts/{sub_district_id:int}/communities",
    opt=access(Access.DISTRICT_ADMIN),
    tags=TAGS,
)
async def create_community(
    sub_district_id: PathId,
    data: JSONBody[CommunityIn],
    db: Db,
    principal: Me,
    context: Context,
    now: Now,
) -> CommunityOut:
    """A new community of my sub-district, with its own ledger and signing key."""
    require_district_admin(principal, sub_district_id)
    row = await org.create_community(
        db,
        keystore=context.keystore,
        sub_district_id=sub_district_id,
        name=data.name,
        ledger_id=data.ledger_id,
        ledger_public=data.ledger_public,
        now=now,
    )
    return _community(row)


@get("/api/v1/communities", opt=access(Access.STAFF), tags=TAGS)
async def list_communities(db: Db, principal: Me) -> list[CommunityOut]:
    """The communities I administer or audit."""
    ids = sorted(principal.admin_of | principal.auditor_of)
    statement = select(Community).where(col(Community.id).in_(ids)).order_by(col(Community.id))
    return [_community(r) for r in (await db.execute(statement)).scalars()]


async def _load_community(db: Db, community_id: int) -> Community:
    row = await db.get(Community, community_id)
    assert row is not None, "grants reference existing communities"
    return row


@get("/api/v1/communities/{community_id:int}", opt=access(Access.STAFF), tags=TAGS)
async def read_community(community_id: PathId, db: Db, principal: Me) -> CommunityOut:
    """One community I administer or audit."""
    require_staff(principal, community_id)
    return _community(await _load_community(db, community_id))


@patch("/api/v1/communities/{community_id:int}", opt=access(Access.ADMIN), tags=TAGS)
async def update_community(
    community_id: PathId, data: JSONBody[CommunityPatch], db: Db, principal: Me
) -> CommunityOut:
    """Rename my community or make its ledger public (or members-only again)."""
    require_admin(principal, community_id)
    row = await _load_community(db, community_id)
    if data.name is not None:
        row.name = data.name
    if data.ledger_public is not None:
        row.ledger_public = data.ledger_public
    await db.flush()
    return _community(row)


@get("/api/v1/communities/{community_id:int}/grids", opt=access(Access.STAFF), tags=TAGS)
async def list_grids(
    community_id: PathId, db: Db, principal: Me, after: After = None, limit: Limit = 50
) -> Page[GridOut]:
    """The grids of a community, in id order."""
    require_staff(principal, community_id)
    rows = await org.page_in_community(
        db, Grid, community_id=community_id, after=after, limit=limit
    )
    return Page(items=[_grid(r) for r in rows], next=next_cursor([r.id or 0 for r in rows], limit))


@post("/api/v1/communities/{community_id:int}/grids", opt=access(Access.ADMIN), tags=TAGS)
async def create_grid(
    community_id: PathId, data: JSONBody[GridIn], db: Db, principal: Me
) -> GridOut:
    """A new grid of my community."""
    require_admin(principal, community_id)
    return _grid(await org.create_grid(db, community_id=community_id, name=data.name))


@get(
    "/api/v1/communities/{community_id:int}/grids/{grid_id:int}",
    opt=access(Access.STAFF),
    tags=TAGS,
)
async def read_grid(community_id: PathId, grid_id: PathId, db: Db, principal: Me) -> GridOut:
    """One grid of a community."""
    require_staff(principal, community_id)
    return _grid(await org.get_in_community(db, Grid, grid_id, community_id))


@patch(
    "/api/v1/communities/{community_id:int}/grids/{grid_id:int}",
    opt=access(Access.ADMIN),
    tags=TAGS,
)
async def rename_grid(
    community_id: PathId, grid_id: PathId, data: JSONBody[GridIn], db: Db, principal: Me
) -> GridOut:
    """Rename a grid of my community."""
    require_admin(principal, community_id)
    row = await org.get_in_community(db, Grid, grid_id, community_id)
    row.name = data.name
    await db.flush()
    return _grid(row)


@get("/api/v1/communities/{community_id:int}/buildings", opt=access(Access.STAFF), tags=TAGS)
async def list_buildings(
    community_id: PathId, db: Db, principal: Me, after: After = None, limit: Limit = 50
) -> Page[BuildingOut]:
    """The buildings of a community, in id order."""
    require_staff(principal, community_id)
    rows = await org.page_in_community(
        db, Building, community_id=community_id, after=after, limit=limit
    )
    return Page(
        items=[_building(r) for r in rows], next=next_cursor([r.id or 0 for r in rows], limit)
    )


@post("/api/v1/communities/{community_id:int}/buildings", opt=access(Access.ADMIN), tags=TAGS)
async def create_building(
    community_id: PathId, data: JSONBody[BuildingIn], db: Db, principal: Me
) -> BuildingOut:
    """A new building in a grid of my community."""
    require_admin(principal, community_id)
    row = await org.create_building(
        db, community_id=community_id, grid_id=data.grid_id, name=data.name
    )
    return _building(row)


@get(
    "/api/v1/communities/{community_id:int}/buildings/{building_id:int}",
    opt=access(Access.STAFF),
    tags=TAGS,
)
async def read_building(
    community_id: PathId, building_id: PathId, db: Db, principal: Me
) -> BuildingOut:
    """One building of a community."""
    require_staff(principal, community_id)
    return _building(await org.get_in_community(db, Building, building_id, community_id))


@patch(
    "/api/v1/communities/{community_id:int}/buildings/{building_id:int}",
    opt=access(Access.ADMIN),
    tags=TAGS,
)
async def update_building(
    community_id: PathId,
    building_id: PathId,
    data: JSONBody[BuildingPatch],
    db: Db,
    principal: Me,
) -> BuildingOut:
    """Rename a building of my community or move it to another of its grids."""
    require_admin(principal, community_id)
    row = await org.get_in_community(db, Building, building_id, community_id)
    if data.grid_id is not None:
        await org.get_in_community(db, Grid, data.grid_id, community_id)
        row.grid_id = data.grid_id
    if data.name is not None:
        row.name = data.name
    await db.flush()
    return _building(row)


ROUTES = [
    list_sub_districts,
    read_sub_district,
    rename_sub_district,
    create_community,
    list_communities,
    read_community,
    update_community,
    list_grids,
    create_grid,
    read_grid,
    rename_grid,
    list_buildings,
    create_building,
    read_building,
    update_building,
]
