"""The role matrix: every route, asked by every kind of caller, answers what its rule declares.

The rows live in tests/api/route_cases/ (one list per route module). Callers: anonymous,
resident, captain, clerk, admin of community A, auditor of A, admin of community B,
resident of B, and the district admin. Objects of another community, named under one's
own community's path, are 404 for everyone: ids guessed across communities reveal nothing.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.handlers.base import BaseRouteHandler

from api.access import rule_of
from tests.api.route_cases import ALL_CASES
from tests.api.route_cases.base import (
    ANONYMOUS,
    Call,
    RouteCase,
    build_call,
    methods_of,
    route_table,
)
from tests.api.scene import ALL_ROLES, Scene, module_scene_fixtures

scene_db, scene = module_scene_fixtures()

REFUSAL_CODES = {401: "not_authenticated", 403: "forbidden", 404: "not_found"}


def app_route_keys(app: Litestar) -> dict[tuple[str, str], tuple[BaseRouteHandler, str]]:
    """(method, path template) -> (handler, path), for every route but automatic OPTIONS."""
    return {
        (method, path): (handler, path)
        for path, handler in route_table(app)
        for method in methods_of(handler)
        if method != "OPTIONS"
    }


async def _send(scene: Scene, case: RouteCase, role: str | None, call: Call) -> httpx.Response:
    """Make the call as `role`; redirects are answers too, so they are not followed."""
    arguments: dict[str, Any] = {"params": call.params, "follow_redirects": False}
    if call.form is not None:
        arguments["data"] = call.form
    else:
        arguments["json"] = call.json
    if case.fresh_client:
        async with scene.world.client(role) as client:
            return await client.request(case.method, call.path, **arguments)
    if case.copied_client:
        async with scene.copy_of(role) as client:
            return await client.request(case.method, call.path, **arguments)
    client = await scene.client(role)
    return await client.request(case.method, call.path, **arguments)


def _mismatch(
    case: RouteCase, response: httpx.Response, wanted: int, code: str | None = None
) -> str | None:
    """Why the response is not what was wanted, or None when it is."""
    if response.status_code != wanted:
        return f"got {response.status_code}, wanted {wanted}: {response.text[:160]}"
    code = code or REFUSAL_CODES.get(wanted)
    if code is not None and case.route.startswith("/api/"):
        body = response.json()
        if body.get("code") != code:
            return f"code {body.get('code')!r}, wanted {code!r}"
    return None


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda c: f"{c.method} {c.route}")
async def test_every_caller_gets_exactly_the_declared_access(scene: Scene, case: RouteCase) -> None:
    """Each caller gets the route's success, 401, 403 or 404 as its rule and scope say."""
    problems = []
    for role in ALL_ROLES:
        name = role or ANONYMOUS
        response = await _send(scene, case, role, await build_call(case.prepare, scene, role))
        wanted = case.expected(role)
        if (why := _mismatch(case, response, wanted, case.expected_code(role))) is not None:
            problems.append(f"{name}: {why}")
        if case.foreign is not None:
            foreign = await build_call(case.foreign, scene, role)
            response = await _send(scene, case, role, foreign)
            if (why := _mismatch(case, response, case.expected_foreign(role))) is not None:
                problems.append(f"{name} on another community's object: {why}")
    assert not problems, "\n".join(problems)


async def test_matrix_covers_every_route_of_the_app(scene: Scene) -> None:
    """Every route of the app has exactly one row, and its handler declares the row's rule."""
    routes = app_route_keys(scene.world.app())
    keys = [case.key for case in ALL_CASES]
    assert len(keys) == len(set(keys)), "a route has two rows"
    missing = sorted(set(routes) - set(keys))
    stale = sorted(set(keys) - set(routes))
    assert not missing, f"routes without a row in tests/api/route_cases: {missing}"
    assert not stale, f"rows for routes the app does not have: {stale}"
    wrong = [
        (case.key, case.rule, rule_of(*routes[case.key]))
        for case in ALL_CASES
        if rule_of(*routes[case.key]) is not case.rule
    ]
    assert not wrong, f"rows whose rule differs from the handler's: {wrong}"


async def test_automatic_options_answers_reveal_nothing(scene: Scene) -> None:
    """The framework's OPTIONS answer on every route is an empty 204 for anyone."""
    client = await scene.client(None)
    seen = set()
    for case in ALL_CASES:
        if case.route in seen:
            continue
        seen.add(case.route)
        call = await build_call(case.prepare, scene, None)
        response = await client.options(call.path)
        assert response.status_code == 204, (case.route, response.text)
        assert response.content == b""
