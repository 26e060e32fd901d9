"""Role-matrix rows of the volunteer's check-in, home-game and captain pages
(api/web/checkin_pages.py, game_pages.py, captain_*.py).

Pages send anonymous callers to the login page (302), except the kiosk's live JSON, which
answers 401 like the API. The venue code's page (`/c/{token}`) is public: strangers are sent
to log in, community A's people are checked in (303 to their check-in), community B's are
refused with `wrong_community` (403). Captain pages admit captains only (403 for everyone
else); which events and check-ins a captain may touch is covered by
tests/api/test_checkin_pages.py, since a page row cannot state a foreign call's redirect.
"""

from __future__ import annotations

import secrets

from api.access import Access
from tests.api.route_cases.base import ANONYMOUS, HELD_ROLES, Call, Prepare, RouteCase
from tests.api.route_cases.checkin import SEERS, _ck, _event, _fresh_member, _pending
from tests.api.scene import Scene
from tests.conftest import FIXED_NOW

LOGIN_REDIRECT = 302
MEMBERS = frozenset(HELD_ROLES)
COMMUNITY_A = frozenset(SEERS)
CAPTAINS = frozenset({"captain"})
TO_LOGIN = {ANONYMOUS: LOGIN_REDIRECT}
WRONG_COMMUNITY: dict[str, int | tuple[int, str]] = {
    ANONYMOUS: LOGIN_REDIRECT,
    "other_admin": 403,
    "other_resident": 403,
}


async def _open_code(scene: Scene, _role: str | None) -> Call:
    return Call(f"/c/{await _ck(scene).code(await _event(scene))}")


async def _check_out(scene: Scene, role: str | None) -> Call:
    """A fresh patrol that `role` checked in to, if they could."""
    helper = _ck(scene)
    token = await helper.code(await helper.event(activity_id="safety_patrol"))
    if role in SEERS:
        await helper.scan(role, token)
    return Call(f"/c/{token}/checkout", form={})


async def _my_checkin(scene: Scene, role: str | None) -> Call:
    """The caller's check-in at the shared event (community B's people and strangers ask
    for the resident's, which is not theirs)."""
    helper = _ck(scene)
    owner = role if role in SEERS else "resident"
    scanned = await helper.scan(owner, await helper.code(await _event(scene)))
    return Call(f"/me/checkins/{scanned.checkin.id}")


def _get(path: str) -> Prepare:
    return lambda _s, _r: Call(path)


async def _event_action(scene: Scene, action: str, *, opened: bool) -> Call:
    event = await _ck(scene).event(opened=opened)
    body = {"reason": "下雨改期"} if action == "cancel" else {}
    return Call(f"/captain/events/{event.id}/{action}", form=body)


async def _create(scene: Scene, _role: str | None) -> Call:
    local = FIXED_NOW.strftime("%Y-%m-%dT") + "16:00"
    fields = {
        "team_id": str(scene.world.team.id),
        "activity_id": "new_year_banquet",
        "title": f"坝坝席 {secrets.token_hex(2)}",
        "starts_at": local,
        "ends_at": FIXED_NOW.strftime("%Y-%m-%dT") + "18:00",
        "capacity": "20",
    }
    return Call("/captain/events", form=fields)


async def _decision(scene: Scene, action: str) -> Call:
    body = {"reason": "不在现场"} if action == "reject" else {}
    return Call(f"/captain/checkins/{await _pending(scene)}/{action}", form=body)


async def _bulk(scene: Scene, _role: str | None) -> Call:
    return Call("/captain/pending/approve", form={"checkin_id": str(await _pending(scene))})


async def _scan(scene: Scene, _role: str | None) -> Call:
    code = await _ck(scene).member_code(await _fresh_member(scene))
    event = await _event(scene)
    return Call("/captain/scan", form={"event_id": str(event.id), "code": code})


async def _kiosk(scene: Scene, suffix: str) -> Call:
    return Call(f"/captain/events/{(await _event(scene)).id}/{suffix}")


def _row(
    method: str,
    route: str,
    rule: Access,
    prepare: Prepare,
    *,
    ok: int = 200,
    scope: frozenset[str] | None = None,
    expect: dict[str, int | tuple[int, str]] | None = None,
) -> RouteCase:
    return RouteCase(
        method,
        route,
        rule,
        prepare=prepare,
        ok=ok,
        scope=scope if scope is not None else (CAPTAINS if rule is Access.CAPTAIN else MEMBERS),
        expect=TO_LOGIN if expect is None else expect,
    )


EVENT = "/captain/events/{event_id:int}"
CHECKIN = "/captain/checkins/{checkin_id:int}"

CASES: list[RouteCase] = [
    # The volunteer's pages.
    _row(
        "GET",
        "/c/{token:str}",
        Access.PUBLIC,
        _open_code,
        ok=303,
        scope=COMMUNITY_A,
        expect=WRONG_COMMUNITY,
    ),
    _row(
        "POST",
        "/c/{token:str}/checkout",
        Access.MEMBER,
        _check_out,
        ok=303,
        scope=COMMUNITY_A,
        expect=WRONG_COMMUNITY,
    ),
    # Community B's people ask for the resident's check-in: not theirs, so not found.
    _row("GET", "/me/checkins/{checkin_id:int}", Access.MEMBER, _my_checkin, scope=COMMUNITY_A),
    _row("GET", "/me/code", Access.MEMBER, _get("/me/code")),
    _row("GET", "/leaderboards", Access.MEMBER, _get("/leaderboards")),
    # The captain's pages.
    _row("GET", "/captain", Access.CAPTAIN, _get("/captain")),
    _row("POST", "/captain/events", Access.CAPTAIN, _create, ok=303),
    _row(
        "POST",
        EVENT + "/open",
        Access.CAPTAIN,
        lambda s, _r: _event_action(s, "open", opened=False),
        ok=303,
    ),
    _row(
        "POST",
        EVENT + "/close",
        Access.CAPTAIN,
        lambda s, _r: _event_action(s, "close", opened=True),
        ok=303,
    ),
    _row(
        "POST",
        EVENT + "/cancel",
        Access.CAPTAIN,
        lambda s, _r: _event_action(s, "cancel", opened=True),
        ok=303,
    ),
    _row("GET", EVENT + "/kiosk", Access.CAPTAIN, lambda s, _r: _kiosk(s, "kiosk")),
    # JSON for the kiosk's script: strangers get 401 like the API.
    _row(
        "GET",
        EVENT + "/live",
        Access.CAPTAIN,
        lambda s, _r: _kiosk(s, "live"),
        expect={},
    ),
    _row("GET", "/captain/pending", Access.CAPTAIN, _get("/captain/pending")),
    _row(
        "POST",
        CHECKIN + "/approve",
        Access.CAPTAIN,
        lambda s, _r: _decision(s, "approve"),
        ok=303,
    ),
    _row(
        "POST",
        CHECKIN + "/reject",
        Access.CAPTAIN,
        lambda s, _r: _decision(s, "reject"),
        ok=303,
    ),
    _row("POST", "/captain/pending/approve", Access.CAPTAIN, _bulk, ok=303),
    _row("GET", "/captain/scan", Access.CAPTAIN, _get("/captain/scan")),
    _row("POST", "/captain/scan", Access.CAPTAIN, _scan),
]
