"""Management over HTTP, end to end on both backends: every operation and every refusal.

Each refusal is checked for its status, its stable code, and that nothing changed
(`scene.unchanged()` compares every row of both communities before and after).
"""

from __future__ import annotations

import secrets
from typing import Any

import httpx
import pytest

from organisation.models import Member, RoleGrant, Shop
from tests.api.scene import Scene, module_scene_fixtures
from tests.api.world import PASSWORD

scene_db, scene = module_scene_fixtures()


def refused(response: httpx.Response, status: int, code: str) -> None:
    """The response is a problem with this status and code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def base(scene: Scene, community_id: int | None = None) -> str:
    return f"/api/v1/communities/{community_id or scene.community_id}"


# Sub-districts and communities


async def test_district_admin_reads_and_renames_only_their_sub_district(scene: Scene) -> None:
    """A district admin lists, reads and renames their sub-district; another one is 404."""
    client = await scene.client("district_admin")
    mine = f"/api/v1/sub-districts/{scene.district_id}"
    assert ok(await client.get("/api/v1/sub-districts")) == [ok(await client.get(mine))]
    renamed = ok(await client.patch(mine, json={"name": "东风街道"}))
    assert renamed == {"id": scene.district_id, "name": "东风街道"}
    async with scene.unchanged():
        foreign = f"/api/v1/sub-districts/{scene.other_district.id}"
        refused(await client.get(foreign), 404, "not_found")
        refused(await client.patch(foreign, json={"name": "x"}), 404, "not_found")


async def test_district_admin_creates_a_community_with_its_ledger(scene: Scene) -> None:
    """A new community has an empty ledger, and its district admin can staff it at once."""
    client = await scene.client("district_admin")
    ledger_id = f"new-{secrets.token_hex(4)}"
    created = ok(
        await client.post(
            f"/api/v1/sub-districts/{scene.district_id}/communities",
            json={"name": "新社区", "ledger_id": ledger_id},
        ),
        201,
    )
    assert created["ledger_id"] == ledger_id
    assert created["ledger_public"] is False
    ledgers = ok(await client.get("/api/v1/ledgers"))
    assert {"ledger": ledger_id, "community": "新社区", "size": 0, "public": False} in ledgers
    path = base(scene, created["id"])
    assert ok(await client.get(path)) == created
    member = ok(
        await client.post(path + "/members", json={"display_name": "王", "phone": "13912345000"}),
        201,
    )
    grant = {"member_id": member["member"]["id"], "role": "admin"}
    assert ok(await client.post(path + "/grants", json=grant), 201)["role"] == "admin"


async def test_community_creation_refusals_change_nothing(scene: Scene) -> None:
    """A taken ledger id, a bad one, a foreign sub-district and a community admin are refused."""
    district = await scene.client("district_admin")
    admin = await scene.client("admin")
    create = f"/api/v1/sub-districts/{scene.district_id}/communities"
    taken = {"name": "重名", "ledger_id": scene.world.community.ledger_id}
    async with scene.unchanged():
        response = await district.post(create, json=taken)
        refused(response, 409, "already_taken")
        assert response.json()["field"] == "ledger_id"
        bad = {"name": "坏", "ledger_id": "Not A Slug"}
        refused(await district.post(create, json=bad), 400, "invalid_input")
        foreign = f"/api/v1/sub-districts/{scene.other_district.id}/communities"
        fresh = {"name": "别处", "ledger_id": f"x-{secrets.token_hex(4)}"}
        refused(await district.post(foreign, json=fresh), 404, "not_found")
        refused(await admin.post(create, json=fresh), 403, "forbidden")
        with_id = {**fresh, "id": 99}
        refused(await district.post(create, json=with_id), 400, "invalid_input")


async def test_staff_list_the_communities_they_administer_or_audit(scene: Scene) -> None:
    """Admins and auditors see their community; a district admin sees every one of theirs."""
    ids = {}
    for role in ("admin", "auditor", "other_admin", "district_admin"):
        listed = ok(await (await scene.client(role)).get("/api/v1/communities"))
        ids[role] = {c["id"] for c in listed}
    assert ids["admin"] == ids["auditor"] == {scene.community_id}
    assert ids["other_admin"] == {scene.other_id}
    assert {scene.community_id, scene.other_id} <= ids["district_admin"]


async def test_admin_renames_community_and_opens_its_ledger(scene: Scene) -> None:
    """Making the ledger public lets anyone read its entries; members-only again hides them."""
    admin = await scene.client("admin")
    anonymous = await scene.client(None)
    entries = f"/api/v1/ledgers/{scene.world.community.ledger_id}/entries"
    refused(await anonymous.get(entries), 404, "not_found")
    updated = ok(await admin.patch(base(scene), json={"ledger_public": True, "name": "和平社区"}))
    assert (updated["ledger_public"], updated["name"]) == (True, "和平社区")
    assert len(ok(await anonymous.get(entries))) >= 2
    ok(await admin.patch(base(scene), json={"ledger_public": False}))
    refused(await anonymous.get(entries), 404, "not_found")


async def test_community_update_refusals_change_nothing(scene: Scene) -> None:
    """An auditor may not write, another community's admin sees nothing, bodies are strict."""
    async with scene.unchanged():
        auditor = await scene.client("auditor")
        assert ok(await auditor.get(base(scene)))["id"] == scene.community_id
        refused(await auditor.patch(base(scene), json={"name": "x"}), 403, "forbidden")
        other = await scene.client("other_admin")
        refused(await other.get(base(scene)), 404, "not_found")
        refused(await other.patch(base(scene), json={"name": "x"}), 404, "not_found")
        admin = await scene.client("admin")
        for field in ("id", "ledger_id", "sub_district_id", "pseudonym_secret", "created_at"):
            response = await admin.patch(base(scene), json={field: "x"})
            refused(response, 400, "invalid_input")
        refused(await admin.patch(base(scene), json={"name": ""}), 400, "invalid_input")
        refused(await admin.patch(base(scene), json={"name": "a\x00b"}), 400, "invalid_input")


