"""Deny by default: every route declares who may call it, and one guard enforces it.

A route's rule says which kind of caller may reach it at all (anyone, any member, a
captain, a clerk, an admin, ...). Which objects they may touch is checked in the handler
with the scope helpers below, which answer 404 for anything outside the caller's scope so
that guessed ids reveal nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from api.context import context_of
from organisation.auth import Principal, load_principal
from organisation.errors import Forbidden, NotAuthenticated, NotFound

ACCESS_KEY = "access"
SESSION_KEY = "sid"


class Access(StrEnum):
    """Who may call a route."""

    PUBLIC = "public"  # anyone, logged in or not
    MEMBER = "member"  # any logged-in member
    CAPTAIN = "captain"  # a captain of some team
    CLERK = "clerk"  # a clerk of some shop
    ADMIN = "admin"  # an admin of some community (or a district admin)
    STAFF = "staff"  # an admin or an auditor of some community
    DISTRICT_ADMIN = "district_admin"  # an admin of a sub-district


# Routes the framework adds, with the rule each one has.
FRAMEWORK_ROUTES: Mapping[str, Access] = {"/schema": Access.PUBLIC, "/metrics": Access.PUBLIC}

_ROLES_FOR: Mapping[Access, frozenset[str]] = {
    Access.MEMBER: frozenset({"member"}),
    Access.CAPTAIN: frozenset({"captain"}),
    Access.CLERK: frozenset({"clerk"}),
    Access.ADMIN: frozenset({"admin", "district_admin"}),
    Access.STAFF: frozenset({"admin", "auditor", "district_admin"}),
    Access.DISTRICT_ADMIN: frozenset({"district_admin"}),
}


def access(rule: Access, **extra: Any) -> dict[str, Any]:
    """Route options declaring `rule`: `@get(..., opt=access(Access.ADMIN))`."""
    return {ACCESS_KEY: rule, **extra}


def rule_of(handler: BaseRouteHandler, path: str) -> Access | None:
    """The rule a handler declares, or the framework's rule for its route path."""
    declared = handler.opt.get(ACCESS_KEY)
    if isinstance(declared, Access):
        return declared
    if getattr(handler, "http_methods", None) == {"OPTIONS"}:
        return Access.PUBLIC  # the framework's automatic OPTIONS answer reveals nothing
    for prefix, rule in FRAMEWORK_ROUTES.items():
        if path == prefix or path.startswith(prefix + "/"):
            return rule
    return None


async def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    """The logged-in principal of this request (loaded once), or None."""
    if "principal" in connection.state:
        cached: Principal | None = connection.state.principal
        return cached
    principal = None
    session_id = connection.session.get(SESSION_KEY) if connection.scope.get("session") else None
    if isinstance(session_id, str):
        context = context_of(connection.app.state)
        async with context.sessions() as session:
            principal = await load_principal(session, session_id=session_id, now=context.clock())
    connection.state.principal = principal
    return principal


async def enforce_access(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """The app-wide guard: refuse unless the route's declared rule admits the caller."""
    rule = rule_of(handler, str(connection.scope.get("path_template", connection.url.path)))
    if rule is None:
        raise Forbidden("This route declares no access rule.", reason="undeclared")
    principal = await principal_of(connection)
    if rule is Access.PUBLIC:
        return
    if principal is None:
        raise NotAuthenticated()
    if not principal.roles & _ROLES_FOR[rule]:
        raise Forbidden(role=str(rule))


async def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    """Dependency: the logged-in principal (the guard has already refused anonymous calls)."""
    principal = await principal_of(request)
    if principal is None:
        raise NotAuthenticated()
    return principal


async def provide_optional_principal(request: Request[Any, Any, Any]) -> Principal | None:
    """Dependency: the principal when someone is logged in, else None."""
    return await principal_of(request)


def require_admin(principal: Principal, community_id: int) -> None:
    """Admins of this community only; anyone else sees nothing there."""
    if community_id not in principal.admin_of:
        raise NotFound(object="community", id=community_id)


def require_staff(principal: Principal, community_id: int) -> None:
    """Admins and auditors of this community only."""
    if not principal.can_read_community(community_id):
        raise NotFound(object="community", id=community_id)


def require_captain(principal: Principal, team_id: int, community_id: int) -> None:
    """Captains of this team, or admins of its community."""
    if team_id not in principal.captain_of and community_id not in principal.admin_of:
        raise NotFound(object="team", id=team_id)


def require_clerk(principal: Principal, shop_id: int, community_id: int) -> None:
    """Clerks of this shop, or admins of its community."""
    if shop_id not in principal.clerk_of and community_id not in principal.admin_of:
        raise NotFound(object="shop", id=shop_id)
