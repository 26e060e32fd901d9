"""The admin console's team membership, shop redemption settings and community redemption
policy through HTTP, on both backends: each change end to end, and every refusal shown with
its code and nothing changed. Who may call each route is the role matrix's (route_cases).
"""

from __future__ import annotations

import secrets
from typing import Any

from organisation import service as org
from organisation.models import Community, Member, Shop, Team, TeamMembership
from redemption.models import CommunityRedemptionSettings, ShopRedemptionSettings
from tests.api.admin_pages_helpers import ENGLISH, base, count, post, refusal_code
from tests.api.scene import Scene, module_scene_fixtures

scene_db, scene = module_scene_fixtures()

POLICY = {
    "timezone": "Asia/Shanghai",
    "refund_window_days": "7",
    "expiry_period": "year",
    "expiry_after_periods": "1",
}


async def _team(scene: Scene) -> Team:
    """A fresh team of community A."""
    async with scene.db.sessions.begin() as session:
        return await org.create_team(
            session, community_id=scene.community_id, name=f"队 {secrets.token_hex(3)}"
        )


async def _shop(scene: Scene) -> Shop:
    """A fresh open shop of community A, taking no free amounts."""
    async with scene.db.sessions.begin() as session:
        community = await session.get(Community, scene.community_id)
        assert community is not None
        return await org.create_shop(
            session,
            community=community,
            name=f"店 {secrets.token_hex(3)}",
            address="",
            opening_hours="",
            contact="",
        )


async def _in_team(scene: Scene, team: Team, member: Member) -> bool:
    return await scene.read(TeamMembership, (team.id, member.id)) is not None


async def _shop_settings(scene: Scene, shop: Shop) -> tuple[bool, int] | None:
    row = await scene.read(ShopRedemptionSettings, shop.id)
    return None if row is None else (row.is_supermarket, row.free_amount_max_points)


async def _policy(scene: Scene) -> dict[str, Any] | None:
    row = await scene.read(CommunityRedemptionSettings, scene.community_id)
    return None if row is None else row.model_dump()


async def _ask_free_amount(scene: Scene, shop: Shop, amount_points: int) -> Any:
    """The resident (10 points) asks for a code to spend `amount_points` at `shop`."""
    resident = await scene.client("resident")
    return await post(resident, "/rewards/code", shop_id=shop.id, amount_points=amount_points)


# --- Team membership ------------------------------------------------------------------------


async def test_admin_adds_and_removes_team_members(scene: Scene) -> None:
    """A member named by user name joins the team and is listed with a remove button; adding
    them again (by #id) changes nothing; removing takes them out. The auditor sees the member's
    account, not their name, and no form."""
    admin = await scene.client("admin")
    a = base(scene)
    team = await _team(scene)
    member, _ = await scene.add_member()
    added = await post(
        admin, f"{a}/teams/{team.id}/members", form=f"team-member-{team.id}", member=member.username
    )
    assert added.status_code == 303, added.text
    assert added.headers["location"] == a + "/teams?done=added"
    assert await _in_team(scene, team, member)
    page = await admin.get(added.headers["location"])
    assert 'data-done="added"' in page.text
    assert str(member.display_name) in page.text
    assert f'action="{a}/teams/{team.id}/members/{member.id}/remove"' in page.text
    again = await post(admin, f"{a}/teams/{team.id}/members", member=f"#{member.id}")
    assert again.status_code == 303
    assert await count(scene.db, TeamMembership, TeamMembership.member_id == member.id) == 1
    audited = await (await scene.client("auditor")).get(a + "/teams")
    assert f'data-member="{member.id}"' in audited.text
    assert member.account in audited.text
    assert str(member.display_name) not in audited.text
    assert "/remove" not in audited.text
    removed = await post(admin, f"{a}/teams/{team.id}/members/{member.id}/remove")
    assert removed.status_code == 303
    assert removed.headers["location"] == a + "/teams?done=removed"
    assert not await _in_team(scene, team, member)
    assert f'data-member="{member.id}"' not in (await admin.get(a + "/teams")).text