# Grids and buildings


async def test_grids_are_created_listed_read_and_renamed(scene: Scene) -> None:
    """An admin runs grids; lists are paged in id order with a cursor."""
    admin = await scene.client("admin")
    made = [
        ok(await admin.post(base(scene) + "/grids", json={"name": f"网格 {i}"}), 201)
        for i in range(3)
    ]
    assert all(g["community_id"] == scene.community_id for g in made)
    first = ok(await admin.get(base(scene) + "/grids", params={"limit": 2}))
    assert len(first["items"]) == 2
    rest = ok(
        await admin.get(base(scene) + "/grids", params={"after": first["next"], "limit": 200})
    )
    listed = [g["id"] for g in first["items"] + rest["items"]]
    assert listed == sorted(listed)
    assert {g["id"] for g in made} <= set(listed)
    assert rest["next"] is None
    path = f"{base(scene)}/grids/{made[0]['id']}"
    assert ok(await admin.patch(path, json={"name": "二网格"}))["name"] == "二网格"
    assert ok(await (await scene.client("auditor")).get(path))["name"] == "二网格"


async def test_grid_of_another_community_is_not_found(scene: Scene) -> None:
    """A grid id of community B under community A's path is 404, for reads and writes."""
    admin = await scene.client("district_admin")  # admin of both: the path decides
    path = f"{base(scene)}/grids/{scene.other_grid.id}"
    async with scene.unchanged():
        refused(await admin.get(path), 404, "not_found")
        refused(await admin.patch(path, json={"name": "x"}), 404, "not_found")
        refused(
            await admin.post(
                base(scene) + "/grids", json={"name": "x", "community_id": scene.other_id}
            ),
            400,
            "invalid_input",
        )


