"""Role-matrix rows of the refund and settlement pages (api/web/refund_pages.py and
settlement_pages.py).

The clerk's refund request is for the clerks of the redemption's shop; the refunds and
settlements pages are read by community A's admins, auditors and the district admin and
changed by its admins and the district admin. Another community's admin gets 404, everyone
else 403, and anonymous callers are sent to log in (302). Calls that change something act on
a fresh committed redemption, refund request or settlement reference per caller. Objects of
another community (a redemption of another shop, a refund request or shop of community B
named under A's path) are covered by tests/api/test_refund_pages.py.
"""

from __future__ import annotations

import secrets

from api.access import Access
from tests.api.route_cases.base import ANONYMOUS, Call, Prepare, RouteCase
from tests.api.route_cases.redemption import _committed, _credit, _refund_request
from tests.api.scene import Scene

LOGIN_REDIRECT = 302
TO_LOGIN = {ANONYMOUS: LOGIN_REDIRECT}
CLERKS = frozenset({"clerk"})
C = "/admin/c/{community_id:int}"


def a(scene: Scene) -> str:
    return f"/admin/c/{scene.community_id}"


async def _ask(scene: Scene, _role: str | None) -> Call:
    done = await _committed(scene)
    return Call(f"/clerk/redemptions/{done.id}/refund-request", form={"reason": "退货"})


def _decide(decision: str) -> Prepare:
    async def call(scene: Scene, _role: str | None) -> Call:
        asked = await _refund_request(scene)
        return Call(f"{a(scene)}/refunds/{asked.id}/{decision}", form={"note": "核实"})

    return call


async def _settle(scene: Scene, _role: str | None) -> Call:
    shop = scene.world.shop
    await _credit(scene, scene.world.community, shop.account, 1)
    fields = {
        "shop_id": str(shop.id),
        "amount_points": "1",
        "reference": f"r-{secrets.token_hex(4)}",
    }
    return Call(f"{a(scene)}/settlements", form=fields)


def _read(suffix: str) -> RouteCase:
    return RouteCase(
        "GET",
        C + suffix,
        Access.STAFF,
        prepare=lambda s, _r: Call(a(s) + suffix),
        expect=TO_LOGIN,
    )


def _write(route: str, prepare: Prepare) -> RouteCase:
    return RouteCase("POST", C + route, Access.ADMIN, ok=303, prepare=prepare, expect=TO_LOGIN)


CASES: list[RouteCase] = [
    RouteCase(
        "POST",
        "/clerk/redemptions/{redemption_id:int}/refund-request",
        Access.CLERK,
        ok=303,
        scope=CLERKS,
        prepare=_ask,
        expect=TO_LOGIN,
    ),
    _read("/refunds"),
    _write("/refunds/{refund_id:int}/approve", _decide("approve")),
    _write("/refunds/{refund_id:int}/reject", _decide("reject")),
    _read("/settlements"),
    _write("/settlements", _settle),
]
