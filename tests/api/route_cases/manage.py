"""Role-matrix rows of the management routes (api/routes/manage_*.py).

Reads are for the staff (admins, auditors, district admin) of community A, writes for its
admins, sub-district routes for the district admin. Calls that change or remove something
act on a fresh object per caller, so every caller's call means the same thing.
"""

from __future__ import annotations

import secrets

from api.access import Access
from tests.api.route_cases.base import DISTRICT, Call, RouteCase
from tests.api.scene import Scene

SD = "/api/v1/sub-districts/{sub_district_id:int}"
C = "/api/v1/communities/{community_id:int}"
TEAM = C + "/teams/{team_id:int}"
MEMBER = C + "/members/{member_id:int}"


def a(scene: Scene) -> str:
    return f"/api/v1/communities/{scene.community_id}"


def sd(scene: Scene, foreign: bool = False) -> str:
    district = scene.other_district.id if foreign else scene.district_id
    return f"/api/v1/sub-districts/{district}"


def _phone() -> str:
    return f"137{secrets.randbelow(10**8):08d}"


async def _member_a(scene: Scene) -> int:
    member, _ = await scene.add_member()
    assert member.id is not None
    return member.id


async def _member_b(scene: Scene) -> int:
    member, _ = await scene.add_member(scene.world.other)
    assert member.id is not None
    return member.id


def _read(route: str, path: str, foreign: str | None = None) -> RouteCase:
    """A staff read of community A at `path` (a format string over the scene)."""
    return RouteCase(
        "GET",
        route,
        Access.STAFF,
        prepare=lambda s, _r: Call(path.format(a=a(s), s=s)),
        foreign=(lambda s, _r: Call(foreign.format(a=a(s), s=s))) if foreign else None,
    )


async def _erase(scene: Scene, foreign: bool) -> Call:
    member = await (_member_b(scene) if foreign else _member_a(scene))
    return Call(f"{a(scene)}/members/{member}/personal-data")


async def _revoke(scene: Scene, foreign: bool) -> Call:
    member, _ = await scene.add_member(scene.world.other if foreign else None)
    scope = scene.other_id if foreign else scene.community_id
    grant = await scene.add_grant(member, "auditor", scope)
    return Call(f"{a(scene)}/grants/{grant.id}")


async def _remove_from_team(scene: Scene, foreign: bool) -> Call:
    member, _ = await scene.add_member(scene.world.other if foreign else None)
    team = scene.world.other_team if foreign else scene.world.team
    await scene.add_to_team(team, member)
    return Call(f"{a(scene)}/teams/{team.id}/members/{member.id}")


async def _grant(scene: Scene, foreign: bool) -> Call:
    member = await (_member_b(scene) if foreign else _member_a(scene))
    return Call(f"{a(scene)}/grants", json={"member_id": member, "role": "auditor"})


async def _setup_code(scene: Scene, foreign: bool) -> Call:
    member = await (_member_b(scene) if foreign else _member_a(scene))
    return Call(f"{a(scene)}/members/{member}/setup-code")


