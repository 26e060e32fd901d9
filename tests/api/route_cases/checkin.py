"""Role-matrix rows of the check-in routes (api/routes/checkin_*.py): one per route.

Most check-in routes admit any logged-in member and decide per object (checkin/scope.py):
the captains of an event's team and the admins of its community manage it; the community's
admins and auditors also read its check-ins and refusals; the community's members see its
open events; everyone else gets 404. A venue code of another community is refused with
`wrong_community` (403), which names no object. Calls that change something (open, close,
cancel, approve, reverse, a scan) act on a fresh event, member or check-in per caller, made
through the domain layer with the check-in tests' helpers.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

from api.access import Access
from checkin import rulesets
from checkin.models import Event
from tests.api.route_cases.base import ANONYMOUS, EVERYONE, STAFF_OF_A, Call, Prepare, RouteCase
from tests.api.scene import Scene
from tests.checkin.helpers import Clock
from tests.checkin.helpers import Scene as CheckinScene
from tests.conftest import FIXED_NOW

MANAGERS = frozenset({"captain", "admin", "district_admin"})
READERS = MANAGERS | {"auditor"}
SEERS = frozenset({"resident", "captain", "clerk", "admin", "auditor", "district_admin"})
MEMBERS = frozenset(EVERYONE - {ANONYMOUS})
WRONG_COMMUNITY: dict[str, int | tuple[int, str]] = {
    "other_admin": (403, "wrong_community"),
    "other_resident": (403, "wrong_community"),
}
DEFAULT_RULES = (Path(__file__).resolve().parents[3] / "rules" / "default.toml").read_text()
STARTS = FIXED_NOW.isoformat()  # the scene's clock stands at FIXED_NOW
ENDS = (FIXED_NOW + timedelta(hours=2)).isoformat()

_helpers: dict[int, CheckinScene] = {}
_shared: dict[int, Event] = {}


def _ck(scene: Scene) -> CheckinScene:
    """The check-in tests' helpers over this scene's world, at the scene's fixed time."""
    if id(scene) not in _helpers:
        _helpers[id(scene)] = CheckinScene(scene.world, Clock(FIXED_NOW))
    return _helpers[id(scene)]


async def _event(scene: Scene) -> Event:
    """One open community event of team A, shared by the calls that only read or scan it."""
    if id(scene) not in _shared:
        _shared[id(scene)] = await _ck(scene).event(capacity=1000)
    return _shared[id(scene)]


async def _event_path(scene: Scene, suffix: str) -> Call:
    return Call(f"/api/v1/events/{(await _event(scene)).id}{suffix}")


async def _fresh_member(scene: Scene) -> str:
    """A fresh member of team A; returns the name the helpers know them by."""
    name = f"v{secrets.token_hex(4)}"
    await _ck(scene).add_member(name)
    return name


async def _pending(scene: Scene) -> int:
    """A fresh member's pending check-in at the shared event."""
    helper = _ck(scene)
    name = await _fresh_member(scene)
    result = await helper.scan(name, await helper.code(await _event(scene)))
    assert result.checkin.id is not None
    return result.checkin.id


async def _approved(scene: Scene) -> int:
    checkin_id = await _pending(scene)
    await _ck(scene).approve("captain", checkin_id)
    return checkin_id


async def _create_event(scene: Scene, _role: str | None) -> Call:
    body = {
        "activity_id": "new_year_banquet",
        "title": "坝坝席迎新年",
        "starts_at": STARTS,
        "ends_at": ENDS,
        "capacity": 20,
    }
    return Call(f"/api/v1/teams/{scene.world.team.id}/events", json=body)


async def _fresh_event_call(scene: Scene, action: str, opened: bool) -> Call:
    event = await _ck(scene).event(opened=opened)
    body = {"reason": "下雨改期"} if action == "cancel" else None
    return Call(f"/api/v1/events/{event.id}/{action}", json=body)


async def _check_in(scene: Scene, _role: str | None) -> Call:
    return Call("/api/v1/checkins", json={"token": await _ck(scene).code(await _event(scene))})


async def _check_out(scene: Scene, role: str | None) -> Call:
    """A fresh patrol (which needs a check-out) that `role` checked in to, if they could."""
    helper = _ck(scene)
    token = await helper.code(await helper.event(activity_id="safety_patrol"))
    if role in SEERS:
        await helper.scan(role, token)
    return Call("/api/v1/checkouts", json={"token": token})


