"""Role-matrix rows of the admin console (api/web/admin_*.py).

Pages under `/admin/c/{community_id}` are read by community A's admins, auditors and the
district admin, and changed by its admins and the district admin; another community's admin
gets 404, everyone else 403, and anonymous callers are sent to log in (302). Calls that
change something act on a fresh object per caller. Objects of another community named under
A's path are covered by tests/api/test_admin_pages.py (a page row cannot state the login
redirect a foreign call gives anonymous callers).
"""

from __future__ import annotations

import secrets

from api.access import Access
from checkin import rulesets
from checkin.models import Checkin
from redemption import catalogue
from tests.api.route_cases.base import ANONYMOUS, DISTRICT, Call, Prepare, RouteCase
from tests.api.route_cases.checkin import DEFAULT_RULES, _approved
from tests.api.scene import Scene
from tests.conftest import FIXED_NOW

LOGIN_REDIRECT = 302
TO_LOGIN = {ANONYMOUS: LOGIN_REDIRECT}
C = "/admin/c/{community_id:int}"


def a(scene: Scene) -> str:
    return f"/admin/c/{scene.community_id}"


def _read(suffix: str, rule: Access = Access.STAFF, **params: str) -> RouteCase:
    return RouteCase(
        "GET",
        C + suffix,
        rule,
        prepare=lambda s, _r: Call(a(s) + suffix, params=params or None),
        expect=TO_LOGIN,
    )


def _write(route: str, prepare: Prepare, ok: int = 303) -> RouteCase:
    return RouteCase("POST", C + route, Access.ADMIN, ok=ok, prepare=prepare, expect=TO_LOGIN)


def _form(suffix: str, **fields: str) -> Prepare:
    return lambda s, _r: Call(a(s) + suffix, form=fields)


async def _member(scene: Scene) -> int:
    member, _ = await scene.add_member()
    assert member.id is not None
    return member.id


async def _on_member(scene: Scene, suffix: str, **fields: str) -> Call:
    return Call(f"{a(scene)}/members/{await _member(scene)}{suffix}", form=fields)


async def _revoke(scene: Scene, _role: str | None) -> Call:
    member, _ = await scene.add_member()
    grant = await scene.add_grant(member, "auditor", scene.community_id)
    return Call(f"{a(scene)}/grants/{grant.id}/revoke", form={})


async def _grant(scene: Scene, suffix: str) -> Call:
    member, _ = await scene.add_member()
    return Call(a(scene) + suffix, form={"member": member.username or ""})


async def _leave(scene: Scene, _role: str | None) -> Call:
    """Taking a fresh member of team A's team out of it."""
    member, _ = await scene.add_member()
    await scene.add_to_team(scene.world.team, member)
    return Call(f"{a(scene)}/teams/{scene.world.team.id}/members/{member.id}/remove", form={})


# The JSON API's rows set the same, so the two matrices leave the same settings behind.
POLICY_FORM = {
    "timezone": "Asia/Shanghai",
    "refund_window_days": "7",
    "expiry_period": "year",
    "expiry_after_periods": "1",
}
SHOP_SETTINGS_FORM = {"free_amount_max_points": "50"}


async def _reward(scene: Scene, suffix: str = "", form: dict[str, str] | None = None) -> Call:
    """A call on a fresh reward of community A's shop."""
    async with scene.db.sessions.begin() as session:
        reward = await catalogue.create_reward(
            session,
            community_id=scene.community_id,
            shop_id=scene.world.shop.id or 0,
            fields={"name_zh": "香皂", "price_points": 2},
            now=FIXED_NOW,
        )
    return Call(f"{a(scene)}/rewards/{reward.id}{suffix}", form=form)


async def _version(scene: Scene) -> int:
    """A stored version of community A (the default rules' text, so activating it changes
    nothing for the other rows)."""
    async with scene.db.sessions.begin() as session:
        row = await rulesets.upload(
            session,
            community_id=scene.community_id,
            text=DEFAULT_RULES,
            file_name="default.toml",
            uploaded_by=None,
            now=FIXED_NOW,
        )
    return row.version


async def _on_version(scene: Scene, suffix: str, **params: str) -> Call:
    path = f"{a(scene)}/rules/{await _version(scene)}{suffix}"
    return Call(path, params=params or None, form={} if suffix == "/activate" else None)


async def _reverse(scene: Scene, _role: str | None) -> Call:
    checkin_id = await _approved(scene)
    async with scene.db.sessions() as session:
        checkin = await session.get(Checkin, checkin_id)
    assert checkin is not None
    assert checkin.ledger_seq is not None
    return Call(a(scene) + "/reversals", form={"seq": str(checkin.ledger_seq), "reason": "记错"})


def _new_community(scene: Scene, _role: str | None) -> Call:
    fields = {"name": "新社区", "ledger_id": f"m-{secrets.token_hex(5)}"}
    return Call(f"/admin/districts/{scene.district_id}/communities", form=fields)


