"""The admin console through HTTP, on both backends: every page for the community's admin
and (read-only) auditor, 404 for another community's admin, 403 for residents, the login
page for strangers; the community, its grids, buildings, teams and shops, end to end, with
every refusal shown with its code and nothing changed. Members and rewards are in
test_admin_member_pages.py, rule sets, the dashboard, reversals and keys in
test_admin_ledger_pages.py.
"""

# Chinese text takes full-width punctuation; it is no confusable here.

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
from sqlmodel import select

from api.web import words_admin
from checkin.models import RulesetVersion
from organisation.models import Building, Community, Grid, Shop, Team
from redemption import catalogue
from redemption.models import Reward
from tests.api.admin_pages_helpers import (
    GOOD_RULES,
    STAFF_PAGES,
    active_grant,
    base,
    count,
    has_forms,
    post,
    refusal_code,
)
from tests.api.scene import Scene, module_scene_fixtures
from tests.conftest import FIXED_NOW

scene_db, scene = module_scene_fixtures()


# --- Who sees what -------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", STAFF_PAGES)
async def test_admin_sees_each_page_with_its_forms(scene: Scene, suffix: str) -> None:
    """The community's admin gets every page, in Chinese by default, with its forms (the
    dashboard and key list too), and no-store caching."""
    admin = await scene.client("admin")
    response = await admin.get(base(scene) + suffix)
    assert response.status_code == 200, response.text
    assert 'lang="zh-CN"' in response.text
    assert scene.world.community.name in response.text
    assert response.headers["cache-control"] == "no-store"
    if suffix not in ("",):
        assert has_forms(response.text) or suffix == "/reversals"


@pytest.mark.parametrize("suffix", STAFF_PAGES)
async def test_auditor_sees_each_page_without_forms(scene: Scene, suffix: str) -> None:
    """The community's auditor reads every page but finds no form that changes anything."""
    auditor = await scene.client("auditor")
    response = await auditor.get(base(scene) + suffix)
    assert response.status_code == 200, response.text
    assert 'data-testid="read-only"' in response.text
    assert not has_forms(response.text)


@pytest.mark.parametrize("suffix", STAFF_PAGES)
async def test_strangers_get_nothing(scene: Scene, suffix: str) -> None:
    """Another community's admin gets 404, residents, captains and clerks 403, and someone
    not logged in is sent to log in and back."""
    path = base(scene) + suffix
    for role, status in (("other_admin", 404), ("resident", 403), ("captain", 403), ("clerk", 403)):
        response = await (await scene.client(role)).get(path, follow_redirects=False)
        assert response.status_code == status, (role, response.text[:200])
        assert refusal_code(response.text) == {404: "not_found", 403: "forbidden"}[status]
        assert scene.world.community.name not in response.text
    anonymous = await (await scene.client(None)).get(path, follow_redirects=False)
    assert anonymous.status_code == 302
    assert anonymous.headers["location"].startswith("/login?next=%2Fadmin%2Fc%2F")


async def test_posts_are_for_the_communitys_admins_only(scene: Scene) -> None:
    """Every form's target refuses the auditor (403), another community's admin (404) and a
    resident (403), sends strangers to log in, and none of them changes anything."""
    world = scene.world
    member, _ = await scene.add_member()
    grant = await scene.add_grant(member, "auditor", scene.community_id)
    async with scene.db.sessions.begin() as session:
        reward = await catalogue.create_reward(
            session,
            community_id=scene.community_id,
            shop_id=world.shop.id or 0,
            fields={"name_zh": "毛巾", "price_points": 5},
            now=FIXED_NOW,
        )
    a = base(scene)
    targets: list[tuple[str, dict[str, object]]] = [
        ("/community", {"name": "改名"}),
        ("/grids", {"name": "三网格"}),
        (f"/grids/{scene.grid.id}", {"name": "改名"}),
        ("/buildings", {"grid_id": scene.grid.id, "name": "9 栋"}),
        (f"/buildings/{scene.building.id}", {"name": "改名"}),
        ("/teams", {"name": "新队"}),
        (f"/teams/{world.team.id}", {"name": "改名"}),
        (f"/teams/{world.team.id}/captains", {"member": member.username}),
        ("/shops", {"name": "新店"}),
        (f"/shops/{world.shop.id}", {"name": "改名", "active": "yes"}),
        (f"/shops/{world.shop.id}/clerks", {"member": member.username}),
        (f"/grants/{grant.id}/revoke", {}),
        ("/members", {"display_name": "新人", "username": f"n{secrets.token_hex(4)}"}),
        (f"/members/{member.id}", {"display_name": "改名", "username": member.username}),
        (f"/members/{member.id}/setup-code", {}),
        (f"/members/{member.id}/grants", {"role": "auditor"}),
        (f"/members/{member.id}/erase", {"confirm": "yes"}),
        ("/rewards", {"shop_id": world.shop.id, "name_zh": "皂", "price_points": 3}),
        (f"/rewards/{reward.id}", {"name_zh": "改名", "price_points": 3}),
        (f"/rewards/{reward.id}/withdraw", {}),
        ("/rules/check", {"text": GOOD_RULES}),
        ("/rules", {"text": GOOD_RULES}),
        ("/rules/1/activate", {}),
        ("/reversals", {"seq": scene.seqs["resident"], "reason": "错"}),
        ("/keys/rotate", {"purpose": "ledger"}),
    ]
    versions = await count(scene.db, RulesetVersion)
    rewards = await count(scene.db, Reward, Reward.community_id == scene.community_id)
    async with scene.unchanged():
        for suffix, fields in targets:
            for role, status in (("auditor", 403), ("other_admin", 404), ("resident", 403)):
                response = await post(await scene.client(role), a + suffix, **fields)
                assert response.status_code == status, (role, suffix, response.text[:300])
                assert refusal_code(response.text) == (
                    "forbidden" if status == 403 else "not_found"
                )
            anonymous = await post(await scene.client(None), a + suffix, **fields)
            assert anonymous.status_code == 302, suffix
    assert await count(scene.db, RulesetVersion) == versions
    assert await count(scene.db, Reward, Reward.community_id == scene.community_id) == rewards
    assert (await scene.read(Reward, reward.id)).name_zh == "毛巾"


