"""Role-matrix rows of the redemption routes (api/routes/redemption*.py): one per route.

Residents' routes (/me/...) are for every member; the counter's changes for the clerks of
the shop; shop reads for its clerks and the staff of its community; catalogue, policy,
refund and settlement routes for the community's staff (reads) and admins (changes).
Calls that use something up (a code, a held redemption, a refund request) get a fresh one
per caller, made through the domain layer.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from api.access import Access
from ledger import service as ledger_service
from ledger.types import Posting
from organisation.models import Community, Member, Shop
from organisation.pseudonyms import ISSUANCE_ACCOUNT
from redemption import catalogue, codes, holds, refunds
from redemption.models import Redemption, RefundRequest, Reward
from tests.api.route_cases.base import HELD_ROLES, Call, RouteCase
from tests.api.scene import Scene
from tests.conftest import FIXED_NOW

C = "/api/v1/communities/{community_id:int}"
SHOP = "/api/v1/shops/{shop_id:int}"
MEMBERS = frozenset(HELD_ROLES)
CLERKS = frozenset({"clerk"})
SHOP_READERS = frozenset({"clerk", "admin", "auditor", "district_admin"})


def a(scene: Scene) -> str:
    return f"/api/v1/communities/{scene.community_id}"


def _side(scene: Scene, foreign: bool) -> tuple[Community, Shop]:
    world = scene.world
    return (world.other, world.other_shop) if foreign else (world.community, world.shop)


async def _reward(scene: Scene, foreign: bool = False) -> Reward:
    community, shop = _side(scene, foreign)
    async with scene.db.sessions.begin() as session:
        return await catalogue.create_reward(
            session,
            community_id=community.id or 0,
            shop_id=shop.id or 0,
            fields={"name_zh": "肥皂", "price_points": 1},
            now=FIXED_NOW,
        )


async def _credit(scene: Scene, community: Community, account: str, points: int) -> None:
    posting = Posting("test.credit", ISSUANCE_ACCOUNT, account, points, f"t/{secrets.token_hex(8)}")
    async with scene.db.sessions.begin() as session:
        await ledger_service.append(
            session,
            keystore=scene.world.keystore,
            ledger=community.ledger_id,
            posting=posting,
            now=FIXED_NOW,
        )


async def _code(scene: Scene, member: Member, reward: Reward, community: Community) -> str:
    await _credit(scene, community, member.account, reward.price_points)
    async with scene.db.sessions.begin() as session:
        signer = await codes.signer_for(
            session, keystore=scene.world.keystore, ledger=community.ledger_id, now=FIXED_NOW
        )
    claims = codes.new_claims(
        signer,
        member_id=member.id or 0,
        shop_id=reward.shop_id,
        reward_id=reward.id,
        amount_points=reward.price_points,
        ttl_seconds=120,
        now=FIXED_NOW,
    )
    return codes.encode(claims, signer)


async def _fresh_code(scene: Scene, foreign: bool = False) -> str:
    """A code of a resident of community A (or B) for a fresh reward of its shop."""
    community, _ = _side(scene, foreign)
    resident = scene.world.people["other_resident" if foreign else "resident"]
    return await _code(scene, resident, await _reward(scene, foreign), community)


async def _held(scene: Scene, foreign: bool = False) -> Redemption:
    community, shop = _side(scene, foreign)
    token = await _fresh_code(scene, foreign)
    async with scene.db.sessions.begin() as session:
        return await holds.scan(
            session,
            keystore=scene.world.keystore,
            community=community,
            shop=shop,
            clerk_id=scene.world.id_of("other_admin" if foreign else "clerk"),
            token=token,
            hold_ttl_seconds=600,
            now=FIXED_NOW,
        )


async def _committed(scene: Scene, foreign: bool = False) -> Redemption:
    community, _ = _side(scene, foreign)
    held = await _held(scene, foreign)
    async with scene.db.sessions.begin() as session:
        row = await session.get(Redemption, held.id)
        assert row is not None
        return await holds.resolve(
            session,
            keystore=scene.world.keystore,
            community=community,
            redemption=row,
            action="commit",
            clerk_id=row.scanned_by,
            now=FIXED_NOW,
        )


async def _refund_request(scene: Scene, foreign: bool = False) -> RefundRequest:
    done = await _committed(scene, foreign)
    async with scene.db.sessions.begin() as session:
        row = await session.get(Redemption, done.id)
        assert row is not None
        return await refunds.request_refund(
            session, redemption=row, clerk_id=row.scanned_by, reason="", now=FIXED_NOW
        )


# -- a resident's routes -----------------------------------------------------------------------


async def _my_code(scene: Scene, role: str | None) -> Call:
    if role is None:
        return Call("/api/v1/me/redemption-codes", json={"reward_id": 1})
    community = scene.community_of(role)
    reward = await _reward(scene, foreign=community.id == scene.other_id)
    await _credit(scene, community, scene.world.people[role].account, 1)
    return Call("/api/v1/me/redemption-codes", json={"reward_id": reward.id})


async def _someone_elses_reward(scene: Scene, role: str | None) -> Call:
    mine_is_b = role is not None and scene.community_of(role).id == scene.other_id
    reward = await _reward(scene, foreign=not mine_is_b)
    return Call("/api/v1/me/redemption-codes", json={"reward_id": reward.id})


def _qr(kind: str) -> RouteCase:
    async def mine(scene: Scene, role: str | None) -> Call:
        community = scene.community_of(role)
        person = scene.world.people[role or "resident"]
        reward = await _reward(scene, foreign=community.id == scene.other_id)
        token = await _code(scene, person, reward, community)
        return Call(f"/api/v1/me/redemption-codes/{token}/qr.{kind}")

    async def theirs(scene: Scene, role: str | None) -> Call:
        # Somebody else's code of the caller's community: not the caller's to show.
        other = "captain" if role != "captain" else "resident"
        if role is not None and scene.community_of(role).id == scene.other_id:
            other = "other_resident" if role != "other_resident" else "other_admin"
        community = scene.community_of(other)
        reward = await _reward(scene, foreign=community.id == scene.other_id)
        token = await _code(scene, scene.world.people[other], reward, community)
        return Call(f"/api/v1/me/redemption-codes/{token}/qr.{kind}")

    return RouteCase(
        "GET",
        f"/api/v1/me/redemption-codes/{{code:str}}/qr.{kind}",
        Access.MEMBER,
        prepare=mine,
        scope=MEMBERS,
        foreign=theirs,
    )


MEMBER_CASES: list[RouteCase] = [
    RouteCase(
        "GET",
        "/api/v1/me/rewards",
        Access.MEMBER,
        prepare=lambda _s, _r: Call("/api/v1/me/rewards", params={"affordable_only": "false"}),
        scope=MEMBERS,
    ),
    RouteCase(
        "GET",
        "/api/v1/me/redemption-shops",
        Access.MEMBER,
        prepare=lambda _s, _r: Call("/api/v1/me/redemption-shops"),
        scope=MEMBERS,
    ),
    RouteCase(
        "POST",
        "/api/v1/me/redemption-codes",
        Access.MEMBER,
        ok=201,
        prepare=_my_code,
        scope=MEMBERS,
        foreign=_someone_elses_reward,
    ),
    _qr("svg"),
    _qr("png"),
    RouteCase(
        "GET",
        "/api/v1/me/redemptions",
        Access.MEMBER,
        prepare=lambda _s, _r: Call("/api/v1/me/redemptions"),
        scope=MEMBERS,
    ),
]


# -- the counter -------------------------------------------------------------------------------


def _shop_path(scene: Scene, foreign: bool) -> str:
    _, shop = _side(scene, foreign)
    return f"/api/v1/shops/{shop.id}"


async def _scan(scene: Scene, foreign: bool) -> Call:
    token = await _fresh_code(scene, foreign)
    return Call(f"{_shop_path(scene, foreign)}/scans", json={"code": token})


def _on_held(action: str) -> RouteCase:
    async def call(scene: Scene, foreign: bool) -> Call:
        held = await _held(scene, foreign)
        return Call(f"{_shop_path(scene, foreign)}/redemptions/{held.id}/{action}")

    return RouteCase(
        "POST",
        f"{SHOP}/redemptions/{{redemption_id:int}}/{action}",
        Access.CLERK,
        prepare=lambda s, _r: call(s, False),
        scope=CLERKS,
        foreign=lambda s, _r: call(s, True),
    )


async def _ask_refund(scene: Scene, foreign: bool) -> Call:
    done = await _committed(scene, foreign)
    path = f"{_shop_path(scene, foreign)}/redemptions/{done.id}/refund-request"
    return Call(path, json={"reason": "退货"})


PERIOD = {"from": "2026-03-01", "to": "2026-03-31"}

COUNTER_CASES: list[RouteCase] = [
    RouteCase(
        "POST",
        f"{SHOP}/scans",
        Access.CLERK,
        ok=201,
        prepare=lambda s, _r: _scan(s, False),
        scope=CLERKS,
        foreign=lambda s, _r: _scan(s, True),
    ),
    _on_held("commit"),
    _on_held("void"),
    RouteCase(
        "POST",
        f"{SHOP}/redemptions/{{redemption_id:int}}/refund-request",
        Access.CLERK,
        ok=201,
        prepare=lambda s, _r: _ask_refund(s, False),
        scope=CLERKS,
        foreign=lambda s, _r: _ask_refund(s, True),
    ),
    RouteCase(
        "GET",
        f"{SHOP}/redemptions",
        Access.MEMBER,
        prepare=lambda s, _r: Call(f"{_shop_path(s, False)}/redemptions"),
        scope=SHOP_READERS,
    ),
    RouteCase(
        "GET",
        f"{SHOP}/statement",
        Access.MEMBER,
        prepare=lambda s, _r: Call(f"{_shop_path(s, False)}/statement", params=PERIOD),
        scope=SHOP_READERS,
    ),
    RouteCase(
        "GET",
        f"{SHOP}/statement.csv",
        Access.MEMBER,
        prepare=lambda s, _r: Call(f"{_shop_path(s, False)}/statement.csv", params=PERIOD),
        scope=SHOP_READERS,
    ),
]


# -- a community's admins ----------------------------------------------------------------------


async def _reward_call(scene: Scene, foreign: bool, suffix: str = "", **json: object) -> Call:
    reward = await _reward(scene, foreign)
    return Call(f"{a(scene)}/rewards/{reward.id}{suffix}", json=json or None)


async def _decide(scene: Scene, foreign: bool, decision: str) -> Call:
    asked = await _refund_request(scene, foreign)
    return Call(f"{a(scene)}/refunds/{asked.id}/{decision}", json={"note": ""})


async def _settle(scene: Scene, foreign: bool) -> Call:
    community, shop = _side(scene, foreign)
    await _credit(scene, community, shop.account, 1)
    body = {"amount_points": 1, "reference": f"r-{secrets.token_hex(4)}"}
    return Call(f"{a(scene)}/shops/{shop.id}/settlements", json=body)


def _shop_settings(scene: Scene, foreign: bool, body: Mapping[str, object] | None = None) -> Call:
    _, shop = _side(scene, foreign)
    return Call(f"{a(scene)}/shops/{shop.id}/redemption-settings", json=body)


def _new_reward(scene: Scene, foreign: bool) -> Call:
    _, shop = _side(scene, foreign)
    body = {"shop_id": shop.id, "name_zh": "毛巾", "price_points": 3, "stock": 5}
    return Call(f"{a(scene)}/rewards", json=body)


SETTINGS = {"timezone": "Asia/Shanghai", "refund_window_days": 7}
SHOP_SETTINGS = {"is_supermarket": False, "free_amount_max_points": 50}

ADMIN_CASES: list[RouteCase] = [
    RouteCase(
        "POST",
        f"{C}/rewards",
        Access.ADMIN,
        ok=201,
        prepare=lambda s, _r: _new_reward(s, False),
        foreign=lambda s, _r: _new_reward(s, True),
    ),
    RouteCase("GET", f"{C}/rewards", Access.STAFF, prepare=lambda s, _r: Call(f"{a(s)}/rewards")),
    RouteCase(
        "GET",
        f"{C}/rewards/{{reward_id:int}}",
        Access.STAFF,
        prepare=lambda s, _r: _reward_call(s, False),
        foreign=lambda s, _r: _reward_call(s, True),
    ),
    RouteCase(
        "PATCH",
        f"{C}/rewards/{{reward_id:int}}",
        Access.ADMIN,
        prepare=lambda s, _r: _reward_call(s, False, stock=7),
        foreign=lambda s, _r: _reward_call(s, True, stock=7),
    ),
    RouteCase(
        "DELETE",
        f"{C}/rewards/{{reward_id:int}}",
        Access.ADMIN,
        prepare=lambda s, _r: _reward_call(s, False),
        foreign=lambda s, _r: _reward_call(s, True),
    ),
    RouteCase(
        "GET",
        f"{C}/redemption-settings",
        Access.STAFF,
        prepare=lambda s, _r: Call(f"{a(s)}/redemption-settings"),
    ),
    RouteCase(
        "PUT",
        f"{C}/redemption-settings",
        Access.ADMIN,
        prepare=lambda s, _r: Call(f"{a(s)}/redemption-settings", json=SETTINGS),
    ),
    RouteCase(
        "GET",
        f"{C}/shops/{{shop_id:int}}/redemption-settings",
        Access.STAFF,
        prepare=lambda s, _r: _shop_settings(s, False),
        foreign=lambda s, _r: _shop_settings(s, True),
    ),
    RouteCase(
        "PUT",
        f"{C}/shops/{{shop_id:int}}/redemption-settings",
        Access.ADMIN,
        prepare=lambda s, _r: _shop_settings(s, False, SHOP_SETTINGS),
        foreign=lambda s, _r: _shop_settings(s, True, SHOP_SETTINGS),
    ),
    RouteCase("GET", f"{C}/refunds", Access.STAFF, prepare=lambda s, _r: Call(f"{a(s)}/refunds")),
    RouteCase(
        "POST",
        f"{C}/refunds/{{refund_id:int}}/approve",
        Access.ADMIN,
        prepare=lambda s, _r: _decide(s, False, "approve"),
        foreign=lambda s, _r: _decide(s, True, "approve"),
    ),
    RouteCase(
        "POST",
        f"{C}/refunds/{{refund_id:int}}/reject",
        Access.ADMIN,
        prepare=lambda s, _r: _decide(s, False, "reject"),
        foreign=lambda s, _r: _decide(s, True, "reject"),
    ),
    RouteCase(
        "POST",
        f"{C}/shops/{{shop_id:int}}/settlements",
        Access.ADMIN,
        ok=201,
        prepare=lambda s, _r: _settle(s, False),
        foreign=lambda s, _r: _settle(s, True),
    ),
    RouteCase(
        "GET",
        f"{C}/shops/{{shop_id:int}}/settlements",
        Access.STAFF,
        prepare=lambda s, _r: Call(f"{a(s)}/shops/{s.world.shop.id}/settlements"),
        foreign=lambda s, _r: Call(f"{a(s)}/shops/{s.world.other_shop.id}/settlements"),
    ),
]

CASES: list[RouteCase] = [*MEMBER_CASES, *COUNTER_CASES, *ADMIN_CASES]
