"""Deny by default: every route of the app declares who may call it, and the guard enforces it."""

from __future__ import annotations

import secrets
from typing import Any

from litestar import Litestar, get
from litestar.testing import AsyncTestClient

from api.access import ACCESS_KEY, Access, access, rule_of
from api.app import CSRF_COOKIE, CSRF_HEADER, create_app
from config.settings import Settings
from tests.api.route_cases.base import methods_of, route_table
from tests.api.world import PASSWORD, World


def undeclared_routes(app: Litestar) -> list[tuple[str, str]]:
    """(methods, path) of every handler in the app's route table that declares no rule."""
    return [
        (",".join(sorted(methods_of(handler))), path)
        for path, handler in route_table(app)
        if rule_of(handler, path) is None
    ]


def _app(url: str = "sqlite+aiosqlite:///:memory:", **kwargs: Any) -> Litestar:
    """The app; walking its routes never touches the database."""
    settings = Settings(database_url=url, session_secret=secrets.token_hex(32), run_jobs=False)
    return create_app(settings, **kwargs)


@get("/api/v1/forgotten", tags=["test"], sync_to_thread=False)
def forgotten() -> dict[str, str]:
    """A route whose author forgot to declare who may call it."""
    return {"secret": "anyone can read this"}


@get("/api/v1/declared", opt=access(Access.ADMIN), tags=["test"], sync_to_thread=False)
def declared() -> dict[str, str]:
    """The same route with a rule."""
    return {"secret": "admins only"}


def test_every_route_of_the_app_declares_a_rule() -> None:
    """Walking the route table finds no handler without a declared access rule."""
    app = _app()
    assert len(app.routes) > 20
    assert undeclared_routes(app) == []


def test_the_walk_finds_a_route_without_a_rule() -> None:
    """The walk above is not vacuous: a handler registered without a rule is reported."""
    app = _app(extra_routes=[forgotten, declared])
    assert undeclared_routes(app) == [("GET", "/api/v1/forgotten")]


def test_only_framework_routes_take_their_rule_from_the_path() -> None:
    """Our handlers declare their rule themselves; the path fallback is for schema and metrics."""
    app = _app()
    by_path = sorted(
        {
            path
            for path, handler in route_table(app)
            if ACCESS_KEY not in handler.opt and methods_of(handler) != {"OPTIONS"}
        }
    )
    assert by_path
    assert all(p in {"/metrics", "/schema"} or p.startswith("/schema/") for p in by_path), by_path


async def test_guard_refuses_a_route_without_a_rule_to_everyone(world: World) -> None:
    """Without a rule even an admin gets 403 forbidden, and the handler never runs."""
    app = _app(world.db.url, extra_routes=[forgotten, declared], sender=world.sender)
    for role in (None, "resident", "admin", "district_admin"):
        async with AsyncTestClient(app) as client:
            await client.get("/health")
            client.headers[CSRF_HEADER] = client.cookies.get(CSRF_COOKIE) or ""
            if role is not None:
                login = {"identifier": world.username(role), "password": PASSWORD}
                assert (await client.post("/api/v1/auth/login", json=login)).status_code == 200
            response = await client.get("/api/v1/forgotten")
            assert response.status_code == 403, (role, response.text)
            assert response.json()["code"] == "forbidden"
            assert response.json()["reason"] == "undeclared"
            assert "anyone can read this" not in response.text
            admitted = role in ("admin", "district_admin")
            expected = 200 if admitted else (401 if role is None else 403)
            assert (await client.get("/api/v1/declared")).status_code == expected, role
