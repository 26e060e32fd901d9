"""Rows of the role matrix: one `RouteCase` per route (method and path template).

A case names the rule its handler must declare and how to build a call for each caller.
What each caller must get follows from the rule, stated here independently of api/access.py:

- anonymous callers get 401 on every route that is not public;
- a caller whose roles the rule excludes gets 403;
- a caller the rule admits gets the success status if the object is in their `scope`
  (by default: the admins, auditors and district admin of community A), else 404;
- `expect` overrides any of this per caller, for routes whose answer depends on more than
  the rule (the ledger's reader scope, for example), optionally with the refusal code;
- `foreign` builds the same call naming an object of community B (or of another
  sub-district) under the caller's own path: every admitted caller gets 404 for it.

To add routes, append cases to the list of their module in this package (checkin.py,
redemption.py, ...); tests/api/test_role_matrix.py fails for any route without a case.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from litestar import Litestar
from litestar.handlers.base import BaseRouteHandler
from litestar.routes import HTTPRoute

from api.access import Access
from tests.api.scene import Scene

ANONYMOUS = "anonymous"

# The roles each person of the world holds (tests/api/world.py grants them).
HELD_ROLES: Mapping[str, frozenset[str]] = {
    "resident": frozenset({"member"}),
    "captain": frozenset({"member", "captain"}),
    "clerk": frozenset({"member", "clerk"}),
    "admin": frozenset({"member", "admin"}),
    "auditor": frozenset({"member", "auditor"}),
    "other_admin": frozenset({"member", "admin"}),
    "other_resident": frozenset({"member"}),
    # A district admin administers every community of the sub-district.
    "district_admin": frozenset({"member", "admin", "district_admin"}),
}

# Which held roles each rule admits.
ADMITTED: Mapping[Access, frozenset[str]] = {
    Access.MEMBER: frozenset({"member"}),
    Access.CAPTAIN: frozenset({"captain"}),
    Access.CLERK: frozenset({"clerk"}),
    Access.ADMIN: frozenset({"admin", "district_admin"}),
    Access.STAFF: frozenset({"admin", "auditor", "district_admin"}),
    Access.DISTRICT_ADMIN: frozenset({"district_admin"}),
}

# Who may touch community A's objects, and the sub-district's.
STAFF_OF_A = frozenset({"admin", "auditor", "district_admin"})
DISTRICT = frozenset({"district_admin"})
EVERYONE = frozenset(HELD_ROLES) | {ANONYMOUS}


@dataclass(frozen=True)
class Call:
    """One concrete request."""

    path: str
    json: Any = None
    params: Mapping[str, Any] | None = None
    form: Mapping[str, str] | None = None
    """A URL-encoded form body (for the pages), instead of `json`."""


Prepare = Callable[[Scene, str | None], Call | Awaitable[Call]]


@dataclass(frozen=True)
class RouteCase:
    """A route, the rule it declares, and what every caller gets."""

    method: str
    route: str
    rule: Access
    prepare: Prepare
    ok: int = 200
    scope: frozenset[str] = STAFF_OF_A
    expect: Mapping[str, int | tuple[int, str]] = field(default_factory=dict)
    """Per caller: the status, or the status and the refusal code when it is not the usual
    one for that status (not_authenticated, forbidden, not_found)."""
    foreign: Prepare | None = None
    fresh_client: bool = False
    """The call ends the caller's login (log out): make it with a login of its own."""
    copied_client: bool = False
    """The call changes the client's cookies (log in, set-up): make it from a copy of the
    caller's client, which shares the login but not the cookie jar."""

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.route)

    def expected(self, role: str | None) -> int:
        """The status `role` (None: anonymous) must get for the prepared call."""
        name = role or ANONYMOUS
        if name in self.expect:
            wanted = self.expect[name]
            return wanted if isinstance(wanted, int) else wanted[0]
        if self.rule is Access.PUBLIC:
            return self.ok
        if role is None:
            return 401
        if not HELD_ROLES[role] & ADMITTED[self.rule]:
            return 403
        return self.ok if role in self.scope else 404

    def expected_code(self, role: str | None) -> str | None:
        """The refusal code `role` must get, when `expect` names one."""
        wanted = self.expect.get(role or ANONYMOUS)
        return wanted[1] if isinstance(wanted, tuple) else None

    def expected_foreign(self, role: str | None) -> int:
        """The status for the call naming another community's object: never its content."""
        if role is None:
            return 401 if self.rule is not Access.PUBLIC else 404
        if self.rule is not Access.PUBLIC and not HELD_ROLES[role] & ADMITTED[self.rule]:
            return 403
        return 404


async def build_call(prepare: Prepare, scene: Scene, role: str | None) -> Call:
    made = prepare(scene, role)
    if inspect.isawaitable(made):
        return await made
    return made


def route_table(app: Litestar) -> list[tuple[str, BaseRouteHandler]]:
    """(path template, handler) for every handler in the app's route table."""
    table: list[tuple[str, BaseRouteHandler]] = []
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            table += [(route.path, handler) for handler in route.route_handlers]
        else:
            table.append((route.path, route.route_handler))
    return table


def methods_of(handler: BaseRouteHandler) -> frozenset[str]:
    """The HTTP methods of a handler ("WEBSOCKET" or "ASGI" for the other kinds)."""
    methods = getattr(handler, "http_methods", None)
    return frozenset(methods) if methods else frozenset({type(handler).__name__.upper()})
