"""Redemption over HTTP: the resident, the clerk and the admin, end to end."""

from __future__ import annotations

import csv
import io
from typing import Any

import zxingcpp
from PIL import Image

from redemption.policy import set_shop_policy
from tests.redemption.conftest import HOLD_TTL_SECONDS, Front


def _rewards(front: Front) -> str:
    return f"/api/v1/communities/{front.community.id}/rewards"


async def _create_reward(front: Front, **fields: Any) -> dict[str, Any]:
    body = {"shop_id": front.shop.id, "name_zh": "食用油", "name_en": "Cooking oil"}
    body.update({"price_points": 30, "stock": 2, **fields})
    async with front.world.client("admin") as admin:
        response = await admin.post(_rewards(front), json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_resident_redeems_and_clerk_confirms(front: Front) -> None:
    """Admin lists a reward; the resident sees it, shows a QR code; the clerk scans the URL
    decoded from the image and confirms; balances, stock and history follow."""
    await front.fund(front.member(), 50)
    reward = await _create_reward(front)
    async with front.world.client("resident") as resident:
        offered = (await resident.get("/api/v1/me/rewards")).json()
        assert offered["available_points"] == 50
        assert [item["reward"]["id"] for item in offered["items"]] == [reward["id"]]
        issued = await resident.post(
            "/api/v1/me/redemption-codes", json={"reward_id": reward["id"]}
        )
        assert issued.status_code == 201, issued.text
        code = issued.json()
        assert code["url"] == f"http://127.0.0.1:8000/r/{code['code']}"
        png = await resident.get(code["qr_png"])
        svg = await resident.get(code["qr_svg"])
    assert png.headers["content-type"] == "image/png"
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in svg.content
    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))
    assert decoded.text == code["url"]
    async with front.world.client("clerk") as clerk:
        scanned = await clerk.post(
            f"/api/v1/shops/{front.shop.id}/scans", json={"code": decoded.text}
        )
        assert scanned.status_code == 201, scanned.text
        held = scanned.json()
        assert (held["state"], held["amount_points"]) == ("held", 30)
        async with front.world.client("resident") as resident:
            balance = (await resident.get("/api/v1/me/balance")).json()
        assert (balance["balance_points"], balance["held_points"]) == (50, 30)
        path = f"/api/v1/shops/{front.shop.id}/redemptions/{held['id']}"
        confirmed = await clerk.post(f"{path}/commit")
        assert confirmed.status_code == 200, confirmed.text
        assert confirmed.json()["state"] == "committed"
        again = await clerk.post(f"{path}/commit")
        assert again.json() == confirmed.json()
        cancel = await clerk.post(f"{path}/void")
        assert (cancel.status_code, cancel.json()["code"]) == (409, "hold_already_resolved")
        today = await clerk.get(
            f"/api/v1/shops/{front.shop.id}/redemptions", params={"on": "2026-03-01"}
        )
        assert [r["id"] for r in today.json()] == [held["id"]]
    async with front.world.client("resident") as resident:
        mine = (await resident.get("/api/v1/me/redemptions")).json()
        balance = (await resident.get("/api/v1/me/balance")).json()
    assert [(i["redemption"]["state"], i["reward_name_en"]) for i in mine["items"]] == [
        ("committed", "Cooking oil")
    ]
    assert balance == {"balance_points": 20, "held_points": 0, "available_points": 20}
    assert await front.stock_of(reward["id"]) == 1


async def test_refund_and_settlement_through_the_statement(front: Front) -> None:
    """The clerk asks for a refund, the admin approves it and records a settlement; the
    statement in JSON and CSV shows all three and adds up."""
    await front.fund(front.member(), 100)
    reward = await _create_reward(front, price_points=40, stock=None)
    done = await front.redeem(await front.reward_row(reward["id"]))
    await front.redeem(await front.reward_row(reward["id"]))
    shop = f"/api/v1/shops/{front.shop.id}"
    community = f"/api/v1/communities/{front.community.id}"
    async with front.world.client("clerk") as clerk:
        asked = await clerk.post(
            f"{shop}/redemptions/{done.id}/refund-request", json={"reason": "坏了"}
        )
    assert asked.status_code == 201, asked.text
    async with front.world.client("admin") as admin:
        waiting = (await admin.get(f"{community}/refunds", params={"state": "requested"})).json()
        assert [r["id"] for r in waiting] == [asked.json()["id"]]
        approved = await admin.post(f"{community}/refunds/{asked.json()['id']}/approve", json={})
        assert approved.json()["state"] == "approved"
        settled = await admin.post(
            f"{community}/shops/{front.shop.id}/settlements",
            json={"amount_points": 30, "reference": "2026-03"},
        )
        assert settled.status_code == 201, settled.text
    period = {"from": "2026-03-01", "to": "2026-03-31"}
    async with front.world.client("auditor") as auditor:
        found = (await auditor.get(f"{shop}/statement", params=period)).json()
        as_csv = await auditor.get(f"{shop}/statement.csv", params=period)
    assert (found["redeemed_points"], found["refunded_points"], found["settled_points"]) == (
        80,
        40,
        30,
    )
    assert (found["opening_balance_points"], found["closing_balance_points"]) == (0, 10)
    assert found["received_points"] == 40
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text.removeprefix("\ufeff"))))
    assert [r["kind"] for r in rows] == [
        "opening_balance",
        "redemption",
        "redemption",
        "refund",
        "settlement",
        "closing_balance",
    ]
    assert await front.balance(front.shop) == (10, 0)