async def test_buildings_are_created_moved_and_renamed(scene: Scene) -> None:
    """A building belongs to a grid of the same community and can move between them."""
    admin = await scene.client("admin")
    grid = ok(await admin.post(base(scene) + "/grids", json={"name": "三网格"}), 201)
    made = ok(
        await admin.post(
            base(scene) + "/buildings", json={"grid_id": scene.grid.id, "name": "5 栋"}
        ),
        201,
    )
    assert (made["grid_id"], made["community_id"]) == (scene.grid.id, scene.community_id)
    path = f"{base(scene)}/buildings/{made['id']}"
    moved = ok(await admin.patch(path, json={"grid_id": grid["id"], "name": "5 号楼"}))
    assert (moved["grid_id"], moved["name"]) == (grid["id"], "5 号楼")
    assert ok(await admin.get(path)) == moved
    listed = ok(await admin.get(base(scene) + "/buildings", params={"limit": 200}))
    assert moved in listed["items"]


async def test_building_refusals_change_nothing(scene: Scene) -> None:
    """Another community's grid or building is not found; a building needs a grid."""
    admin = await scene.client("admin")
    async with scene.unchanged():
        foreign_grid = {"grid_id": scene.other_grid.id, "name": "x"}
        refused(await admin.post(base(scene) + "/buildings", json=foreign_grid), 404, "not_found")
        refused(
            await admin.post(base(scene) + "/buildings", json={"name": "x"}), 400, "invalid_input"
        )
        mine = f"{base(scene)}/buildings/{scene.building.id}"
        refused(await admin.patch(mine, json={"grid_id": scene.other_grid.id}), 404, "not_found")
        theirs = f"{base(scene)}/buildings/{scene.other_building.id}"
        refused(await admin.get(theirs), 404, "not_found")
        refused(await admin.patch(theirs, json={"name": "x"}), 404, "not_found")


# Teams, captains and team members


async def test_teams_are_created_read_renamed_and_show_captains(scene: Scene) -> None:
    """A new team has no captains until one is granted; names come in Chinese and English."""
    admin = await scene.client("admin")
    team = ok(await admin.post(base(scene) + "/teams", json={"name": "红丝带服务队"}), 201)
    assert (team["name_en"], team["captain_ids"]) == ("", [])
    path = f"{base(scene)}/teams/{team['id']}"
    renamed = ok(await admin.patch(path, json={"name_en": "Red ribbon team"}))
    assert (renamed["name"], renamed["name_en"]) == ("红丝带服务队", "Red ribbon team")
    member, _ = await scene.add_member()
    grant = {"member_id": member.id, "role": "captain", "team_id": team["id"]}
    ok(await admin.post(base(scene) + "/grants", json=grant), 201)
    assert ok(await admin.get(path))["captain_ids"] == [member.id]
    listed = ok(
        await (await scene.client("auditor")).get(base(scene) + "/teams", params={"limit": 200})
    )
    assert {t["id"] for t in listed["items"]} >= {team["id"], scene.world.team.id}


async def test_team_members_are_added_listed_and_removed(scene: Scene) -> None:
    """Adding twice keeps one membership; removing ends it and shows in the member's teams."""
    admin = await scene.client("admin")
    member, _ = await scene.add_member()
    team_path = f"{base(scene)}/teams/{scene.world.team.id}"
    first = ok(await admin.put(f"{team_path}/members/{member.id}"))
    assert ok(await admin.put(f"{team_path}/members/{member.id}")) == first
    listed = ok(await admin.get(team_path + "/members", params={"limit": 200}))
    assert first in listed["items"]
    member_path = f"{base(scene)}/members/{member.id}"
    assert ok(await admin.get(member_path))["team_ids"] == [scene.world.team.id]
    ok(await admin.delete(f"{team_path}/members/{member.id}"), 204)
    assert ok(await admin.get(member_path))["team_ids"] == []


