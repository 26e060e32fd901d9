"""Role-matrix rows of health, the framework's own routes, log-in and a member's own routes."""

from __future__ import annotations

from api.access import Access
from tests.api.route_cases.base import EVERYONE, Call, RouteCase
from tests.api.scene import Scene
from tests.api.world import PASSWORD


def _credentials(scene: Scene, role: str | None) -> Call:
    # An anonymous caller logs in as the resident; everyone else logs in again as themselves.
    login = {"identifier": scene.world.username(role or "resident"), "password": PASSWORD}
    return Call("/api/v1/auth/login", json=login)


async def _setup(scene: Scene, role: str | None) -> Call:
    member, code = await scene.add_member(setup_code=True)
    body = {"identifier": member.username, "code": code, "password": PASSWORD}
    return Call("/api/v1/auth/setup", json=body)


def _public(method: str, path: str, ok: int = 200, at: str | None = None) -> RouteCase:
    """A public route answering `ok` to everyone at `at` (default: the route's path)."""
    return RouteCase(method, path, Access.PUBLIC, ok=ok, prepare=lambda _s, _r: Call(at or path))


def _own(method: str, path: str, ok: int = 200, body: object = None) -> RouteCase:
    """A member's own route: every logged-in caller gets `ok`, anonymous callers 401."""
    return RouteCase(
        method,
        path,
        Access.MEMBER,
        ok=ok,
        scope=EVERYONE,
        prepare=lambda _s, _r: Call(path, json=body),
    )


HEALTH: list[RouteCase] = [_public("GET", "/health"), _public("GET", "/ready")]

FRAMEWORK: list[RouteCase] = [
    _public("GET", "/metrics"),
    _public("GET", "/schema"),
    _public("GET", "/schema/openapi.json"),
    _public("GET", "/schema/swagger"),
    _public("GET", "/schema/oauth2-redirect.html"),
    # Any other page under /schema does not exist, for everyone.
    _public("GET", "/schema/{path:str}", ok=404, at="/schema/redoc"),
]

AUTH: list[RouteCase] = [
    RouteCase(
        "POST", "/api/v1/auth/login", Access.PUBLIC, prepare=_credentials, copied_client=True
    ),
    RouteCase("POST", "/api/v1/auth/setup", Access.PUBLIC, prepare=_setup, copied_client=True),
    RouteCase(
        "POST",
        "/api/v1/auth/logout",
        Access.MEMBER,
        ok=204,
        scope=EVERYONE,
        prepare=lambda _s, _r: Call("/api/v1/auth/logout"),
        fresh_client=True,
    ),
    RouteCase(
        "POST",
        "/api/v1/auth/password",
        Access.MEMBER,
        ok=204,
        scope=EVERYONE,
        # The same password again: the call succeeds and every later log-in still works.
        prepare=lambda _s, _r: Call(
            "/api/v1/auth/password", json={"old_password": PASSWORD, "new_password": PASSWORD}
        ),
    ),
]

ME: list[RouteCase] = [
    _own("GET", "/api/v1/me"),
    _own("PATCH", "/api/v1/me", body={"leaderboard_opt_out": False}),
    _own("GET", "/api/v1/me/balance"),
    _own("GET", "/api/v1/me/history"),
]
