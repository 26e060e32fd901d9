"""The admin console's members and rewards pages through HTTP, on both backends: every
form end to end, every refusal shown with its code, changing nothing."""

# Chinese text takes full-width punctuation; it is no confusable here.

from __future__ import annotations

import re
import secrets
from typing import Any

from sqlmodel import select

from organisation import service as org
from organisation.models import Community, Member
from redemption import catalogue
from redemption.models import Reward
from tests.api.admin_pages_helpers import (
    active_grant,
    base,
    count,
    post,
    refusal_code,
)
from tests.api.scene import Scene, module_scene_fixtures
from tests.api.world import build_world
from tests.conftest import FIXED_NOW, Database

scene_db, scene = module_scene_fixtures()


# --- Members --------------------------------------------------------------------------------


def setup_code(text: str) -> str:
    found = re.search(r'data-testid="setup-code">([^<]+)<', text)
    assert found, text
    return found.group(1)


async def test_admin_creates_a_member_and_sees_the_setup_code_once(scene: Scene) -> None:
    """Creating a member answers with the one-time set-up code (not cached, and the same
    code the sender handed over); the member sets a password with it; the member page never
    shows it again."""
    admin = await scene.client("admin")
    a = base(scene)
    phone = f"136{secrets.randbelow(10**8):08d}"
    response = await post(
        admin,
        a + "/members",
        form="new-member",
        display_name="刘阿姨",
        phone=phone,
        username="",
        building_id=scene.building.id,
        date_of_birth="1950-05-04",
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    code = setup_code(response.text)
    async with scene.db.sessions() as session:
        member = (await session.execute(select(Member).where(Member.phone == phone))).scalar_one()
    assert (member.display_name, member.building_id) == ("刘阿姨", scene.building.id)
    assert member.date_of_birth is not None
    assert member.date_of_birth.isoformat() == "1950-05-04"
    assert scene.sender.codes[-1] == (member.id, phone, code)
    shown = await admin.get(f"{a}/members/{member.id}")
    assert code not in shown.text
    assert "待设置密码" in shown.text
    async with scene.world.client() as newcomer:
        done = await newcomer.post(
            "/api/v1/auth/setup",
            json={"identifier": phone, "code": code, "password": "a long new password"},
        )
    assert done.status_code == 200, done.text


async def test_member_creation_refusals_change_nothing(scene: Scene) -> None:
    """A taken phone number, no way to log in, a malformed phone, a birth date in the future
    and another community's building are each refused with their code, the form kept."""
    admin = await scene.client("admin")
    a = base(scene)
    taken, _ = await scene.add_member()
    cases: list[tuple[dict[str, object], int, str]] = [
        ({"phone": taken.phone}, 409, "already_taken"),
        ({}, 400, "invalid_input"),
        ({"phone": "12-34"}, 400, "invalid_input"),
        ({"phone": "13900001111", "date_of_birth": "2099-01-01"}, 400, "invalid_input"),
        ({"phone": "13900001112", "building_id": scene.other_building.id}, 404, "not_found"),
    ]
    sent = len(scene.sender.codes)
    async with scene.unchanged():
        for fields, status, code in cases:
            response = await post(
                admin, a + "/members", form="new-member", display_name="王大爷", **fields
            )
            assert response.status_code == status, (fields, response.text[:300])
            assert refusal_code(response.text) == code
            assert 'value="王大爷"' in response.text
    assert len(scene.sender.codes) == sent


async def test_members_are_paged_and_searched(scene: Scene) -> None:
    """Admins find members by name, phone, user name or #id; auditors only by id or account,
    never by personal data, and see no names or phone numbers."""
    admin = await scene.client("admin")
    auditor = await scene.client("auditor")
    a = base(scene)
    member, _ = await scene.add_member()
    assert member.display_name is not None
    assert member.phone is not None
    for query in (member.display_name[-6:], member.phone[-8:], member.username, f"#{member.id}"):
        found = await admin.get(a + "/members", params={"q": query})
        assert f'data-member="{member.id}"' in found.text, query
        assert member.phone in found.text
    assert 'data-member="' not in (await admin.get(a + "/members", params={"q": "没有这个人"})).text
    by_name = await auditor.get(a + "/members", params={"q": member.display_name})
    assert f'data-member="{member.id}"' not in by_name.text
    by_account = await auditor.get(a + "/members", params={"q": member.account})
    assert f'data-member="{member.id}"' in by_account.text
    assert member.phone not in by_account.text
    assert member.display_name not in by_account.text
    everyone = await admin.get(a + "/members")
    total = await count(scene.db, Member, Member.community_id == scene.community_id)
    assert f"共 {total} 人" in everyone.text
    beyond = await admin.get(a + "/members", params={"page": 99})
    assert beyond.status_code == 200
    assert 'data-member="' not in beyond.text


async def test_members_page_pages_through_fifty_at_a_time(db: Database, keystore: Any) -> None:
    """With more than fifty members the list shows fifty, says which page it is on, and the
    next page holds the rest."""
    world = await build_world(db, keystore, FIXED_NOW)
    async with db.sessions.begin() as session:
        community = await session.get(Community, world.community.id)
        assert community is not None
        for index in range(50):
            await _quick_member(session, community, index)
    async with world.client("admin") as admin:
        first = await admin.get(f"/admin/c/{world.community.id}/members")
        second = await admin.get(f"/admin/c/{world.community.id}/members?page=2")
    total = 50 + 8 - 2  # eight people of the world, two of them in community B
    assert first.text.count('data-member="') == 50
    assert "第 1 / 2 页" in first.text
    assert second.text.count('data-member="') == total - 50
    assert 'rel="prev"' in second.text


async def _quick_member(session: Any, community: Community, index: int) -> None:
    await org.create_member(
        session,
        community=community,
        display_name=f"居民{index}",
        phone=None,
        username=f"q{index}-{secrets.token_hex(4)}",
        building_id=None,
        date_of_birth=None,
        now=FIXED_NOW,
        with_setup_code=False,
    )


async def test_admin_corrects_personal_data_and_refusals_keep_it(scene: Scene) -> None:
    """Corrections save (an emptied field is cleared); a malformed user name, another
    community's building or clearing both phone and user name are refused, nothing changed."""
    admin = await scene.client("admin")
    member, _ = await scene.add_member()
    path = f"{base(scene)}/members/{member.id}"
    saved = await post(
        admin,
        path,
        form="personal",
        display_name="张三丰",
        phone=member.phone,
        username="",
        building_id=scene.building.id,
        date_of_birth="",
    )
    assert saved.status_code == 303
    after = await scene.read(Member, member.id)
    assert (after.display_name, after.username, after.building_id) == (
        "张三丰",
        None,
        scene.building.id,
    )
    async with scene.unchanged():
        for fields, status, code in (
            ({"phone": member.phone, "username": "9bad"}, 400, "invalid_input"),
            ({"phone": member.phone, "building_id": scene.other_building.id}, 404, "not_found"),
            ({"phone": "", "username": ""}, 400, "invalid_input"),
            ({"phone": member.phone, "display_name": ""}, 400, "invalid_input"),
        ):
            response = await post(
                admin, path, form="personal", **{"display_name": "李四", **fields}
            )
            assert response.status_code == status, fields
            assert refusal_code(response.text) == code
            assert 'data-form="personal"' in response.text


async def test_admin_grants_a_role_and_issues_a_new_setup_code(scene: Scene) -> None:
    """From a member's page: make them an auditor (then revoke it), a captain of a team;
    refuse a made-up role; a new set-up code is shown once and replaces the old one."""
    admin = await scene.client("admin")
    member, _ = await scene.add_member()
    path = f"{base(scene)}/members/{member.id}"
    granted = await post(admin, path + "/grants", form="grant", role="auditor")
    assert granted.headers["location"] == path + "?done=granted"
    grant_id = await active_grant(scene, member, "auditor")
    assert grant_id is not None
    page = await admin.get(path)
    assert f'data-grant="{grant_id}" data-role="auditor"' in page.text
    revoked = await post(admin, f"{base(scene)}/grants/{grant_id}/revoke")
    assert revoked.headers["location"] == path + "?done=revoked"
    captain = await post(admin, path + "/grants", role=f"captain:{scene.world.team.id}")
    assert captain.status_code == 303
    async with scene.unchanged():
        for role, code in (
            ("owner", "invalid_input"),
            (f"captain:{scene.world.other_team.id}", "not_found"),
            (f"captain:{scene.world.team.id}", "already_granted"),
        ):
            response = await post(admin, path + "/grants", form="grant", role=role)
            assert refusal_code(response.text) == code, role
    fresh = await post(admin, path + "/setup-code")
    assert fresh.status_code == 200
    assert setup_code(fresh.text) == scene.sender.codes[-1][2]


async def test_erasing_takes_a_confirmation_step(scene: Scene) -> None:
    """The erase link leads to a confirmation page; sending it unticked is refused with
    nothing erased; ticked, the personal data goes, the account and balance stay, and the
    member can no longer be changed."""
    admin = await scene.client("admin")
    member, _ = await scene.add_member()
    await scene.credit(member, 7)
    path = f"{base(scene)}/members/{member.id}"
    confirm = await admin.get(path + "/erase")
    assert confirm.status_code == 200
    assert 'name="confirm"' in confirm.text
    assert (await (await scene.client("auditor")).get(path + "/erase")).status_code == 403
    async with scene.unchanged():
        unticked = await post(admin, path + "/erase")
        assert unticked.status_code == 400
        assert refusal_code(unticked.text) == "invalid_input"
    erased = await post(admin, path + "/erase", confirm="yes")
    assert erased.headers["location"] == path + "?done=erased"
    after = await scene.read(Member, member.id)
    assert (after.display_name, after.phone, after.username) == (None, None, None)
    assert after.account == member.account
    page = await admin.get(path)
    assert 'data-testid="erased"' in page.text
    assert 'data-testid="balance">7' in page.text
    assert 'data-form="personal"' not in page.text
    async with scene.unchanged():
        refused = await post(admin, path, form="personal", display_name="复活", phone="13912345678")
        assert refused.status_code == 409
        assert refusal_code(refused.text) == "member_erased"
    foreign, _ = await scene.add_member(scene.world.other)
    assert (await admin.get(f"{base(scene)}/members/{foreign.id}")).status_code == 404
    assert (
        await post(admin, f"{base(scene)}/members/{foreign.id}/erase", confirm="yes")
    ).status_code == 404
    assert (await scene.read(Member, foreign.id)).display_name is not None


# --- Rewards ----------------------------------------------------------------------------------


async def test_admin_creates_edits_and_withdraws_a_reward(scene: Scene) -> None:
    """A reward with stock, limits and validity typed on the community's clock is stored in
    UTC; editing sets the stock; withdrawing takes it off the offer but keeps it listed."""
    admin = await scene.client("admin")
    a = base(scene)
    made = await post(
        admin,
        a + "/rewards",
        form="new-reward",
        shop_id=scene.world.shop.id,
        name_zh="食用油 5 升",
        name_en="Cooking oil",
        price_points=80,
        stock=12,
        limit_per_day="",
        limit_per_month=2,
        limit_ever="",
        valid_from="2026-02-01T09:00",
        valid_until="2026-12-31T18:00",
        active="yes",
    )
    assert made.status_code == 303, made.text
    async with scene.db.sessions() as session:
        reward = (
            await session.execute(select(Reward).where(Reward.name_zh == "食用油 5 升"))
        ).scalar_one()
    assert (reward.price_points, reward.stock, reward.limit_per_month, reward.limit_per_day) == (
        80,
        12,
        2,
        None,
    )
    assert reward.valid_from is not None
    assert reward.valid_from.replace(tzinfo=None).isoformat() == "2026-02-01T01:00:00"
    page = await admin.get(f"{a}/rewards/{reward.id}")
    assert 'value="2026-02-01T09:00"' in page.text
    assert "可兑换" in page.text
    edited = await post(
        admin,
        f"{a}/rewards/{reward.id}",
        form="reward",
        name_zh="食用油 5 升",
        price_points=80,
        stock="",
        limit_per_month=2,
        valid_from="2026-02-01T09:00",
        valid_until="2026-12-31T18:00",
        active="yes",
    )
    assert edited.status_code == 303
    assert (await scene.read(Reward, reward.id)).stock is None
    withdrawn = await post(admin, f"{a}/rewards/{reward.id}/withdraw")
    assert withdrawn.headers["location"] == f"{a}/rewards/{reward.id}?done=withdrawn"
    assert (await scene.read(Reward, reward.id)).active is False
    listed = await admin.get(a + "/rewards")
    assert f'data-reward="{reward.id}" data-state="withdrawn"' in listed.text


async def test_reward_refusals_change_nothing(scene: Scene) -> None:
    """A zero price, an end before the start, a malformed date and another community's shop
    are refused with their codes; an edit that is refused leaves the reward as it was."""
    admin = await scene.client("admin")
    a = base(scene)
    shop = scene.world.shop.id
    rewards = await count(scene.db, Reward)
    for fields, status, code in (
        ({"shop_id": shop, "price_points": 0}, 400, "invalid_input"),
        (
            {
                "shop_id": shop,
                "price_points": 5,
                "valid_from": "2026-05-01T00:00",
                "valid_until": "2026-04-01T00:00",
            },
            400,
            "invalid_input",
        ),
        ({"shop_id": shop, "price_points": 5, "valid_from": "next week"}, 400, "invalid_input"),
        ({"shop_id": scene.world.other_shop.id, "price_points": 5}, 404, "not_found"),
    ):
        response = await post(admin, a + "/rewards", form="new-reward", name_zh="皂", **fields)
        assert response.status_code == status, fields
        assert refusal_code(response.text) == code
    assert await count(scene.db, Reward) == rewards
    async with scene.db.sessions.begin() as session:
        reward = await catalogue.create_reward(
            session,
            community_id=scene.community_id,
            shop_id=shop or 0,
            fields={"name_zh": "牙膏", "price_points": 6, "stock": 3},
            now=FIXED_NOW,
        )
    refused = await post(
        admin, f"{a}/rewards/{reward.id}", form="reward", name_zh="牙膏", price_points=-1, stock=9
    )
    assert refused.status_code == 400
    assert 'value="-1"' in refused.text
    after = await scene.read(Reward, reward.id)
    assert (after.price_points, after.stock) == (6, 3)
    foreign = await post(admin, f"{base(scene, other=True)}/rewards/{reward.id}/withdraw")
    assert foreign.status_code == 404