async def test_index_sends_one_community_admins_to_their_dashboard(scene: Scene) -> None:
    """/admin goes straight to the dashboard of an admin's or auditor's only community; a
    resident is refused."""
    for role in ("admin", "auditor"):
        response = await (await scene.client(role)).get("/admin", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == base(scene)
    other = await (await scene.client("other_admin")).get("/admin", follow_redirects=False)
    assert other.headers["location"] == base(scene, other=True)
    resident = await (await scene.client("resident")).get("/admin", follow_redirects=False)
    assert resident.status_code == 403


async def test_district_admin_picks_a_community_and_creates_one(scene: Scene) -> None:
    """The district admin sees both communities of the sub-district, creates a third one
    with its ledger and lands on its settings page, where the ledger can be made public."""
    district = await scene.client("district_admin")
    index = await district.get("/admin")
    assert index.status_code == 200
    for community in (scene.world.community, scene.world.other):
        assert f'data-community="{community.id}"' in index.text
    assert f'action="/admin/districts/{scene.district_id}/communities"' in index.text
    ledger = f"new-{secrets.token_hex(4)}"
    made = await post(
        district,
        f"/admin/districts/{scene.district_id}/communities",
        name="新建社区",
        ledger_id=ledger,
    )
    assert made.status_code == 303, made.text
    async with scene.db.sessions() as session:
        created = (
            await session.execute(select(Community).where(Community.ledger_id == ledger))
        ).scalar_one()
    assert made.headers["location"] == f"/admin/c/{created.id}/community?done=created"
    assert created.ledger_public is False
    # The district admin's login was loaded before; a new login sees the new community.
    async with scene.world.client("district_admin") as fresh:
        page = await fresh.get(made.headers["location"])
        assert page.status_code == 200
        assert 'data-done="created"' in page.text
        public = await post(
            fresh, f"/admin/c/{created.id}/community", name="新建社区", ledger_public="yes"
        )
        assert public.status_code == 303
    assert (await scene.read(Community, created.id)).ledger_public is True


async def test_creating_a_community_refuses_a_taken_or_bad_ledger_id(scene: Scene) -> None:
    """A ledger id in use is already_taken (409), one that is not a slug invalid_input (400);
    the form comes back with what was typed, and nothing is created."""
    district = await scene.client("district_admin")
    path = f"/admin/districts/{scene.district_id}/communities"
    before = await count(scene.db, Community)
    taken = await post(district, path, name="重名", ledger_id=scene.world.community.ledger_id)
    assert taken.status_code == 409
    assert refusal_code(taken.text) == "already_taken"
    assert 'value="重名"' in taken.text
    bad = await post(district, path, name="坏名", ledger_id="Not A Slug")
    assert bad.status_code == 400
    assert refusal_code(bad.text) == "invalid_input"
    other = await post(
        district, f"/admin/districts/{scene.other_district.id}/communities", name="x", ledger_id="x"
    )
    assert other.status_code == 404
    assert await count(scene.db, Community) == before


# --- The community, grids and buildings ---------------------------------------------------


async def test_admin_renames_the_community_and_refusals_change_nothing(scene: Scene) -> None:
    """Renaming saves and says so; an empty name is invalid_input with nothing changed."""
    admin = await scene.client("admin")
    a = base(scene)
    original = scene.world.community.name
    async with scene.unchanged():
        empty = await post(admin, a + "/community", form="community", name="")
        assert empty.status_code == 400
        assert refusal_code(empty.text) == "invalid_input"
        assert 'data-detail="field">name<' in empty.text
    saved = await post(admin, a + "/community", form="community", name=original + " 新")
    assert saved.status_code == 303
    assert saved.headers["location"] == a + "/community?done=saved"
    assert (await scene.read(Community, scene.community_id)).name == original + " 新"
    shown = await admin.get(saved.headers["location"])
    assert "已保存" in shown.text
    await post(admin, a + "/community", form="community", name=original)


async def test_admin_runs_grids_and_buildings(scene: Scene) -> None:
    """Create a grid and a building in it, rename both, move the building; a building in
    another community's grid and an empty name are refused, changing nothing."""
    admin = await scene.client("admin")
    a = base(scene)
    assert (await post(admin, a + "/grids", form="new-grid", name="三网格")).status_code == 303
    async with scene.db.sessions() as session:
        grid = (
            await session.execute(
                select(Grid).where(Grid.community_id == scene.community_id, Grid.name == "三网格")
            )
        ).scalar_one()
    made = await post(admin, a + "/buildings", form="new-building", grid_id=grid.id, name="7 栋")
    assert made.status_code == 303
    async with scene.db.sessions() as session:
        building = (
            await session.execute(select(Building).where(Building.grid_id == grid.id))
        ).scalar_one()
    assert building.name == "7 栋"
    renamed = await post(admin, f"{a}/grids/{grid.id}", form=f"grid-{grid.id}", name="三网格甲")
    assert renamed.status_code == 303
    moved = await post(admin, f"{a}/buildings/{building.id}", name="7 栋甲", grid_id=scene.grid.id)
    assert moved.status_code == 303
    after = await scene.read(Building, building.id)
    assert (after.name, after.grid_id) == ("7 栋甲", scene.grid.id)
    assert (await scene.read(Grid, grid.id)).name == "三网格甲"
    page = await admin.get(a + "/places")
    assert "三网格甲" in page.text
    assert "7 栋甲" in page.text
    async with scene.unchanged():
        foreign = await post(
            admin, a + "/buildings", form="new-building", grid_id=scene.other_grid.id, name="8 栋"
        )
        assert foreign.status_code == 404
        assert refusal_code(foreign.text) == "not_found"
        empty = await post(admin, f"{a}/grids/{grid.id}", form=f"grid-{grid.id}", name="")
        assert empty.status_code == 400
        assert refusal_code(empty.text) == "invalid_input"
        other_grid = await post(admin, f"{a}/grids/{scene.other_grid.id}", name="偷改")
        assert other_grid.status_code == 404
        moved_away = await post(
            admin, f"{a}/buildings/{building.id}", name="7 栋", grid_id=scene.other_grid.id
        )
        assert moved_away.status_code == 404


# --- Teams, captains, shops, clerks ---------------------------------------------------------


async def test_admin_runs_teams_and_their_captains(scene: Scene) -> None:
    """Create and rename a team, make a member its captain by user name, phone or #id, see
    them listed, revoke them; an unknown member, another community's member and a second
    grant of the same role are refused with nothing changed."""
    admin = await scene.client("admin")
    a = base(scene)
    assert (
        await post(admin, a + "/teams", name="红丝带服务队", name_en="Red ribbon")
    ).status_code == 303
    async with scene.db.sessions() as session:
        team = (await session.execute(select(Team).where(Team.name == "红丝带服务队"))).scalar_one()
    renamed = await post(admin, f"{a}/teams/{team.id}", name="红丝带队", name_en="Red ribbon team")
    assert renamed.status_code == 303
    assert (await scene.read(Team, team.id)).name_en == "Red ribbon team"
    member, _ = await scene.add_member()
    other_member, _ = await scene.add_member(scene.world.other)
    for identifier in (member.username, member.phone, f"#{member.id}"):
        granted = await post(admin, f"{a}/teams/{team.id}/captains", member=identifier)
        assert granted.status_code == 303, granted.text
        assert granted.headers["location"] == a + "/teams?done=granted"
        page = await admin.get(a + "/teams")
        assert str(member.display_name) in page.text
        grant_id = await active_grant(scene, member, "captain")
        revoked = await post(admin, f"{a}/grants/{grant_id}/revoke")
        assert revoked.headers["location"] == a + "/teams?done=revoked"
        assert await active_grant(scene, member, "captain") is None
    await post(admin, f"{a}/teams/{team.id}/captains", member=member.username)
    async with scene.unchanged():
        for identifier, code in (
            ("nobody-here", "not_found"),
            (other_member.username, "not_found"),
            (f"#{other_member.id}", "not_found"),
            (member.username, "already_granted"),
            ("", "invalid_input"),
        ):
            response = await post(
                admin, f"{a}/teams/{team.id}/captains", form=f"captain-{team.id}", member=identifier
            )
            assert refusal_code(response.text) == code, identifier
            assert response.status_code == {"not_found": 404, "already_granted": 409}.get(code, 400)
        foreign_team = await post(
            admin, f"{a}/teams/{scene.world.other_team.id}/captains", member=member.username
        )
        assert foreign_team.status_code == 404


async def test_admin_runs_shops_and_their_clerks(scene: Scene) -> None:
    """Create a shop, edit and deactivate it, make a member its clerk and revoke them;
    another community's grant cannot be revoked from here."""
    admin = await scene.client("admin")
    a = base(scene)
    made = await post(
        admin,
        a + "/shops",
        name="理发店",
        address="和平路 1 号",
        opening_hours="9-18",
        contact="028-1",
    )
    assert made.status_code == 303
    async with scene.db.sessions() as session:
        shop = (
            await session.execute(
                select(Shop).where(Shop.community_id == scene.community_id, Shop.name == "理发店")
            )
        ).scalar_one()
    assert shop.account == f"shop-{shop.id}"
    closed = await post(
        admin,
        f"{a}/shops/{shop.id}",
        name="理发店",
        address="和平路 2 号",
        opening_hours="",
        contact="",
    )
    assert closed.status_code == 303
    after = await scene.read(Shop, shop.id)
    assert (after.address, after.active) == ("和平路 2 号", False)
    page = await admin.get(a + "/shops")
    assert f'data-shop="{shop.id}" data-active="no"' in page.text
    reopened = await post(admin, f"{a}/shops/{shop.id}", name="理发店", active="yes")
    assert reopened.status_code == 303
    assert (await scene.read(Shop, shop.id)).active is True
    member, _ = await scene.add_member()
    clerk = await post(admin, f"{a}/shops/{shop.id}/clerks", member=member.phone)
    assert clerk.headers["location"] == a + "/shops?done=granted"
    grant_id = await active_grant(scene, member, "clerk")
    assert grant_id is not None
    assert (await post(admin, f"{a}/grants/{grant_id}/revoke")).headers[
        "location"
    ] == a + "/shops?done=revoked"
    other_member, _ = await scene.add_member(scene.world.other)
    foreign = await scene.add_grant(other_member, "auditor", scene.other_id)
    async with scene.unchanged():
        response = await post(admin, f"{a}/grants/{foreign.id}/revoke")
        assert response.status_code == 404
        empty = await post(admin, f"{a}/shops/{shop.id}", form=f"shop-{shop.id}", name="")
        assert empty.status_code == 400
        assert refusal_code(empty.text) == "invalid_input"


async def test_auditor_reads_detail_pages_without_personal_data(scene: Scene) -> None:
    """A member's page and a reward's page answer the auditor without forms, and the member's
    page without their name or phone number."""
    auditor = await scene.client("auditor")
    member, _ = await scene.add_member()
    async with scene.db.sessions.begin() as session:
        reward = await catalogue.create_reward(
            session,
            community_id=scene.community_id,
            shop_id=scene.world.shop.id or 0,
            fields={"name_zh": "肥皂", "price_points": 4},
            now=FIXED_NOW,
        )
    shown = await auditor.get(f"{base(scene)}/members/{member.id}")
    assert shown.status_code == 200
    assert member.account in shown.text
    assert str(member.display_name) not in shown.text
    assert str(member.phone) not in shown.text
    assert not has_forms(shown.text)
    offer = await auditor.get(f"{base(scene)}/rewards/{reward.id}")
    assert offer.status_code == 200
    assert not has_forms(offer.text)


def test_every_word_the_admin_pages_use_is_defined() -> None:
    """Each `t.ad_...` key in the admin templates has Chinese and English words."""
    templates = Path(__file__).resolve().parents[2] / "api" / "templates"
    used: set[str] = set()
    for path in templates.glob("*admin*.html"):
        used |= set(re.findall(r"\bt\.(ad_[a-z_]+)", path.read_text(encoding="utf-8")))
    assert used
    assert used - set(words_admin.WORDS) == set()
    assert all(zh and en for zh, en in words_admin.WORDS.values())