async def test_team_membership_refusals_change_nothing(scene: Scene) -> None:
    """Another community's member (by user name or #id), an unknown or empty name and an
    erased member cannot join; another community's team or member cannot be named under this
    community's path (404); removing someone not in the team is not_found."""
    admin = await scene.client("admin")
    a = base(scene)
    team = await _team(scene)
    member, _ = await scene.add_member()
    other_member, _ = await scene.add_member(scene.world.other)
    erased, _ = await scene.add_member()
    assert (await post(admin, f"{a}/members/{erased.id}/erase", confirm="yes")).status_code == 303
    await scene.add_to_team(scene.world.other_team, other_member)
    async with scene.unchanged():
        for identifier, code, status in (
            (other_member.username, "not_found", 404),
            (f"#{other_member.id}", "not_found", 404),
            ("nobody-here", "not_found", 404),
            ("", "invalid_input", 400),
            (f"#{erased.id}", "member_erased", 409),
        ):
            response = await post(
                admin,
                f"{a}/teams/{team.id}/members",
                form=f"team-member-{team.id}",
                member=identifier,
            )
            assert response.status_code == status, (identifier, response.text[:300])
            assert refusal_code(response.text) == code, identifier
        foreign_team = await post(
            admin, f"{a}/teams/{scene.world.other_team.id}/members", member=member.username
        )
        assert foreign_team.status_code == 404
        for path in (
            f"{a}/teams/{team.id}/members/{other_member.id}/remove",
            f"{a}/teams/{scene.world.other_team.id}/members/{other_member.id}/remove",
            f"{a}/teams/{team.id}/members/{member.id}/remove",
        ):
            response = await post(admin, path)
            assert response.status_code == 404, path
            assert refusal_code(response.text) == "not_found", path
    assert await _in_team(scene, scene.world.other_team, other_member)


async def test_others_cannot_change_membership_or_settings(scene: Scene) -> None:
    """The auditor (403) and another community's admin (404) post to the new forms in vain."""
    a = base(scene)
    team = await _team(scene)
    shop = await _shop(scene)
    member, _ = await scene.add_member()
    joined, _ = await scene.add_member()
    await scene.add_to_team(team, joined)
    targets: list[tuple[str, dict[str, object]]] = [
        (f"/teams/{team.id}/members", {"member": member.username}),
        (f"/teams/{team.id}/members/{joined.id}/remove", {}),
        (f"/shops/{shop.id}/redemption-settings", {"free_amount_max_points": 9}),
        ("/community/redemption-settings", {**POLICY, "refund_window_days": 30}),
    ]
    policy = await _policy(scene)
    async with scene.unchanged():
        for suffix, fields in targets:
            for role, status in (("auditor", 403), ("other_admin", 404)):
                response = await post(await scene.client(role), a + suffix, **fields)
                assert response.status_code == status, (role, suffix)
    assert await _shop_settings(scene, shop) is None
    assert await _policy(scene) == policy
    assert await _in_team(scene, team, joined)


# --- Shop redemption settings ---------------------------------------------------------------


async def test_free_amount_maximum_set_on_the_shops_page_governs_free_amounts(
    scene: Scene,
) -> None:
    """A shop takes no free amount until the admin sets a maximum; then an amount within it
    gets a code and one above it is free_amount_too_large. The supermarket flag is stored and
    shown."""
    admin = await scene.client("admin")
    a = base(scene)
    shop = await _shop(scene)
    before = await _ask_free_amount(scene, shop, 5)
    assert (before.status_code, refusal_code(before.text)) == (409, "free_amount_not_accepted")
    saved = await post(
        admin,
        f"{a}/shops/{shop.id}/redemption-settings",
        form=f"shop-settings-{shop.id}",
        free_amount_max_points=8,
    )
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == a + "/shops?done=saved"
    assert await _shop_settings(scene, shop) == (False, 8)
    page = await admin.get(a + "/shops")
    assert 'data-free-max="8"' in page.text
    within = await _ask_free_amount(scene, shop, 8)
    assert within.status_code == 303, within.text
    assert within.headers["location"].startswith("/rewards/code/")
    above = await _ask_free_amount(scene, shop, 9)
    assert (above.status_code, refusal_code(above.text)) == (409, "free_amount_too_large")
    market = await post(
        admin,
        f"{a}/shops/{shop.id}/redemption-settings",
        free_amount_max_points=0,
        is_supermarket="yes",
    )
    assert market.status_code == 303
    assert await _shop_settings(scene, shop) == (True, 0)
    shown = await admin.get(a + "/shops")
    card = shown.text.split(f'data-shop="{shop.id}"', 1)[1].split("</section>", 1)[0]
    assert "积分超市" in card
    assert "不接受自由金额" in card