async def test_refusals_are_problem_details_with_their_code(front: Front) -> None:
    """A garbled code is 400 code_malformed; an expired one 409 code_expired; in English
    when asked."""
    await front.fund(front.member(), 50)
    reward = await front.add_reward(price_points=5)
    token = await front.code(reward=reward)
    front.clock.advance(120)
    scans = f"/api/v1/shops/{front.shop.id}/scans"
    async with front.world.client("clerk") as clerk:
        garbled = await clerk.post(scans, json={"code": "not-a-code"})
        expired = await clerk.post(scans, json={"code": token}, headers={"accept-language": "en"})
    assert (garbled.status_code, garbled.json()["code"]) == (400, "code_malformed")
    assert (expired.status_code, expired.json()["code"]) == (409, "code_expired")
    assert expired.json()["title"] == "This redemption code has expired; show a new one."
    assert expired.json()["message_zh"] == "兑换码已过期。请重新生成。"


async def test_issuing_a_code_refuses_what_a_scan_would(front: Front) -> None:
    """Asking for a code the resident cannot afford is refused at once, with nothing signed."""
    await front.fund(front.member(), 5)
    reward = await _create_reward(front, price_points=30)
    async with front.world.client("resident") as resident:
        refused = await resident.post(
            "/api/v1/me/redemption-codes", json={"reward_id": reward["id"]}
        )
        both = await resident.post("/api/v1/me/redemption-codes", json={"shop_id": front.shop.id})
        affordable = (await resident.get("/api/v1/me/rewards")).json()
        everything = (
            await resident.get("/api/v1/me/rewards", params={"affordable_only": "false"})
        ).json()
    assert (refused.status_code, refused.json()["code"]) == (409, "insufficient_points")
    assert (both.status_code, both.json()["code"]) == (400, "invalid_input")
    assert affordable["items"] == []
    assert [i["affordable"] for i in everything["items"]] == [False]


async def test_a_held_redemption_past_its_time_shows_expired(front: Front) -> None:
    """Before any job runs, a hold past its expiry is shown expired and not held."""
    await front.fund(front.member(), 50)
    await front.scan(await front.code(reward=await front.add_reward(price_points=20)))
    front.clock.advance(HOLD_TTL_SECONDS)
    async with front.world.client("resident") as resident:
        mine = (await resident.get("/api/v1/me/redemptions")).json()
        balance = (await resident.get("/api/v1/me/balance")).json()
    assert mine["items"][0]["redemption"]["state"] == "expired"
    assert balance["held_points"] == 0


async def test_catalogue_administration(front: Front) -> None:
    """Admins change and withdraw rewards and set the shop's free amount; bad input is 400."""
    reward = await _create_reward(front)
    path = f"{_rewards(front)}/{reward['id']}"
    settings = f"/api/v1/communities/{front.community.id}/shops/{front.shop.id}/redemption-settings"
    async with front.world.client("admin") as admin:
        changed = (await admin.patch(path, json={"stock": None, "limit_per_day": 1})).json()
        assert (changed["stock"], changed["limit_per_day"], changed["price_points"]) == (
            None,
            1,
            30,
        )
        backwards = await admin.patch(
            path, json={"valid_from": "2026-04-01T00:00:00Z", "valid_until": "2026-03-01T00:00:00Z"}
        )
        owned = await admin.post(
            _rewards(front),
            json={"shop_id": front.shop.id, "name_zh": "x", "price_points": 1, "community_id": 9},
        )
        withdrawn = (await admin.delete(path)).json()
        shop = (
            await admin.put(settings, json={"is_supermarket": True, "free_amount_max_points": 20})
        ).json()
    assert (backwards.status_code, backwards.json()["code"]) == (400, "invalid_input")
    assert (owned.status_code, owned.json()["code"]) == (400, "invalid_input")
    assert withdrawn["active"] is False
    assert shop == {"shop_id": front.shop.id, "is_supermarket": True, "free_amount_max_points": 20}
    async with front.world.client("resident") as resident:
        shops = (await resident.get("/api/v1/me/redemption-shops")).json()
        offered = (
            await resident.get("/api/v1/me/rewards", params={"affordable_only": "false"})
        ).json()
    mine = next(s for s in shops if s["shop_id"] == front.shop.id)
    assert (mine["is_supermarket"], mine["free_amount_max_points"]) == (True, 20)
    assert offered["items"] == []  # the only reward was withdrawn


async def test_free_amount_over_http(front: Front) -> None:
    """A resident asks for a free-amount code for a shop that takes them; the clerk holds it."""
    await front.fund(front.member(), 50)
    async with front.db.sessions.begin() as session:
        await set_shop_policy(
            session, shop=front.shop, is_supermarket=False, free_amount_max_points=25
        )
    async with front.world.client("resident") as resident:
        issued = await resident.post(
            "/api/v1/me/redemption-codes", json={"shop_id": front.shop.id, "amount_points": 12}
        )
        too_much = await resident.post(
            "/api/v1/me/redemption-codes", json={"shop_id": front.shop.id, "amount_points": 26}
        )
    assert issued.status_code == 201, issued.text
    assert too_much.json()["code"] == "free_amount_too_large"
    async with front.world.client("clerk") as clerk:
        held = await clerk.post(
            f"/api/v1/shops/{front.shop.id}/scans", json={"code": issued.json()["code"]}
        )
    assert (held.json()["amount_points"], held.json()["reward_id"]) == (12, None)