CASES: list[RouteCase] = [
    # Sub-districts and communities
    RouteCase(
        "GET",
        "/api/v1/sub-districts",
        Access.DISTRICT_ADMIN,
        prepare=lambda _s, _r: Call("/api/v1/sub-districts"),
        scope=DISTRICT,
    ),
    RouteCase(
        "GET",
        SD,
        Access.DISTRICT_ADMIN,
        scope=DISTRICT,
        prepare=lambda s, _r: Call(sd(s)),
        foreign=lambda s, _r: Call(sd(s, foreign=True)),
    ),
    RouteCase(
        "PATCH",
        SD,
        Access.DISTRICT_ADMIN,
        scope=DISTRICT,
        prepare=lambda s, _r: Call(sd(s), json={"name": "东风街道"}),
        foreign=lambda s, _r: Call(sd(s, foreign=True), json={"name": "x"}),
    ),
    RouteCase(
        "POST",
        SD + "/communities",
        Access.DISTRICT_ADMIN,
        ok=201,
        scope=DISTRICT,
        prepare=lambda s, _r: Call(
            sd(s) + "/communities", json={"name": "新", "ledger_id": f"n-{secrets.token_hex(5)}"}
        ),
        foreign=lambda s, _r: Call(
            sd(s, True) + "/communities",
            json={"name": "x", "ledger_id": f"n-{secrets.token_hex(5)}"},
        ),
    ),
    RouteCase(
        "GET",
        "/api/v1/communities",
        Access.STAFF,
        prepare=lambda _s, _r: Call("/api/v1/communities"),
        # Another community's admin lists their own community, not A's.
        expect={"other_admin": 200},
    ),
    # Community B is the district admin's too, so B's admin stands for the foreign caller.
    _read(C, "{a}"),
    RouteCase(
        "PATCH",
        C,
        Access.ADMIN,
        prepare=lambda s, _r: Call(a(s), json={"name": "和平社区"}),
    ),
    # Grids and buildings
    _read(C + "/grids", "{a}/grids"),
    RouteCase(
        "POST",
        C + "/grids",
        Access.ADMIN,
        ok=201,
        prepare=lambda s, _r: Call(a(s) + "/grids", json={"name": "新网格"}),
    ),
    _read(C + "/grids/{grid_id:int}", "{a}/grids/{s.grid.id}", "{a}/grids/{s.other_grid.id}"),
    RouteCase(
        "PATCH",
        C + "/grids/{grid_id:int}",
        Access.ADMIN,
        prepare=lambda s, _r: Call(f"{a(s)}/grids/{s.grid.id}", json={"name": "一网格"}),
        foreign=lambda s, _r: Call(f"{a(s)}/grids/{s.other_grid.id}", json={"name": "x"}),
    ),
    _read(C + "/buildings", "{a}/buildings"),
    RouteCase(
        "POST",
        C + "/buildings",
        Access.ADMIN,
        ok=201,
        prepare=lambda s, _r: Call(
            a(s) + "/buildings", json={"grid_id": s.grid.id, "name": "2 栋"}
        ),
        foreign=lambda s, _r: Call(
            a(s) + "/buildings", json={"grid_id": s.other_grid.id, "name": "x"}
        ),
    ),
    _read(
        C + "/buildings/{building_id:int}",
        "{a}/buildings/{s.building.id}",
        "{a}/buildings/{s.other_building.id}",
    ),
    RouteCase(
        "PATCH",
        C + "/buildings/{building_id:int}",
        Access.ADMIN,
        prepare=lambda s, _r: Call(f"{a(s)}/buildings/{s.building.id}", json={"name": "1 栋"}),
        foreign=lambda s, _r: Call(f"{a(s)}/buildings/{s.other_building.id}", json={"name": "x"}),
    ),
    # Teams and team members
    _read(C + "/teams", "{a}/teams"),
    RouteCase(
        "POST",
        C + "/teams",
        Access.ADMIN,
        ok=201,
        prepare=lambda s, _r: Call(a(s) + "/teams", json={"name": "科普健身队"}),
    ),
    _read(TEAM, "{a}/teams/{s.world.team.id}", "{a}/teams/{s.world.other_team.id}"),
    RouteCase(
        "PATCH",
        TEAM,
        Access.ADMIN,
        prepare=lambda s, _r: Call(f"{a(s)}/teams/{s.world.team.id}", json={"name": "巡逻队"}),
        foreign=lambda s, _r: Call(f"{a(s)}/teams/{s.world.other_team.id}", json={"name": "x"}),
    ),
    _read(
        TEAM + "/members",
        "{a}/teams/{s.world.team.id}/members",
        "{a}/teams/{s.world.other_team.id}/members",
    ),
    RouteCase(
        "PUT",
        TEAM + "/members/{member_id:int}",
        Access.ADMIN,
        prepare=lambda s, _r: Call(
            f"{a(s)}/teams/{s.world.team.id}/members/{s.world.id_of('resident')}"
        ),
        foreign=lambda s, _r: Call(
            f"{a(s)}/teams/{s.world.team.id}/members/{s.world.id_of('other_resident')}"
        ),
    ),
    RouteCase(
        "DELETE",
        TEAM + "/members/{member_id:int}",
        Access.ADMIN,
        ok=204,
        prepare=lambda s, _r: _remove_from_team(s, foreign=False),
        foreign=lambda s, _r: _remove_from_team(s, foreign=True),
    ),
    # Members
    _read(C + "/members", "{a}/members"),
    RouteCase(
        "POST",
        C + "/members",
        Access.ADMIN,
        ok=201,
        prepare=lambda s, _r: Call(
            a(s) + "/members", json={"display_name": "新人", "phone": _phone()}
        ),
        foreign=lambda s, _r: Call(
            a(s) + "/members",
            json={"display_name": "x", "phone": _phone(), "building_id": s.other_building.id},
        ),
    ),
    _read(
        MEMBER,
        "{a}/members/{s.world.people[resident].id}",
        "{a}/members/{s.world.people[other_resident].id}",
    ),
    RouteCase(
        "PATCH",
        MEMBER,
        Access.ADMIN,
        prepare=lambda s, _r: Call(
            f"{a(s)}/members/{s.world.id_of('resident')}", json={"date_of_birth": None}
        ),
        foreign=lambda s, _r: Call(
            f"{a(s)}/members/{s.world.id_of('other_resident')}", json={"date_of_birth": None}
        ),
    ),
    RouteCase(
        "DELETE",
        MEMBER + "/personal-data",
        Access.ADMIN,
        ok=204,
        prepare=lambda s, _r: _erase(s, foreign=False),
        foreign=lambda s, _r: _erase(s, foreign=True),
    ),
    RouteCase(
        "POST",
        MEMBER + "/setup-code",
        Access.ADMIN,
        ok=201,
        prepare=lambda s, _r: _setup_code(s, foreign=False),
        foreign=lambda s, _r: _setup_code(s, foreign=True),
    ),
    # Shops
    _read(C + "/shops", "{a}/shops"),
    RouteCase(
        "POST",
        C + "/shops",
        Access.ADMIN,
        ok=201,
        prepare=lambda s, _r: Call(a(s) + "/shops", json={"name": "便利店"}),
    ),
    _read(
        C + "/shops/{shop_id:int}",
        "{a}/shops/{s.world.shop.id}",
        "{a}/shops/{s.world.other_shop.id}",
    ),
    RouteCase(
        "PATCH",
        C + "/shops/{shop_id:int}",
        Access.ADMIN,
        prepare=lambda s, _r: Call(f"{a(s)}/shops/{s.world.shop.id}", json={"active": True}),
        foreign=lambda s, _r: Call(f"{a(s)}/shops/{s.world.other_shop.id}", json={"active": False}),
    ),
    # Role grants
    _read(C + "/grants", "{a}/grants"),
    RouteCase(
        "POST",
        C + "/grants",
        Access.ADMIN,
        ok=201,
        prepare=lambda s, _r: _grant(s, foreign=False),
        foreign=lambda s, _r: _grant(s, foreign=True),
    ),
    RouteCase(
        "GET",
        C + "/grants/{grant_id:int}",
        Access.STAFF,
        prepare=lambda s, _r: _revoke(s, foreign=False),
        foreign=lambda s, _r: _revoke(s, foreign=True),
    ),
    RouteCase(
        "DELETE",
        C + "/grants/{grant_id:int}",
        Access.ADMIN,
        ok=204,
        prepare=lambda s, _r: _revoke(s, foreign=False),
        foreign=lambda s, _r: _revoke(s, foreign=True),
    ),
]
