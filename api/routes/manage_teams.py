"""Management of volunteer teams, their members, and partner shops.

Captains and clerks are roles, granted and revoked at `/communities/{id}/grants`; a team
or shop lists its current captains or clerks. A deactivated shop keeps its ledger account
and its history; it is deactivated (and reactivated) with `PATCH {"active": false}`.
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from litestar import delete, get, patch, post, put
from litestar.params import JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import Access, access, require_admin, require_staff
from api.deps import Db, Me, Now
from api.pagination import Limit, Page
from api.routes.manage_common import (
    After,
    Name,
    OptionalText100,
    OptionalText200,
    PathId,
    next_cursor,
    utc,
)
from organisation import service as org
from organisation.models import Community, Member, Shop, Team, TeamMembership

TAGS = ["manage"]
TEAM_PATH = "/api/v1/communities/{community_id:int}/teams/{team_id:int}"
SHOP_PATH = "/api/v1/communities/{community_id:int}/shops/{shop_id:int}"


class TeamOut(msgspec.Struct):
    id: int
    community_id: int
    name: str
    name_en: str
    captain_ids: list[int]


class TeamIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    name_en: OptionalText100 = ""


class TeamPatch(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | None = None
    name_en: OptionalText100 | None = None


class TeamMemberOut(msgspec.Struct):
    team_id: int
    member_id: int
    joined_at: datetime


class ShopOut(msgspec.Struct):
    id: int
    community_id: int
    name: str
    address: str
    opening_hours: str
    contact: str
    account: str
    active: bool
    clerk_ids: list[int]


class ShopIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    address: OptionalText200 = ""
    opening_hours: OptionalText100 = ""
    contact: OptionalText100 = ""


class ShopPatch(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | None = None
    address: OptionalText200 | None = None
    opening_hours: OptionalText100 | None = None
    contact: OptionalText100 | None = None
    active: bool | None = None


async def _teams_out(db: AsyncSession, rows: list[Team]) -> list[TeamOut]:
    captains = await org.role_holders(db, role="captain", scope_ids=[r.id or 0 for r in rows])
    return [
        TeamOut(
            id=r.id or 0,
            community_id=r.community_id,
            name=r.name,
            name_en=r.name_en,
            captain_ids=captains[r.id or 0],
        )
        for r in rows
    ]


async def _shops_out(db: AsyncSession, rows: list[Shop]) -> list[ShopOut]:
    clerks = await org.role_holders(db, role="clerk", scope_ids=[r.id or 0 for r in rows])
    return [
        ShopOut(
            id=r.id or 0,
            community_id=r.community_id,
            name=r.name,
            address=r.address,
            opening_hours=r.opening_hours,
            contact=r.contact,
            account=r.account,
            active=r.active,
            clerk_ids=clerks[r.id or 0],
        )
        for r in rows
    ]


def _membership(row: TeamMembership) -> TeamMemberOut:
    return TeamMemberOut(team_id=row.team_id, member_id=row.member_id, joined_at=utc(row.joined_at))


@get("/api/v1/communities/{community_id:int}/teams", opt=access(Access.STAFF), tags=TAGS)
async def list_teams(
    community_id: PathId, db: Db, principal: Me, after: After = None, limit: Limit = 50
) -> Page[TeamOut]:
    """The volunteer teams of a community with their captains, in id order."""
    require_staff(principal, community_id)
    rows = await org.page_in_community(
        db, Team, community_id=community_id, after=after, limit=limit
    )
    return Page(
        items=await _teams_out(db, rows), next=next_cursor([r.id or 0 for r in rows], limit)
    )


@post("/api/v1/communities/{community_id:int}/teams", opt=access(Access.ADMIN), tags=TAGS)
async def create_team(
    community_id: PathId, data: JSONBody[TeamIn], db: Db, principal: Me
) -> TeamOut:
    """A new volunteer team of my community (captains are granted separately)."""
    require_admin(principal, community_id)
    row = await org.create_team(db, community_id=community_id, name=data.name, name_en=data.name_en)
    [out] = await _teams_out(db, [row])
    return out


@get(TEAM_PATH, opt=access(Access.STAFF), tags=TAGS)
async def read_team(community_id: PathId, team_id: PathId, db: Db, principal: Me) -> TeamOut:
    """One team of a community with its captains."""
    require_staff(principal, community_id)
    [out] = await _teams_out(db, [await org.get_in_community(db, Team, team_id, community_id)])
    return out


@patch(TEAM_PATH, opt=access(Access.ADMIN), tags=TAGS)
async def rename_team(
    community_id: PathId, team_id: PathId, data: JSONBody[TeamPatch], db: Db, principal: Me
) -> TeamOut:
    """Rename a team of my community (in Chinese, English or both)."""
    require_admin(principal, community_id)
    row = await org.get_in_community(db, Team, team_id, community_id)
    if data.name is not None:
        row.name = data.name
    if data.name_en is not None:
        row.name_en = data.name_en
    await db.flush()
    [out] = await _teams_out(db, [row])
    return out


@get(TEAM_PATH + "/members", opt=access(Access.STAFF), tags=TAGS)
async def list_team_members(
    community_id: PathId,
    team_id: PathId,
    db: Db,
    principal: Me,
    after: After = None,
    limit: Limit = 50,
) -> Page[TeamMemberOut]:
    """Who serves in a team, in member id order (ids only; no personal data)."""
    require_staff(principal, community_id)
    await org.get_in_community(db, Team, team_id, community_id)
    rows = await org.team_members(db, team_id=team_id, after=after, limit=limit)
    return Page(
        items=[_membership(r) for r in rows],
        next=next_cursor([r.member_id for r in rows], limit),
    )


@put(TEAM_PATH + "/members/{member_id:int}", opt=access(Access.ADMIN), tags=TAGS)
async def add_team_member(
    community_id: PathId, team_id: PathId, member_id: PathId, db: Db, principal: Me, now: Now
) -> TeamMemberOut:
    """Add a member of my community to one of its teams (adding twice changes nothing)."""
    require_admin(principal, community_id)
    team = await org.get_in_community(db, Team, team_id, community_id)
    member = await org.get_in_community(db, Member, member_id, community_id)
    await org.add_to_team(db, team=team, member=member, now=now)
    row = await db.get(TeamMembership, (team_id, member_id))
    assert row is not None
    return _membership(row)


@delete(TEAM_PATH + "/members/{member_id:int}", opt=access(Access.ADMIN), tags=TAGS)
async def remove_team_member(
    community_id: PathId, team_id: PathId, member_id: PathId, db: Db, principal: Me
) -> None:
    """Take a member out of a team of my community."""
    require_admin(principal, community_id)
    team = await org.get_in_community(db, Team, team_id, community_id)
    member = await org.get_in_community(db, Member, member_id, community_id)
    await org.remove_from_team(db, team=team, member=member)


@get("/api/v1/communities/{community_id:int}/shops", opt=access(Access.STAFF), tags=TAGS)
async def list_shops(
    community_id: PathId, db: Db, principal: Me, after: After = None, limit: Limit = 50
) -> Page[ShopOut]:
    """The partner shops of a community with their clerks, in id order."""
    require_staff(principal, community_id)
    rows = await org.page_in_community(
        db, Shop, community_id=community_id, after=after, limit=limit
    )
    return Page(
        items=await _shops_out(db, rows), next=next_cursor([r.id or 0 for r in rows], limit)
    )


@post("/api/v1/communities/{community_id:int}/shops", opt=access(Access.ADMIN), tags=TAGS)
async def create_shop(
    community_id: PathId, data: JSONBody[ShopIn], db: Db, principal: Me
) -> ShopOut:
    """A new partner shop of my community, with its ledger account."""
    require_admin(principal, community_id)
    community = await db.get(Community, community_id)
    assert community is not None, "admin grants reference existing communities"
    row = await org.create_shop(
        db,
        community=community,
        name=data.name,
        address=data.address,
        opening_hours=data.opening_hours,
        contact=data.contact,
    )
    [out] = await _shops_out(db, [row])
    return out


@get(SHOP_PATH, opt=access(Access.STAFF), tags=TAGS)
async def read_shop(community_id: PathId, shop_id: PathId, db: Db, principal: Me) -> ShopOut:
    """One shop of a community with its clerks."""
    require_staff(principal, community_id)
    [out] = await _shops_out(db, [await org.get_in_community(db, Shop, shop_id, community_id)])
    return out


@patch(SHOP_PATH, opt=access(Access.ADMIN), tags=TAGS)
async def update_shop(
    community_id: PathId, shop_id: PathId, data: JSONBody[ShopPatch], db: Db, principal: Me
) -> ShopOut:
    """Change a shop's details, or deactivate (or reactivate) it."""
    require_admin(principal, community_id)
    row = await org.get_in_community(db, Shop, shop_id, community_id)
    for name in ("name", "address", "opening_hours", "contact", "active"):
        value = getattr(data, name)
        if value is not None:
            setattr(row, name, value)
    await db.flush()
    [out] = await _shops_out(db, [row])
    return out


ROUTES = [
    list_teams,
    create_team,
    read_team,
    rename_team,
    list_team_members,
    add_team_member,
    remove_team_member,
    list_shops,
    create_shop,
    read_shop,
    update_shop,
]