async def test_team_membership_refusals_change_nothing(scene: Scene) -> None:
    """Foreign members and teams are not found, removing a non-member is 404, erased is 409."""
    admin = await scene.client("admin")
    outsider, _ = await scene.add_member(scene.world.other)
    erased, _ = await scene.add_member()
    ok(await admin.delete(f"{base(scene)}/members/{erased.id}/personal-data"), 204)
    team_path = f"{base(scene)}/teams/{scene.world.team.id}"
    loner, _ = await scene.add_member()
    async with scene.unchanged():
        refused(await admin.put(f"{team_path}/members/{outsider.id}"), 404, "not_found")
        foreign_team = f"{base(scene)}/teams/{scene.world.other_team.id}"
        refused(await admin.put(f"{foreign_team}/members/{loner.id}"), 404, "not_found")
        refused(await admin.get(foreign_team + "/members"), 404, "not_found")
        refused(await admin.delete(f"{team_path}/members/{loner.id}"), 404, "not_found")
        refused(await admin.put(f"{team_path}/members/{erased.id}"), 409, "member_erased")


# Shops and clerks


async def test_shops_are_created_updated_deactivated_and_show_clerks(scene: Scene) -> None:
    """A shop gets a ledger account; it can be changed, deactivated and reactivated."""
    admin = await scene.client("admin")
    body = {
        "name": "理发店",
        "address": "幸福路 3 号",
        "opening_hours": "9-18",
        "contact": "王师傅",
    }
    shop = ok(await admin.post(base(scene) + "/shops", json=body), 201)
    assert shop["account"] == f"shop-{shop['id']}"
    assert (shop["active"], shop["clerk_ids"]) == (True, [])
    path = f"{base(scene)}/shops/{shop['id']}"
    changed = ok(await admin.patch(path, json={"opening_hours": "8-20", "active": False}))
    assert (changed["opening_hours"], changed["active"], changed["address"]) == (
        "8-20",
        False,
        "幸福路 3 号",
    )
    assert ok(await admin.patch(path, json={"active": True}))["active"] is True
    clerk, _ = await scene.add_member()
    grant = ok(
        await admin.post(
            base(scene) + "/grants",
            json={"member_id": clerk.id, "role": "clerk", "shop_id": shop["id"]},
        ),
        201,
    )
    assert ok(await admin.get(path))["clerk_ids"] == [clerk.id]
    ok(await admin.delete(f"{base(scene)}/grants/{grant['id']}"), 204)
    assert ok(await (await scene.client("auditor")).get(path))["clerk_ids"] == []
    assert (await scene.read(Shop, shop["id"])).account == shop["account"]
    ledger_accounts = (await scene.snapshot())["ledger_accounts"]
    assert (scene.world.community.ledger_id, shop["account"]) in {r[:2] for r in ledger_accounts}


async def test_shop_refusals_change_nothing(scene: Scene) -> None:
    """Another community's shop is 404; server-owned fields cannot be set."""
    admin = await scene.client("admin")
    theirs = f"{base(scene)}/shops/{scene.world.other_shop.id}"
    mine = f"{base(scene)}/shops/{scene.world.shop.id}"
    async with scene.unchanged():
        refused(await admin.get(theirs), 404, "not_found")
        refused(await admin.patch(theirs, json={"active": False}), 404, "not_found")
        for field in ("account", "community_id", "id"):
            refused(await admin.patch(mine, json={field: "x"}), 400, "invalid_input")
        refused(
            await admin.post(base(scene) + "/shops", json={"name": "x", "account": "m-1"}),
            400,
            "invalid_input",
        )


# Members