async def _open_code(scene: Scene, _role: str | None) -> Call:
    return Call(f"/api/v1/checkin-codes/{await _ck(scene).code(await _event(scene))}")


async def _personal_scan(scene: Scene, _role: str | None) -> Call:
    code = await _ck(scene).member_code(await _fresh_member(scene))
    event = await _event(scene)
    return Call(f"/api/v1/events/{event.id}/personal-scans", json={"code": code})


async def _offline_scans(scene: Scene, _role: str | None) -> Call:
    code = await _ck(scene).member_code(await _fresh_member(scene))
    item = {"nonce": secrets.token_hex(8), "code": code, "scanned_at": STARTS}
    event = await _event(scene)
    return Call(f"/api/v1/events/{event.id}/offline-scans", json={"scans": [item]})


async def _decision(scene: Scene, action: str) -> Call:
    body = {"reason": "不在现场"} if action in ("reject", "reverse") else None
    checkin_id = await (_approved(scene) if action == "reverse" else _pending(scene))
    return Call(f"/api/v1/checkins/{checkin_id}/{action}", json=body)


async def _bulk(scene: Scene, action: str) -> Call:
    body: dict[str, object] = {"checkin_ids": [await _pending(scene)]}
    if action == "reject":
        body["reason"] = "不在现场"
    return Call(f"/api/v1/approvals/{action}", json=body)


def _rulesets(scene: Scene) -> str:
    return f"/api/v1/communities/{scene.community_id}/rulesets"


async def _versioned(scene: Scene, suffix: str, params: dict[str, str] | None = None) -> Call:
    """A call on the version that holds the default rules (uploading it again finds it)."""
    async with scene.db.sessions.begin() as session:
        row = await rulesets.upload(
            session,
            community_id=scene.community_id,
            text=DEFAULT_RULES,
            file_name="default.toml",
            uploaded_by=None,
            now=FIXED_NOW,
        )
    return Call(f"{_rulesets(scene)}/{row.version}{suffix}", params=params)


def _row(
    method: str,
    route: str,
    prepare: Prepare,
    *,
    scope: frozenset[str],
    rule: Access = Access.MEMBER,
    ok: int = 200,
    expect: dict[str, int | tuple[int, str]] | None = None,
) -> RouteCase:
    return RouteCase(method, route, rule, prepare=prepare, ok=ok, scope=scope, expect=expect or {})


EVENT = "/api/v1/events/{event_id:int}"
RULESETS = "/api/v1/communities/{community_id:int}/rulesets"