async def test_shop_settings_refusals_change_nothing(scene: Scene) -> None:
    """A negative, empty, non-numeric or too large maximum is invalid_input shown at the form
    (which stays open with what was typed); another community's shop is not_found; the stored
    settings stay."""
    admin = await scene.client("admin")
    a = base(scene)
    shop = await _shop(scene)
    fid = f"shop-settings-{shop.id}"
    assert (
        await post(admin, f"{a}/shops/{shop.id}/redemption-settings", free_amount_max_points=20)
    ).status_code == 303
    for typed in ("-1", "", "twelve", "1000001", "2.5"):
        response = await post(
            admin,
            f"{a}/shops/{shop.id}/redemption-settings",
            form=fid,
            free_amount_max_points=typed,
            is_supermarket="yes",
        )
        assert response.status_code == 400, typed
        assert refusal_code(response.text) == "invalid_input", typed
        assert 'data-detail="field">free_amount_max_points<' in response.text
        assert 'class="refusal ad-inline-refusal"' in response.text
        assert f'value="{typed}"' in response.text
        assert await _shop_settings(scene, shop) == (False, 20)
    other_shop = scene.world.other_shop
    before = await _shop_settings(scene, other_shop)
    foreign = await post(
        admin, f"{a}/shops/{other_shop.id}/redemption-settings", free_amount_max_points=5
    )
    assert foreign.status_code == 404
    assert await _shop_settings(scene, other_shop) == before


# --- Community redemption policy ------------------------------------------------------------


async def test_admin_sets_the_redemption_policy(scene: Scene) -> None:
    """The community page shows the policy; the admin replaces it (refund window, monthly
    expiry) and the page shows the new one; the auditor reads it without a form."""
    admin = await scene.client("admin")
    a = base(scene)
    saved = await post(
        admin,
        a + "/community/redemption-settings",
        form="redemption",
        timezone="Asia/Shanghai",
        refund_window_days=14,
        expiry_enabled="yes",
        expiry_period="month",
        expiry_after_periods=3,
    )
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == a + "/community?done=saved"
    stored = await _policy(scene)
    assert stored is not None
    assert (
        stored["refund_window_days"],
        stored["expiry_enabled"],
        stored["expiry_period"],
        stored["expiry_after_periods"],
    ) == (14, True, "month", 3)
    page = await admin.get(saved.headers["location"])
    assert 'data-policy="refund_window_days">14<' in page.text
    assert "获得当月之后再保留 3 个月" in page.text
    audited = await (await scene.client("auditor")).get(a + "/community")
    assert 'data-policy="refund_window_days">14<' in audited.text
    assert 'data-form="redemption"' not in audited.text
    english = await admin.get(a + "/community", headers=ENGLISH)
    assert "Redemption policy" in english.text
    assert "Kept 3 more month(s)" in english.text
    restored = await post(admin, a + "/community/redemption-settings", **POLICY)
    assert restored.status_code == 303
    assert (await _policy(scene) or {})["expiry_enabled"] is False


async def test_redemption_policy_refusals_change_nothing(scene: Scene) -> None:
    """Negative or too large numbers, an empty field, an unknown time zone or period are
    invalid_input naming the field, shown at the form; the stored policy stays."""
    admin = await scene.client("admin")
    a = base(scene)
    assert (await post(admin, a + "/community/redemption-settings", **POLICY)).status_code == 303
    policy = await _policy(scene)
    for field, typed in (
        ("refund_window_days", "-1"),
        ("refund_window_days", "367"),
        ("refund_window_days", ""),
        ("expiry_after_periods", "-2"),
        ("expiry_after_periods", "121"),
        ("timezone", "Mars/Olympus"),
        ("expiry_period", "week"),
    ):
        response = await post(
            admin,
            a + "/community/redemption-settings",
            **{**POLICY, "form": "redemption", "expiry_enabled": "yes", field: typed},
        )
        assert response.status_code == 400, (field, typed)
        assert refusal_code(response.text) == "invalid_input", (field, typed)
        assert f'data-detail="field">{field}<' in response.text, (field, typed)
        assert 'class="refusal ad-inline-refusal"' in response.text
        assert await _policy(scene) == policy


async def test_the_new_forms_speak_english(scene: Scene) -> None:
    """With English preferred, the teams and shops pages label the new forms in English."""
    admin = await scene.client("admin")
    teams = await admin.get(base(scene) + "/teams", headers=ENGLISH)
    assert "Add to the team" in teams.text
    shops = await admin.get(base(scene) + "/shops", headers=ENGLISH)
    assert "Largest free amount (points)" in shops.text