async def test_admin_creates_member_who_sets_a_password_with_the_code(scene: Scene) -> None:
    """The set-up code is answered once, handed to the sender, and lets the member log in."""
    admin = await scene.client("admin")
    phone = f"138{secrets.randbelow(10**8):08d}"
    body = {
        "display_name": "李四",
        "phone": phone,
        "building_id": scene.building.id,
        "date_of_birth": "1950-05-04",
    }
    created = ok(await admin.post(base(scene) + "/members", json=body), 201)
    member, setup = created["member"], created["setup"]
    assert member["personal"]["phone"] == phone
    assert member["personal"]["setup_code_pending"] is True
    assert member["account"].startswith("m-")
    assert scene.sender.codes[-1] == (member["id"], phone, setup["setup_code"])
    read = await admin.get(f"{base(scene)}/members/{member['id']}")
    assert setup["setup_code"] not in read.text
    async with scene.world.client() as newcomer:
        done = await newcomer.post(
            "/api/v1/auth/setup",
            json={"identifier": phone, "code": setup["setup_code"], "password": PASSWORD},
        )
        assert ok(done)["member_id"] == member["id"]
        me = ok(await newcomer.get("/api/v1/me"))
        assert (me["display_name"], me["building_id"], me["date_of_birth"]) == (
            "李四",
            scene.building.id,
            "1950-05-04",
        )
        balance = ok(await newcomer.get("/api/v1/me/balance"))
        assert balance["balance_points"] == 0


async def test_personal_data_is_for_admins_of_the_community_only(scene: Scene) -> None:
    """Admins and district admins see personal data; auditors see the account, not the person."""
    resident = scene.world.id_of("resident")
    path = f"{base(scene)}/members/{resident}"
    for role in ("admin", "district_admin"):
        assert ok(await (await scene.client(role)).get(path))["personal"][
            "username"
        ] == scene.world.username("resident")
    audited = ok(await (await scene.client("auditor")).get(path))
    assert audited["personal"] is None
    assert audited["account"] == scene.world.people["resident"].account
    listed = ok(
        await (await scene.client("auditor")).get(base(scene) + "/members", params={"limit": 200})
    )
    assert all(m["personal"] is None for m in listed["items"])
    refused(await (await scene.client("other_admin")).get(path), 404, "not_found")
    refused(await (await scene.client("resident")).get(path), 403, "forbidden")


async def test_members_are_listed_in_pages(scene: Scene) -> None:
    """Pages follow the cursor to the end without repeats, at most `limit` at a time."""
    admin = await scene.client("admin")
    seen: list[int] = []
    after = None
    while True:
        params = {"limit": 3} | ({"after": after} if after is not None else {})
        page = ok(await admin.get(base(scene) + "/members", params=params))
        assert len(page["items"]) <= 3
        seen += [m["id"] for m in page["items"]]
        if page["next"] is None:
            break
        after = page["next"]
    assert seen == sorted(set(seen))
    assert {scene.world.id_of(r) for r in ("resident", "admin", "auditor")} <= set(seen)
    refused(await admin.get(base(scene) + "/members", params={"limit": 201}), 400, "invalid_input")


async def test_member_creation_refusals_change_nothing(scene: Scene) -> None:
    """Taken names, no login, foreign buildings, future births and server fields are refused."""
    admin = await scene.client("admin")
    sent = len(scene.sender.codes)
    taken = {"display_name": "x", "username": scene.world.username("resident")}
    cases: list[tuple[dict[str, Any], int, str]] = [
        (taken, 409, "already_taken"),
        ({"display_name": "x"}, 400, "invalid_input"),
        (
            {"display_name": "x", "phone": "13900000000", "building_id": scene.other_building.id},
            404,
            "not_found",
        ),
        (
            {"display_name": "x", "phone": "13900000000", "date_of_birth": "2999-01-01"},
            400,
            "invalid_input",
        ),
        ({"display_name": "x", "phone": "not a phone"}, 400, "invalid_input"),
    ]
    for field in ("account", "community_id", "id", "password_hash", "active", "roles"):
        cases.append(
            ({"display_name": "x", "phone": "13900000000", field: "x"}, 400, "invalid_input")
        )
    async with scene.unchanged():
        for body, status, code in cases:
            refused(await admin.post(base(scene) + "/members", json=body), status, code)
        other = await scene.client("other_admin")
        refused(
            await other.post(
                base(scene) + "/members", json={"display_name": "x", "phone": "13900000000"}
            ),
            404,
            "not_found",
        )
    assert len(scene.sender.codes) == sent


