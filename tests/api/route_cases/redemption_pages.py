"""Role-matrix rows of the reward pages (api/web/reward_pages.py) and the clerk's counter
pages (api/web/clerk_pages.py).

Reward pages are for every member; counter pages for clerks, and the objects they name
(a code's shop, a redemption) for the clerks of that shop. Pages send anonymous callers to
the login page (302); the code page's status, read by its script, answers like the API.
Scopes beyond the rule (another shop's clerk, someone else's code) are covered by
tests/api/test_reward_pages.py, since a page row cannot state a foreign call's redirect.
"""

from __future__ import annotations

from api.access import Access
from tests.api.route_cases.base import ANONYMOUS, HELD_ROLES, Call, Prepare, RouteCase
from tests.api.route_cases.redemption import _code, _credit, _fresh_code, _held, _reward
from tests.api.scene import Scene

LOGIN_REDIRECT = 302
MEMBERS = frozenset(HELD_ROLES)
CLERKS = frozenset({"clerk"})
TO_LOGIN = {ANONYMOUS: LOGIN_REDIRECT}


async def _my_code(scene: Scene, role: str | None) -> str:
    """A fresh code of the caller (the resident for anonymous callers) in their community."""
    community = scene.community_of(role)
    person = scene.world.people[role or "resident"]
    reward = await _reward(scene, foreign=community.id == scene.other_id)
    return await _code(scene, person, reward, community)


async def _ask(scene: Scene, role: str | None) -> Call:
    if role is None:
        return Call("/rewards/code", form={"reward_id": "1"})
    community = scene.community_of(role)
    reward = await _reward(scene, foreign=community.id == scene.other_id)
    await _credit(scene, community, scene.world.people[role].account, reward.price_points)
    return Call("/rewards/code", form={"reward_id": str(reward.id)})


async def _code_page(scene: Scene, role: str | None, suffix: str = "") -> Call:
    return Call(f"/rewards/code/{await _my_code(scene, role)}{suffix}")


async def _someone_elses_status(scene: Scene, role: str | None) -> Call:
    other = "captain" if role != "captain" else "resident"
    if role is not None and scene.community_of(role).id == scene.other_id:
        other = "other_resident" if role != "other_resident" else "other_admin"
    return Call(f"/rewards/code/{await _my_code(scene, other)}/status")


async def _on_held(scene: Scene, suffix: str = "") -> Call:
    held = await _held(scene)
    return Call(f"/clerk/redemptions/{held.id}{suffix}", form={} if suffix else None)


def _member_page(path: str) -> RouteCase:
    return RouteCase(
        "GET",
        path,
        Access.MEMBER,
        scope=MEMBERS,
        prepare=lambda _s, _r: Call(path),
        expect=TO_LOGIN,
    )


def _clerk_page(method: str, route: str, ok: int, prepare: Prepare) -> RouteCase:
    return RouteCase(
        method, route, Access.CLERK, ok=ok, scope=CLERKS, prepare=prepare, expect=TO_LOGIN
    )


async def _open_code(scene: Scene, _role: str | None) -> Call:
    return Call(f"/r/{await _fresh_code(scene)}")


CASES: list[RouteCase] = [
    _member_page("/rewards"),
    _member_page("/rewards/mine"),
    RouteCase(
        "POST",
        "/rewards/code",
        Access.MEMBER,
        ok=303,
        scope=MEMBERS,
        prepare=_ask,
        expect=TO_LOGIN,
    ),
    RouteCase(
        "GET",
        "/rewards/code/{code:str}",
        Access.MEMBER,
        scope=MEMBERS,
        prepare=_code_page,
        expect=TO_LOGIN,
    ),
    RouteCase(
        "GET",
        "/rewards/code/{code:str}/status",
        Access.MEMBER,
        scope=MEMBERS,
        prepare=lambda s, r: _code_page(s, r, "/status"),
        foreign=_someone_elses_status,
    ),
    _clerk_page("GET", "/r/{code:str}", 303, _open_code),
    _clerk_page(
        "GET", "/clerk/scan", 303, lambda _s, _r: Call("/clerk/scan", params={"code": "abc"})
    ),
    _clerk_page("GET", "/clerk", 200, lambda _s, _r: Call("/clerk")),
    _clerk_page(
        "GET",
        "/clerk/statement",
        200,
        lambda _s, _r: Call("/clerk/statement", params={"from": "2026-03-01", "to": "2026-03-31"}),
    ),
    _clerk_page("GET", "/clerk/redemptions/{redemption_id:int}", 200, lambda s, _r: _on_held(s)),
    _clerk_page(
        "POST",
        "/clerk/redemptions/{redemption_id:int}/confirm",
        303,
        lambda s, _r: _on_held(s, "/confirm"),
    ),
    _clerk_page(
        "POST",
        "/clerk/redemptions/{redemption_id:int}/cancel",
        303,
        lambda s, _r: _on_held(s, "/cancel"),
    ),
]