CASES: list[RouteCase] = [
    # Events
    _row("POST", "/api/v1/teams/{team_id:int}/events", _create_event, ok=201, scope=MANAGERS),
    _row("GET", "/api/v1/events", lambda _s, _r: Call("/api/v1/events"), scope=MEMBERS),
    _row("GET", EVENT, lambda s, _r: _event_path(s, ""), scope=SEERS),
    _row(
        "POST", EVENT + "/open", lambda s, _r: _fresh_event_call(s, "open", False), scope=MANAGERS
    ),
    _row(
        "POST", EVENT + "/close", lambda s, _r: _fresh_event_call(s, "close", True), scope=MANAGERS
    ),
    _row(
        "POST",
        EVENT + "/cancel",
        lambda s, _r: _fresh_event_call(s, "cancel", True),
        scope=MANAGERS,
    ),
    _row("GET", EVENT + "/code", lambda s, _r: _event_path(s, "/code"), scope=MANAGERS),
    _row("GET", EVENT + "/code.png", lambda s, _r: _event_path(s, "/code.png"), scope=MANAGERS),
    _row("GET", EVENT + "/code.svg", lambda s, _r: _event_path(s, "/code.svg"), scope=MANAGERS),
    _row("GET", EVENT + "/checkins", lambda s, _r: _event_path(s, "/checkins"), scope=READERS),
    _row("GET", EVENT + "/refusals", lambda s, _r: _event_path(s, "/refusals"), scope=READERS),
    _row(
        "GET",
        "/api/v1/communities/{community_id:int}/scan-refusals",
        lambda s, _r: Call(f"/api/v1/communities/{s.community_id}/scan-refusals"),
        rule=Access.STAFF,
        scope=STAFF_OF_A,
    ),
    # Scans
    _row("POST", "/api/v1/checkins", _check_in, ok=201, scope=SEERS, expect=WRONG_COMMUNITY),
    _row("POST", "/api/v1/checkouts", _check_out, ok=201, scope=SEERS, expect=WRONG_COMMUNITY),
    _row(
        "GET",
        "/api/v1/checkin-codes/{token:str}",
        _open_code,
        rule=Access.PUBLIC,
        scope=EVERYONE,
    ),
    _row("POST", EVENT + "/personal-scans", _personal_scan, ok=201, scope=MANAGERS),
    # An upload answers per scan: for an event outside the caller's scope every scan is
    # refused not_found inside a 200 answer, exactly as for an event that does not exist.
    _row("POST", EVENT + "/offline-scans", _offline_scans, scope=MEMBERS),
    _row("GET", "/api/v1/me/checkins", lambda _s, _r: Call("/api/v1/me/checkins"), scope=MEMBERS),
    _row(
        "POST",
        "/api/v1/me/personal-codes",
        lambda _s, _r: Call("/api/v1/me/personal-codes", json={}),
        ok=201,
        scope=MEMBERS,
    ),
    # The resident serves in team A: its captain and the community's admins print their code.
    _row(
        "POST",
        "/api/v1/members/{member_id:int}/personal-codes",
        lambda s, _r: Call(f"/api/v1/members/{s.world.id_of('resident')}/personal-codes", json={}),
        ok=201,
        scope=MANAGERS,
    ),
    # Approvals
    _row(
        "GET",
        "/api/v1/approvals/pending",
        lambda _s, _r: Call("/api/v1/approvals/pending"),
        scope=MEMBERS,
    ),
    _row(
        "POST",
        "/api/v1/checkins/{checkin_id:int}/approve",
        lambda s, _r: _decision(s, "approve"),
        scope=MANAGERS,
    ),
    _row(
        "POST",
        "/api/v1/checkins/{checkin_id:int}/reject",
        lambda s, _r: _decision(s, "reject"),
        scope=MANAGERS,
    ),
    # In bulk, each check-in is decided or refused on its own; the call itself succeeds.
    _row("POST", "/api/v1/approvals/approve", lambda s, _r: _bulk(s, "approve"), scope=MEMBERS),
    _row("POST", "/api/v1/approvals/reject", lambda s, _r: _bulk(s, "reject"), scope=MEMBERS),
    _row(
        "POST",
        "/api/v1/checkins/{checkin_id:int}/reverse",
        lambda s, _r: _decision(s, "reverse"),
        rule=Access.ADMIN,
        scope=STAFF_OF_A,
    ),
    # Rule sets
    _row(
        "POST",
        RULESETS + "/check",
        lambda s, _r: Call(_rulesets(s) + "/check", json={"text": DEFAULT_RULES}),
        rule=Access.ADMIN,
        scope=STAFF_OF_A,
    ),
    _row(
        "POST",
        RULESETS,
        lambda s, _r: Call(_rulesets(s), json={"text": DEFAULT_RULES}),
        rule=Access.ADMIN,
        ok=201,
        scope=STAFF_OF_A,
    ),
    _row("GET", RULESETS, lambda s, _r: Call(_rulesets(s)), rule=Access.STAFF, scope=STAFF_OF_A),
    _row("GET", RULESETS + "/active", lambda s, _r: Call(_rulesets(s) + "/active"), scope=SEERS),
    _row(
        "POST",
        RULESETS + "/{version:int}/activate",
        lambda s, _r: _versioned(s, "/activate"),
        rule=Access.ADMIN,
        scope=STAFF_OF_A,
    ),
    _row(
        "GET",
        RULESETS + "/{version:int}/simulation",
        lambda s, _r: _versioned(s, "/simulation", params={"since": "2026-02-01"}),
        rule=Access.ADMIN,
        scope=STAFF_OF_A,
    ),
    _row(
        "GET",
        "/api/v1/rulesets/{ruleset_hash:str}",
        lambda _s, _r: Call(f"/api/v1/rulesets/{rulesets.default_ruleset().hash}"),
        rule=Access.PUBLIC,
        scope=EVERYONE,
    ),
]