async def test_admin_corrects_personal_data(scene: Scene) -> None:
    """Absent fields stay, null clears, and the member sees the correction."""
    admin = await scene.client("admin")
    member, _ = await scene.add_member()
    path = f"{base(scene)}/members/{member.id}"
    body = {
        "display_name": "更正后",
        "building_id": scene.building.id,
        "date_of_birth": "1960-01-02",
        "phone": None,
    }
    corrected = ok(await admin.patch(path, json=body))["personal"]
    assert corrected["display_name"] == "更正后"
    assert (corrected["phone"], corrected["username"]) == (None, member.username)
    assert (corrected["building_id"], corrected["date_of_birth"]) == (
        scene.building.id,
        "1960-01-02",
    )
    cleared = ok(await admin.patch(path, json={"date_of_birth": None, "building_id": None}))[
        "personal"
    ]
    assert (cleared["date_of_birth"], cleared["building_id"], cleared["display_name"]) == (
        None,
        None,
        "更正后",
    )


async def test_member_correction_refusals_change_nothing(scene: Scene) -> None:
    """No way to log in, a taken phone, a foreign building or member, and an erased member."""
    admin = await scene.client("admin")
    member, _ = await scene.add_member()
    other, _ = await scene.add_member()
    erased, _ = await scene.add_member()
    ok(await admin.delete(f"{base(scene)}/members/{erased.id}/personal-data"), 204)
    path = f"{base(scene)}/members/{member.id}"
    outsider, _ = await scene.add_member(scene.world.other)
    async with scene.unchanged():
        refused(
            await admin.patch(path, json={"phone": None, "username": None}), 400, "invalid_input"
        )
        refused(await admin.patch(path, json={"phone": other.phone}), 409, "already_taken")
        refused(
            await admin.patch(path, json={"building_id": scene.other_building.id}), 404, "not_found"
        )
        refused(await admin.patch(path, json={"account": "m-0"}), 400, "invalid_input")
        refused(
            await admin.patch(f"{base(scene)}/members/{outsider.id}", json={"display_name": "x"}),
            404,
            "not_found",
        )
        refused(
            await admin.patch(f"{base(scene)}/members/{erased.id}", json={"display_name": "x"}),
            409,
            "member_erased",
        )
        refused(
            await admin.post(f"{base(scene)}/members/{erased.id}/setup-code"), 409, "member_erased"
        )


async def test_erasing_keeps_the_account_and_the_chain(scene: Scene) -> None:
    """Erasure removes personal data, roles, teams and logins; the entries stay byte for byte."""
    admin = await scene.client("admin")
    member, _ = await scene.add_member()
    await scene.add_to_team(scene.world.team, member)
    grant = await scene.add_grant(member, "captain", scene.world.team.id or 0)
    await scene.credit(member, 7)
    ledger = f"/api/v1/ledgers/{scene.world.community.ledger_id}"
    before = ok(await admin.get(ledger + "/entries", params={"limit": 200}))
    async with scene.world.client() as victim:
        ok(
            await victim.post(
                "/api/v1/auth/login", json={"identifier": member.username, "password": PASSWORD}
            )
        )
        ok(await admin.delete(f"{base(scene)}/members/{member.id}/personal-data"), 204)
        refused(await victim.get("/api/v1/me"), 401, "not_authenticated")
    read = ok(await admin.get(f"{base(scene)}/members/{member.id}"))
    assert (read["erased"], read["active"], read["team_ids"], read["account"]) == (
        True,
        False,
        [],
        member.account,
    )
    personal = read["personal"]
    assert all(
        personal[k] is None
        for k in ("display_name", "phone", "username", "building_id", "date_of_birth")
    )
    assert (await scene.read(RoleGrant, grant.id)).revoked_at is not None
    assert ok(await admin.get(ledger + "/entries", params={"limit": 200})) == before
    assert any(member.account in (e["debit"], e["credit"]) for e in before)
    async with scene.world.client() as again:
        login = {"identifier": member.username, "password": PASSWORD}
        refused(await again.post("/api/v1/auth/login", json=login), 401, "bad_credentials")
    async with scene.unchanged():
        ok(await admin.delete(f"{base(scene)}/members/{member.id}/personal-data"), 204)


