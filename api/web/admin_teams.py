"""Volunteer teams with their members and captains, and revoking roles (captains here,
clerks of the shops in admin_shops).

Captains and clerks are role grants (`organisation.service.grant_role`); a grant names the
member by `#id`, user name or phone number, and must be someone of the same community.
Revoking keeps the grant for the record, as the API does. Joining and leaving a team are the
API's `add_to_team` and `remove_from_team`, naming the member the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, func, select

from api.access import Access, access
from api.deps import Db, Me, Now
from api.routes.manage_teams import TeamIn, TeamPatch
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
    member_by_identifier,
    parse,
    staff_scope,
)
from ledger.errors import Refusal
from organisation import service as org
from organisation.errors import NotFound
from organisation.models import Member, RoleGrant, Team, TeamMembership

MAX_ROWS = 500
# A team page lists this many of a team's members (in id order); its size counts them all.
MEMBERS_SHOWN = 100
BACK = {"captain": "teams", "clerk": "shops"}


async def holders(
    db: AsyncSession, role: str, scope_ids: Sequence[int]
) -> dict[int, list[tuple[RoleGrant, Member]]]:
    """Active captain grants by team id, or clerk grants by shop id, with their members."""
    column = col(RoleGrant.team_id) if role == "captain" else col(RoleGrant.shop_id)
    statement = (
        select(RoleGrant, Member)
        .join(Member, col(Member.id) == RoleGrant.member_id)
        .where(RoleGrant.role == role, col(RoleGrant.revoked_at).is_(None), column.in_(scope_ids))
        .order_by(col(RoleGrant.id))
    )
    found: dict[int, list[tuple[RoleGrant, Member]]] = {i: [] for i in scope_ids}
    for grant, member in await db.execute(statement):
        key = grant.team_id if role == "captain" else grant.shop_id
        if key is not None:
            found[key].append((grant, member))
    return found


async def _team_members(db: AsyncSession, team_ids: Sequence[int]) -> dict[int, list[Member]]:
    """The first MEMBERS_SHOWN members of each team, in member id order, as the API lists
    them, in one query."""
    place = (
        func.row_number()
        .over(partition_by=col(TeamMembership.team_id), order_by=col(TeamMembership.member_id))
        .label("place")
    )
    ranked = (
        select(col(TeamMembership.team_id), col(TeamMembership.member_id), place)
        .where(col(TeamMembership.team_id).in_(team_ids))
        .subquery()
    )
    statement = (
        select(ranked.c.team_id, Member)
        .join(Member, col(Member.id) == ranked.c.member_id)
        .where(ranked.c.place <= MEMBERS_SHOWN)
        .order_by(ranked.c.team_id, ranked.c.member_id)
    )
    shown: dict[int, list[Member]] = {team_id: [] for team_id in team_ids}
    for team_id, member in await db.execute(statement):
        shown[team_id].append(member)
    return shown


async def _teams_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    scope: Scope,
    *,
    refusal: Refusal | None = None,
    values: dict[str, str] | None = None,
    done: str | None = None,
) -> Template:
    teams = await org.page_in_community(db, Team, community_id=scope.id, after=None, limit=MAX_ROWS)
    ids = [t.id or 0 for t in teams]
    sizes = dict(
        (
            await db.execute(
                select(TeamMembership.team_id, func.count())
                .where(col(TeamMembership.team_id).in_(ids))
                .group_by(col(TeamMembership.team_id))
            )
        ).all()
    )
    return await admin_page(
        request,
        scope,
        "admin_teams.html",
        section="teams",
        teams=teams,
        sizes=sizes,
        captains=await holders(db, "captain", ids),
        members=await _team_members(db, ids),
        members_shown=MEMBERS_SHOWN,
        refusal=refusal,
        values=values,
        done=done,
    )


@get(BASE + "/teams", opt=access(Access.STAFF, **PAGE), include_in_schema=False)
async def teams_page(
    request: Request[Any, Any, Any], community_id: PathId, db: Db, principal: Me, done: Done = None
) -> Template:
    """The community's volunteer teams with their captains, members and sizes."""
    scope = await staff_scope(db, principal, community_id)
    return await _teams_page(request, db, scope, done=done)


async def _teams_result(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    scope: Scope,
    outcome: object,
    fields: dict[str, str],
    done: str,
) -> Template | Redirect:
    if isinstance(outcome, Refusal):
        return await _teams_page(request, db, scope, refusal=outcome, values=fields)
    return Redirect(f"{scope.base}/teams?done={done}", status_code=303)


@post(BASE + "/teams", opt=access(Access.ADMIN, **PAGE), include_in_schema=False)
async def create_team(
    request: Request[Any, Any, Any], community_id: PathId, db: Db, principal: Me
) -> Template | Redirect:
    """A new volunteer team (captains are granted afterwards)."""
    scope = await admin_scope(db, principal, community_id)
    fields = await form_of(request)

    async def create() -> Team:
        data = parse(TeamIn, fields)
        return await org.create_team(
            db, community_id=scope.id, name=data.name, name_en=data.name_en
        )

    return await _teams_result(request, db, scope, await attempt(db, create), fields, "created")


