"""Role grants and revocations within a community: admin, auditor, captain, clerk.

A grant names the member and the role; a captain's grant names the team and a clerk's the
shop, both of the same community. District admins are appointed outside the HTTP API (they
administer every community of their sub-district). Revoked grants stay for the record.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from litestar import delete, get, post
from litestar.params import JSONBody, QueryParameter

from api.access import Access, access, require_admin, require_staff
from api.deps import Db, Me, Now
from api.pagination import Limit, Page
from api.routes.manage_common import After, Id, PathId, next_cursor, utc
from organisation import service as org
from organisation.errors import InvalidInput, NotFound
from organisation.models import Member, RoleGrant

TAGS = ["manage"]
GRANTS_PATH = "/api/v1/communities/{community_id:int}/grants"
GRANT_PATH = GRANTS_PATH + "/{grant_id:int}"
CommunityRole = Literal["admin", "auditor", "captain", "clerk"]


class GrantOut(msgspec.Struct):
    id: int
    member_id: int
    role: str
    community_id: int
    team_id: int | None
    shop_id: int | None
    granted_by: int | None
    granted_at: datetime
    revoked_at: datetime | None


class GrantIn(msgspec.Struct, forbid_unknown_fields=True):
    """Who gets which role; `team_id` for a captain, `shop_id` for a clerk, else neither."""

    member_id: Id
    role: CommunityRole
    team_id: Id | None = None
    shop_id: Id | None = None


def _grant(row: RoleGrant) -> GrantOut:
    assert row.id is not None
    assert row.community_id is not None
    return GrantOut(
        id=row.id,
        member_id=row.member_id,
        role=row.role,
        community_id=row.community_id,
        team_id=row.team_id,
        shop_id=row.shop_id,
        granted_by=row.granted_by,
        granted_at=utc(row.granted_at),
        revoked_at=utc(row.revoked_at) if row.revoked_at is not None else None,
    )


def _scope_id(data: GrantIn, community_id: int) -> int:
    """The grant's scope, refusing a team or shop where the role takes none (or lacks one)."""
    wanted = {"captain": "team_id", "clerk": "shop_id"}.get(data.role)
    for name in ("team_id", "shop_id"):
        if (getattr(data, name) is not None) != (name == wanted):
            problem = "is required for this role" if name == wanted else "is not for this role"
            raise InvalidInput(f"{name}: {problem}", field=name)
    scope_id: int | None = getattr(data, wanted) if wanted is not None else community_id
    assert scope_id is not None
    return scope_id


@get(GRANTS_PATH, opt=access(Access.STAFF), tags=TAGS)
async def list_grants(
    community_id: PathId,
    db: Db,
    principal: Me,
    member_id: Annotated[int | None, QueryParameter(ge=1, le=2**31 - 1)] = None,
    role: Annotated[CommunityRole | None, QueryParameter()] = None,
    include_revoked: Annotated[bool, QueryParameter()] = False,
    after: After = None,
    limit: Limit = 50,
) -> Page[GrantOut]:
    """The role grants of a community in id order, current ones unless asked otherwise."""
    require_staff(principal, community_id)
    rows = await org.grants_in_community(
        db,
        community_id=community_id,
        member_id=member_id,
        role=role,
        include_revoked=include_revoked,
        after=after,
        limit=limit,
    )
    return Page(items=[_grant(r) for r in rows], next=next_cursor([r.id or 0 for r in rows], limit))


@post(GRANTS_PATH, opt=access(Access.ADMIN), tags=TAGS)
async def grant_role(
    community_id: PathId, data: JSONBody[GrantIn], db: Db, principal: Me, now: Now
) -> GrantOut:
    """Grant a member of my community a role in it."""
    require_admin(principal, community_id)
    scope_id = _scope_id(data, community_id)
    member = await org.get_in_community(db, Member, data.member_id, community_id)
    row = await org.grant_role(
        db,
        member=member,
        role=data.role,
        scope_id=scope_id,
        granted_by=principal.member_id,
        now=now,
    )
    return _grant(row)


async def _load_grant(db: Db, grant_id: int, community_id: int) -> RoleGrant:
    row = await db.get(RoleGrant, grant_id)
    # District admin grants carry no community, so they are never found here.
    if row is None or row.community_id != community_id:
        raise NotFound(object="grant", id=grant_id)
    return row


@get(GRANT_PATH, opt=access(Access.STAFF), tags=TAGS)
async def read_grant(community_id: PathId, grant_id: PathId, db: Db, principal: Me) -> GrantOut:
    """One role grant of a community, current or revoked."""
    require_staff(principal, community_id)
    return _grant(await _load_grant(db, grant_id, community_id))


@delete(GRANT_PATH, opt=access(Access.ADMIN), tags=TAGS)
async def revoke_grant(
    community_id: PathId, grant_id: PathId, db: Db, principal: Me, now: Now
) -> None:
    """Revoke a role grant of my community (revoking twice changes nothing)."""
    require_admin(principal, community_id)
    await org.revoke_role(db, grant=await _load_grant(db, grant_id, community_id), now=now)


ROUTES = [list_grants, grant_role, read_grant, revoke_grant]