CASES: list[RouteCase] = [
    RouteCase(
        "GET",
        "/admin",
        Access.STAFF,
        prepare=lambda _s, _r: Call("/admin"),
        # One community: straight to its dashboard; the district admin has two to pick from.
        expect={**TO_LOGIN, "admin": 303, "auditor": 303, "other_admin": 303},
    ),
    RouteCase(
        "POST",
        "/admin/districts/{sub_district_id:int}/communities",
        Access.DISTRICT_ADMIN,
        ok=303,
        scope=DISTRICT,
        prepare=_new_community,
        expect=TO_LOGIN,
    ),
    _read(""),
    _read("/community"),
    _write("/community", _form("/community", name="社区甲")),
    _write(
        "/community/redemption-settings",
        _form("/community/redemption-settings", **POLICY_FORM),
    ),
    _read("/places"),
    _write("/grids", _form("/grids", name="四网格")),
    _write(
        "/grids/{grid_id:int}",
        lambda s, _r: Call(f"{a(s)}/grids/{s.grid.id}", form={"name": "一网格"}),
    ),
    _write(
        "/buildings",
        lambda s, _r: Call(f"{a(s)}/buildings", form={"grid_id": str(s.grid.id), "name": "5 栋"}),
    ),
    _write(
        "/buildings/{building_id:int}",
        lambda s, _r: Call(f"{a(s)}/buildings/{s.building.id}", form={"name": "1 栋"}),
    ),
    _read("/teams"),
    _write("/teams", _form("/teams", name="科普健身队")),
    _write(
        "/teams/{team_id:int}",
        lambda s, _r: Call(f"{a(s)}/teams/{s.world.team.id}", form={"name": "巡逻队"}),
    ),
    _write(
        "/teams/{team_id:int}/captains",
        lambda s, _r: _grant(s, f"/teams/{s.world.team.id}/captains"),
    ),
    _write(
        "/teams/{team_id:int}/members",
        lambda s, _r: _grant(s, f"/teams/{s.world.team.id}/members"),
    ),
    _write("/teams/{team_id:int}/members/{member_id:int}/remove", _leave),
    _read("/shops"),
    _write("/shops", _form("/shops", name="便利店")),
    _write(
        "/shops/{shop_id:int}",
        lambda s, _r: Call(
            f"{a(s)}/shops/{s.world.shop.id}", form={"name": "超市", "active": "yes"}
        ),
    ),
    _write(
        "/shops/{shop_id:int}/clerks",
        lambda s, _r: _grant(s, f"/shops/{s.world.shop.id}/clerks"),
    ),
    _write(
        "/shops/{shop_id:int}/redemption-settings",
        lambda s, _r: Call(
            f"{a(s)}/shops/{s.world.shop.id}/redemption-settings", form=SHOP_SETTINGS_FORM
        ),
    ),
    _write("/grants/{grant_id:int}/revoke", _revoke),
    _read("/members", q="admin"),
    _write(
        "/members",
        lambda s, _r: Call(
            a(s) + "/members",
            form={"display_name": "新居民", "username": f"u{secrets.token_hex(5)}"},
        ),
        ok=200,  # the page with the one-time set-up code
    ),
    RouteCase(
        "GET",
        C + "/members/{member_id:int}",
        Access.STAFF,
        prepare=lambda s, _r: _on_member(s, ""),
        expect=TO_LOGIN,
    ),
    _write(
        "/members/{member_id:int}",
        lambda s, _r: _on_member(
            s, "", display_name="改名", phone=f"135{secrets.randbelow(10**8):08d}"
        ),
    ),
    _write("/members/{member_id:int}/setup-code", lambda s, _r: _on_member(s, "/setup-code"), 200),
    _write(
        "/members/{member_id:int}/grants",
        lambda s, _r: _on_member(s, "/grants", role="auditor"),
    ),
    RouteCase(
        "GET",
        C + "/members/{member_id:int}/erase",
        Access.ADMIN,
        prepare=lambda s, _r: _on_member(s, "/erase"),
        expect=TO_LOGIN,
    ),
    _write("/members/{member_id:int}/erase", lambda s, _r: _on_member(s, "/erase", confirm="yes")),
    _read("/rewards"),
    _write(
        "/rewards",
        lambda s, _r: Call(
            a(s) + "/rewards",
            form={"shop_id": str(s.world.shop.id), "name_zh": "毛巾", "price_points": "3"},
        ),
    ),
    RouteCase(
        "GET",
        C + "/rewards/{reward_id:int}",
        Access.STAFF,
        prepare=lambda s, _r: _reward(s),
        expect=TO_LOGIN,
    ),
    _write(
        "/rewards/{reward_id:int}",
        lambda s, _r: _reward(s, form={"name_zh": "香皂", "price_points": "4", "active": "yes"}),
    ),
    _write("/rewards/{reward_id:int}/withdraw", lambda s, _r: _reward(s, "/withdraw", {})),
    _read("/rules"),
    _write("/rules/check", _form("/rules/check", text=DEFAULT_RULES), ok=200),
    _write("/rules", _form("/rules", text=DEFAULT_RULES)),
    RouteCase(
        "GET",
        C + "/rules/{version:int}",
        Access.STAFF,
        prepare=lambda s, _r: _on_version(s, ""),
        expect=TO_LOGIN,
    ),
    RouteCase(
        "GET",
        C + "/rules/{version:int}/simulation",
        Access.ADMIN,
        prepare=lambda s, _r: _on_version(s, "/simulation", since="2026-02-01"),
        expect=TO_LOGIN,
    ),
    _write("/rules/{version:int}/activate", lambda s, _r: _on_version(s, "/activate")),
    _read("/reversals"),
    _write("/reversals", _reverse),
    _read("/keys"),
    _write("/keys/rotate", _form("/keys/rotate", purpose="checkin")),
]