@post(BASE + "/teams/{team_id:int}", opt=access(Access.ADMIN, **PAGE), include_in_schema=False)
async def rename_team(
    request: Request[Any, Any, Any], community_id: PathId, team_id: PathId, db: Db, principal: Me
) -> Template | Redirect:
    """Rename a team, in Chinese, English or both."""
    scope = await admin_scope(db, principal, community_id)
    team = await org.get_in_community(db, Team, team_id, scope.id)
    fields = await form_of(request)

    async def rename() -> None:
        data = parse(TeamPatch, fields)
        if data.name is not None:
            team.name = data.name
        if data.name_en is not None:
            team.name_en = data.name_en
        await db.flush()

    return await _teams_result(request, db, scope, await attempt(db, rename), fields, "saved")


async def _named_member(db: AsyncSession, scope: Scope, identifier: str | None) -> Member:
    """The member of the community a form names by `#id`, user name or phone number."""
    if not identifier:
        raise invalid("member", "required")
    member = await member_by_identifier(db, scope.id, identifier)
    if member is None:
        raise NotFound(
            "No member of this community has that id, user name or phone number.",
            message_zh="本社区没有这个编号、用户名或手机号的成员。",
            object="member",
            id=0,
        )
    return member


async def grant_role_to(
    db: AsyncSession, scope: Scope, identifier: str | None, role: str, scope_id: int, now: Any
) -> RoleGrant:
    member = await _named_member(db, scope, identifier)
    return await org.grant_role(
        db,
        member=member,
        role=role,
        scope_id=scope_id,
        granted_by=scope.principal.member_id,
        now=now,
    )


@post(
    BASE + "/teams/{team_id:int}/captains",
    opt=access(Access.ADMIN, **PAGE),
    include_in_schema=False,
)
async def grant_captain(
    request: Request[Any, Any, Any],
    community_id: PathId,
    team_id: PathId,
    db: Db,
    principal: Me,
    now: Now,
) -> Template | Redirect:
    """Make a member of the community a captain of this team."""
    scope = await admin_scope(db, principal, community_id)
    team = await org.get_in_community(db, Team, team_id, scope.id)
    fields = await form_of(request)

    async def grant() -> RoleGrant:
        return await grant_role_to(db, scope, fields.get("member"), "captain", team.id or 0, now)

    outcome = await attempt(db, grant)
    return await _teams_result(request, db, scope, outcome, fields, "granted")


@post(
    BASE + "/teams/{team_id:int}/members",
    opt=access(Access.ADMIN, **PAGE),
    include_in_schema=False,
)
async def add_team_member(
    request: Request[Any, Any, Any],
    community_id: PathId,
    team_id: PathId,
    db: Db,
    principal: Me,
    now: Now,
) -> Template | Redirect:
    """Add a member of the community to this team (adding twice changes nothing)."""
    scope = await admin_scope(db, principal, community_id)
    team = await org.get_in_community(db, Team, team_id, scope.id)
    fields = await form_of(request)

    async def add() -> None:
        member = await _named_member(db, scope, fields.get("member"))
        await org.add_to_team(db, team=team, member=member, now=now)

    outcome = await attempt(db, add)
    return await _teams_result(request, db, scope, outcome, fields, "added")


@post(
    BASE + "/teams/{team_id:int}/members/{member_id:int}/remove",
    opt=access(Access.ADMIN, **PAGE),
    include_in_schema=False,
)
async def remove_team_member(
    request: Request[Any, Any, Any],
    community_id: PathId,
    team_id: PathId,
    member_id: PathId,
    db: Db,
    principal: Me,
) -> Template | Redirect:
    """Take a member out of this team; someone not in it is not_found."""
    scope = await admin_scope(db, principal, community_id)
    team = await org.get_in_community(db, Team, team_id, scope.id)
    member = await org.get_in_community(db, Member, member_id, scope.id)
    outcome = await attempt(db, lambda: org.remove_from_team(db, team=team, member=member))
    return await _teams_result(request, db, scope, outcome, {}, "removed")


@post(
    BASE + "/grants/{grant_id:int}/revoke",
    opt=access(Access.ADMIN, **PAGE),
    include_in_schema=False,
)
async def revoke_grant(
    community_id: PathId, grant_id: PathId, db: Db, principal: Me, now: Now
) -> Redirect:
    """Revoke a role grant of the community (revoking twice changes nothing); back to the
    teams page for a captain, the shops page for a clerk, else the member's page."""
    scope = await admin_scope(db, principal, community_id)
    grant = await db.get(RoleGrant, grant_id)
    # District admin grants carry no community, so they are never found here.
    if grant is None or grant.community_id != scope.id:
        raise NotFound(object="grant", id=grant_id)
    await org.revoke_role(db, grant=grant, now=now)
    back = BACK.get(grant.role)
    target = f"{scope.base}/{back}" if back else f"{scope.base}/members/{grant.member_id}"
    return Redirect(f"{target}?done=revoked", status_code=303)


ROUTES = [
    teams_page,
    create_team,
    rename_team,
    grant_captain,
    add_team_member,
    remove_team_member,
    revoke_grant,
]
