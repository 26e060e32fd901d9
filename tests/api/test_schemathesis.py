"""schemathesis over the app's OpenAPI schema: no server errors, no answers that break it.

For each kind of caller (anonymous, and logged in as each role with the session cookie and
the CSRF header) every operation of the schema is called with generated requests. Where the
route's rule refuses the caller, a couple of calls check that the refusal is documented.
Where it admits them, calls go with generated path parameters, with the path naming the
scene's real objects (so they get past the 404 of a random id into the handler), and with
deliberately invalid data. No response may be a 5xx; each must use a documented status and
content type, and its body must match the documented schema (invalid requests are checked
for everything but the status, which schemathesis may not predict for broken input).
Examples are bounded and derandomised: each caller's run takes seconds on SQLite, and fails
the same way every time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast

import msgspec
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from litestar import Litestar, get
from litestar.params import FromPath
from litestar.routes import HTTPRoute
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.access import Access, access, rule_of
from api.app import CSRF_COOKIE, CSRF_HEADER, create_app
from api.context import context_of
from ledger.keys import KeyStore
from tests.api.route_cases.base import ADMITTED, HELD_ROLES
from tests.api.scene import ALL_ROLES, Scene, build_scene
from tests.api.world import PASSWORD
from tests.conftest import Database

# Calls per operation and kind of generation: few where the guard refuses the caller anyway,
# more where the request reaches the handler.
REFUSED_EXAMPLES = 2
GENERATED_EXAMPLES = 2
REAL_ID_EXAMPLES = 5
INVALID_EXAMPLES = 3
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
INVALID_INPUT_CHECKS = [c for c in CHECKS if c is not status_code_conformance]
# Logging out would end the session the rest of a logged-in run relies on; the anonymous
# run calls it.
LOGGED_IN_SKIPS = {("POST", "/api/v1/auth/logout"), ("POST", "/logout")}


@dataclass(frozen=True)
class Plan:
    """One kind of generated call for one operation."""

    mode: str
    strategy: Any
    examples: int
    checks: list[Callable[..., Any]]


@dataclass(frozen=True)
class Finding:
    operation: str
    mode: str
    message: str


def _real_ids(scene: Scene, target_member: int) -> dict[str, Any]:
    """Path parameters naming real objects of community A (and its ledger)."""
    return {
        "community_id": scene.community_id,
        "sub_district_id": scene.district_id,
        "grid_id": scene.grid.id,
        "building_id": scene.building.id,
        "team_id": scene.world.team.id,
        "shop_id": scene.world.shop.id,
        "member_id": target_member,
        "ledger": scene.world.community.ledger_id,
    }


def _rules(app: Litestar) -> dict[tuple[str, str], Access]:
    """(METHOD, OpenAPI path) -> the rule its handler declares."""
    rules: dict[tuple[str, str], Access] = {}
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler in route.route_handlers:
                rule = rule_of(handler, route.path)
                assert rule is not None, route.path
                rules.update({(str(m), route.path_format): rule for m in handler.http_methods})
    return rules


def _admits(rule: Access, role: str | None) -> bool:
    if rule is Access.PUBLIC:
        return True
    return role is not None and bool(HELD_ROLES[role] & ADMITTED[rule])


def _plans(operation: Any, real_ids: dict[str, Any], admitted: bool) -> Iterator[Plan]:
    """What to generate for one operation and caller."""
    if not admitted:
        yield Plan("refused", operation.as_strategy(), REFUSED_EXAMPLES, CHECKS)
        return
    yield Plan("generated", operation.as_strategy(), GENERATED_EXAMPLES, CHECKS)
    names = {parameter.name for parameter in operation.path_parameters}
    fixed = {name: real_ids[name] for name in names if name in real_ids}
    if fixed:
        strategy = operation.as_strategy(path_parameters=fixed)
        yield Plan("real ids", strategy, REAL_ID_EXAMPLES, CHECKS)
    negative = operation.as_strategy(
        generation_mode=schemathesis.GenerationMode.NEGATIVE, path_parameters=fixed or None
    )
    yield Plan("invalid", negative, INVALID_EXAMPLES, INVALID_INPUT_CHECKS)


def _login(client: asgi.ASGIClient, username: str | None) -> None:
    """Fetch the CSRF cookie, send it back as the header, and log in unless anonymous."""
    assert client.get("/health").status_code == 200
    client.headers[CSRF_HEADER] = client.cookies.get(CSRF_COOKIE) or ""
    if username is not None:
        login = {"identifier": username, "password": PASSWORD}
        response = client.post("/api/v1/auth/login", json=login)
        assert response.status_code == 200, response.text


def _run(
    app: Litestar,
    role: str | None,
    username: str | None,
    real_ids: dict[str, Any],
    only: str = "/",
) -> list[Finding]:
    """Call every operation (under `only`) with bounded examples; collect what failed."""
    asgi_app: Any = app  # schemathesis types ASGI apps as plain callables
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", asgi_app)
    rules = _rules(app)
    findings: list[Finding] = []
    with asgi.get_client(asgi_app) as client:
        _login(client, username)
        for result in schema.get_all_operations():
            assert isinstance(result, Ok), f"the schema has an invalid operation: {result}"
            operation = result.ok()
            key = (operation.method.upper(), operation.path)
            if not operation.path.startswith(only):
                continue
            if username is not None and key in LOGGED_IN_SKIPS:
                continue
            for plan in _plans(operation, real_ids, _admits(rules[key], role)):
                findings += _explore(client, operation.label, plan)
    return findings


def _explore(client: asgi.ASGIClient, label: str, plan: Plan) -> list[Finding]:
    findings: list[Finding] = []

    @given(case=plan.strategy)
    @settings(
        max_examples=plan.examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: failures are collected
        suppress_health_check=list(HealthCheck),
    )
    def call(case: schemathesis.Case[Any]) -> None:
        response = case.call(session=client)
        try:
            case.validate_response(response, checks=plan.checks)
        except FailureGroup as failure:
            findings.append(Finding(label, plan.mode, str(failure)[:2000]))

    try:
        call()
    except Unsatisfiable:
        # An operation without parameters or body has no invalid variant to generate.
        if plan.mode != "invalid":
            findings.append(Finding(label, plan.mode, "no request could be generated"))
    return findings


@pytest.fixture(scope="module")
async def schema_scene(sqlite_db: Database, keystore: KeyStore) -> Scene:
    """A scene on SQLite for the schemathesis runs (PostgreSQL is not needed here)."""
    return await build_scene(sqlite_db, keystore)


@pytest.mark.parametrize("role", ALL_ROLES, ids=lambda r: r or "anonymous")
async def test_no_server_errors_and_no_schema_violations(
    schema_scene: Scene, role: str | None
) -> None:
    """Generated calls as `role` never answer 5xx nor anything the schema does not document."""
    scene = schema_scene
    target, _ = await scene.add_member()
    assert target.id is not None
    app = scene.world.app()
    username = scene.world.username(role) if role is not None else None
    real_ids = _real_ids(scene, target.id)
    findings = await asyncio.to_thread(_run, app, role, username, real_ids)
    report = "\n\n".join(f"{f.operation} [{f.mode}]\n{f.message}" for f in findings[:15])
    assert not findings, f"{len(findings)} failing calls; the first ones:\n\n{report}"


class Promise(msgspec.Struct):
    points: int


@get("/api/v1/test/crash/{n:int}", opt=access(Access.PUBLIC), sync_to_thread=False)
def crash(n: FromPath[int]) -> Promise:
    """Fails for some inputs, like an unguarded bug."""
    if n % 2:
        raise RuntimeError("a bug")
    return Promise(points=n)


@get("/api/v1/test/liar", opt=access(Access.PUBLIC), sync_to_thread=False)
def liar() -> Promise:
    """Answers something other than what its schema promises."""
    return cast(Promise, {"points": "many"})


async def test_the_run_reports_server_errors_and_schema_violations(
    schema_scene: Scene,
) -> None:
    """The harness is not vacuous: a route that crashes and one that lies are both reported."""
    world = schema_scene.world
    settings = context_of(world.app().state).settings
    app = create_app(settings, clock=world.clock, sender=world.sender, extra_routes=[crash, liar])
    findings = await asyncio.to_thread(_run, app, None, None, {}, "/api/v1/test/")
    failed = {(f.operation, f.mode) for f in findings}
    assert ("GET /api/v1/test/crash/{n}", "generated") in failed
    assert ("GET /api/v1/test/liar", "generated") in failed
    messages = "\n".join(f.message for f in findings)
    assert "Server error" in messages
    assert "Response violates schema" in messages