async def test_erasure_refusals_change_nothing(scene: Scene) -> None:
    """Only admins of the member's community erase; others get 403 or 404."""
    member, _ = await scene.add_member()
    path = f"{base(scene)}/members/{member.id}/personal-data"
    async with scene.unchanged():
        refused(await (await scene.client("auditor")).delete(path), 403, "forbidden")
        refused(await (await scene.client("other_admin")).delete(path), 404, "not_found")
        refused(await (await scene.client("resident")).delete(path), 403, "forbidden")
        theirs = f"{base(scene)}/members/{scene.world.id_of('other_resident')}/personal-data"
        refused(await (await scene.client("admin")).delete(theirs), 404, "not_found")


async def test_reissued_setup_code_replaces_the_old_one(scene: Scene) -> None:
    """A new code works once; the code it replaced no longer does."""
    admin = await scene.client("admin")
    member, old_code = await scene.add_member(setup_code=True)
    assert old_code is not None
    issued = ok(await admin.post(f"{base(scene)}/members/{member.id}/setup-code"), 201)
    assert issued["member_id"] == member.id
    assert scene.sender.codes[-1] == (member.id, member.phone, issued["setup_code"])
    async with scene.world.client() as newcomer:
        stale = {"identifier": member.phone, "code": old_code, "password": PASSWORD}
        refused(await newcomer.post("/api/v1/auth/setup", json=stale), 400, "setup_code_invalid")
        fresh = {**stale, "code": issued["setup_code"]}
        assert ok(await newcomer.post("/api/v1/auth/setup", json=fresh))["member_id"] == member.id
        refused(await newcomer.post("/api/v1/auth/setup", json=fresh), 400, "setup_code_invalid")
    stored = await scene.read(Member, member.id)
    assert (stored.setup_code_hash, stored.setup_expires_at) == (None, None)


# Role grants


async def test_granted_roles_take_effect_and_revocation_ends_them(scene: Scene) -> None:
    """A new admin can administer, a new auditor can read but not write; revoking ends both."""
    admin = await scene.client("admin")
    for role, can_write in (("admin", True), ("auditor", False)):
        member, _ = await scene.add_member()
        grant = ok(
            await admin.post(base(scene) + "/grants", json={"member_id": member.id, "role": role}),
            201,
        )
        assert (grant["role"], grant["granted_by"], grant["revoked_at"]) == (
            role,
            scene.world.id_of("admin"),
            None,
        )
        async with scene.world.client() as client:
            ok(
                await client.post(
                    "/api/v1/auth/login", json={"identifier": member.username, "password": PASSWORD}
                )
            )
            assert ok(await client.get(base(scene)))["id"] == scene.community_id
            write = await client.post(base(scene) + "/grids", json={"name": "新网格"})
            assert write.status_code == (201 if can_write else 403), write.text
            ok(await admin.delete(f"{base(scene)}/grants/{grant['id']}"), 204)
            refused(await client.get(base(scene)), 403, "forbidden")
        revoked = ok(await admin.get(f"{base(scene)}/grants/{grant['id']}"))
        assert revoked["revoked_at"] is not None


async def test_grants_are_listed_with_filters(scene: Scene) -> None:
    """Current grants by default; filters by member and role; revoked ones on request."""
    admin = await scene.client("admin")
    member, _ = await scene.add_member()
    first = await scene.add_grant(member, "auditor", scene.community_id)
    second = await scene.add_grant(member, "clerk", scene.world.shop.id or 0)
    ok(await admin.delete(f"{base(scene)}/grants/{first.id}"), 204)
    path = base(scene) + "/grants"
    current = ok(await admin.get(path, params={"member_id": member.id}))["items"]
    assert [g["id"] for g in current] == [second.id]
    everything = ok(
        await admin.get(path, params={"member_id": member.id, "include_revoked": True})
    )["items"]
    assert [g["id"] for g in everything] == [first.id, second.id]
    clerks = ok(await admin.get(path, params={"role": "clerk", "limit": 200}))["items"]
    assert second.id in {g["id"] for g in clerks}
    assert {g["role"] for g in clerks} == {"clerk"}


async def test_grant_refusals_change_nothing(scene: Scene) -> None:
    """Duplicates, missing or stray scopes, foreign objects and other roles are refused."""
    admin = await scene.client("admin")
    captain = scene.world.id_of("captain")
    team = scene.world.team.id
    member, _ = await scene.add_member()
    erased, _ = await scene.add_member()
    ok(await admin.delete(f"{base(scene)}/members/{erased.id}/personal-data"), 204)
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"member_id": captain, "role": "captain", "team_id": team}, 409, "already_granted"),
        ({"member_id": member.id, "role": "captain"}, 400, "invalid_input"),
        ({"member_id": member.id, "role": "clerk", "team_id": team}, 400, "invalid_input"),
        (
            {"member_id": member.id, "role": "admin", "shop_id": scene.world.shop.id},
            400,
            "invalid_input",
        ),
        ({"member_id": member.id, "role": "district_admin"}, 400, "invalid_input"),
        (
            {"member_id": member.id, "role": "captain", "team_id": scene.world.other_team.id},
            404,
            "not_found",
        ),
        (
            {"member_id": member.id, "role": "clerk", "shop_id": scene.world.other_shop.id},
            404,
            "not_found",
        ),
        ({"member_id": scene.world.id_of("other_resident"), "role": "auditor"}, 404, "not_found"),
        ({"member_id": erased.id, "role": "auditor"}, 409, "member_erased"),
        (
            {"member_id": member.id, "role": "auditor", "community_id": scene.other_id},
            400,
            "invalid_input",
        ),
        ({"member_id": member.id, "role": "auditor", "granted_by": 1}, 400, "invalid_input"),
    ]
    async with scene.unchanged():
        for body, status, code in cases:
            refused(await admin.post(base(scene) + "/grants", json=body), status, code)


async def test_revocation_refusals_change_nothing(scene: Scene) -> None:
    """Grants of another community or of the sub-district are not found; auditors may not revoke."""
    admin = await scene.client("admin")
    outsider, _ = await scene.add_member(scene.world.other)
    foreign = await scene.add_grant(outsider, "auditor", scene.other_id)
    district = await scene.add_grant(
        (await scene.add_member())[0], "district_admin", scene.other_district.id or 0
    )
    mine = await scene.add_grant((await scene.add_member())[0], "auditor", scene.community_id)
    async with scene.unchanged():
        refused(await admin.delete(f"{base(scene)}/grants/{foreign.id}"), 404, "not_found")
        refused(await admin.get(f"{base(scene)}/grants/{foreign.id}"), 404, "not_found")
        refused(await admin.delete(f"{base(scene)}/grants/{district.id}"), 404, "not_found")
        refused(
            await (await scene.client("auditor")).delete(f"{base(scene)}/grants/{mine.id}"),
            403,
            "forbidden",
        )
        refused(
            await (await scene.client("other_admin")).delete(f"{base(scene)}/grants/{mine.id}"),
            404,
            "not_found",
        )
    ok(await admin.delete(f"{base(scene)}/grants/{mine.id}"), 204)
    async with scene.unchanged():
        ok(await admin.delete(f"{base(scene)}/grants/{mine.id}"), 204)


async def test_the_unchanged_check_notices_a_change(scene: Scene) -> None:
    """`scene.unchanged()` is not vacuous: a call that does change something fails it."""
    admin = await scene.client("admin")
    with pytest.raises(AssertionError, match="grids"):
        async with scene.unchanged():
            ok(await admin.post(base(scene) + "/grids", json={"name": "多出来的网格"}), 201)
