"""The check-in API's answers: statuses, bilingual problems, access, and the lists."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.checkin.helpers import Scene


@pytest.mark.parametrize(
    ("token", "status", "code"),
    [
        ("x" * 10, 400, "token_malformed"),
        ("A" * 1001, 400, "invalid_input"),  # refused by the body's bound, not a scan
    ],
)
async def test_bad_scans_are_problems_in_both_languages(
    scene: Scene, token: str, status: int, code: str
) -> None:
    """A refused scan is a problem with its code and both messages, in the asked language."""
    async with scene.world.client("resident") as client:
        answer = await client.post(
            "/api/v1/checkins", json={"token": token}, headers={"accept-language": "en"}
        )
    assert answer.status_code == status
    assert answer.json()["code"] == code
    if code == "token_malformed":
        assert answer.json()["title"] == "This is not a Jifen code."
        assert answer.json()["message_zh"] == "这不是有效的积分二维码。"


async def test_statuses_of_scan_refusals(scene: Scene) -> None:
    """wrong_community and not_team_member are 403; state conflicts are 409."""
    event = await scene.event(open_to="team")
    token = await scene.code(event)
    await scene.add_member("neighbour", in_team=False)
    async with scene.world.client("other_resident") as stranger:
        wrong = await stranger.post("/api/v1/checkins", json={"token": token})
    async with scene.world.client("neighbour") as neighbour:
        outsider = await neighbour.post("/api/v1/checkins", json={"token": token})
        scene.clock.advance(minutes=5)
        late = await neighbour.post("/api/v1/checkins", json={"token": token})
    assert (wrong.status_code, wrong.json()["code"]) == (403, "wrong_community")
    assert (outsider.status_code, outsider.json()["code"]) == (403, "not_team_member")
    assert (late.status_code, late.json()["code"]) == (409, "token_expired")


async def test_refusals_are_listed_for_captains_and_admins(scene: Scene) -> None:
    """The event's captain and the community's admin read its refusals; a member cannot."""
    event = await scene.event(open_to="team")
    await scene.add_member("neighbour", in_team=False)
    token = await scene.code(event)
    async with scene.world.client("neighbour") as neighbour:
        await neighbour.post("/api/v1/checkins", json={"token": token})
        await neighbour.post("/api/v1/checkins", json={"token": "junk"})
    async with scene.world.client("captain") as captain:
        at_event = (await captain.get(f"/api/v1/events/{event.id}/refusals")).json()["items"]
    async with scene.world.client("admin") as admin:
        filed = await admin.get(f"/api/v1/communities/{scene.community.id}/scan-refusals")
    async with scene.world.client("resident") as resident:
        hidden = await resident.get(f"/api/v1/events/{event.id}/refusals")
    assert [(r["code"], r["actor_id"]) for r in at_event] == [
        ("not_team_member", scene.member_id("neighbour"))
    ]
    assert [r["code"] for r in filed.json()["items"]] == ["token_malformed", "not_team_member"]
    assert hidden.status_code == 404


async def test_the_code_url_previews_the_event_to_anyone(scene: Scene) -> None:
    """Reading a code at /api/v1/checkin-codes/{token} without logging in shows the event
    and where to post the code; a stale code answers its refusal."""
    event = await scene.event()
    token = await scene.code(event)
    async with scene.world.client() as anonymous:
        preview = await anonymous.get(f"/api/v1/checkin-codes/{token}")
        scene.clock.advance(minutes=2)
        stale = await anonymous.get(f"/api/v1/checkin-codes/{token}")
    assert preview.status_code == 200
    assert preview.json()["logged_in"] is False
    assert preview.json()["event"]["title"] == "坝坝席迎新年"
    assert preview.json()["check_in_path"] == "/api/v1/checkins"
    assert stale.json()["code"] == "token_expired"


async def test_personal_and_offline_scans_over_http(scene: Scene) -> None:
    """A captain scans a printed code, then uploads the same scan offline twice: one
    check-in, answered as recorded, then existing, then replayed."""
    event = await scene.event()
    async with scene.world.client("captain") as captain:
        printed = await captain.post(
            f"/api/v1/members/{scene.member_id('resident')}/personal-codes",
            json={"ttl_seconds": 3600},
        )
        code = printed.json()["code"]
        scanned = await captain.post(
            f"/api/v1/events/{event.id}/personal-scans", json={"code": code}
        )
        item = {
            "nonce": "n-0001-abcd",
            "code": code,
            "scanned_at": (scene.clock.now + timedelta(minutes=1)).isoformat(),
        }
        first = await captain.post(
            f"/api/v1/events/{event.id}/offline-scans", json={"scans": [item]}
        )
        again = await captain.post(
            f"/api/v1/events/{event.id}/offline-scans", json={"scans": [item]}
        )
    assert printed.status_code == 201
    assert scanned.status_code == 201, scanned.text
    assert scanned.json()["method"] == "personal"
    assert [(o["outcome"], o["replayed"]) for o in first.json()] == [("existing", False)]
    assert [(o["outcome"], o["replayed"]) for o in again.json()] == [("existing", True)]
    assert again.json()[0]["checkin"]["id"] == scanned.json()["id"]


async def test_my_own_personal_code_checks_me_in(scene: Scene) -> None:
    """A member asks for their own code; the captain's scan of it checks them in."""
    event = await scene.event()
    async with scene.world.client("resident") as resident:
        mine = await resident.post("/api/v1/me/personal-codes", json={})
    async with scene.world.client("captain") as captain:
        scanned = await captain.post(
            f"/api/v1/events/{event.id}/personal-scans", json={"code": mine.json()["code"]}
        )
    assert mine.json()["member_id"] == scene.member_id("resident")
    assert scanned.json()["member_id"] == scene.member_id("resident")


async def test_decisions_over_http(scene: Scene) -> None:
    """Bulk approval answers per id; self-approval is 403; another community's admin gets
    404; a reversal is for admins only."""
    event = await scene.event(by="admin")
    token = await scene.code(event)
    own = (await scene.scan("captain", token)).checkin.id
    theirs = (await scene.scan("resident", token)).checkin.id
    async with scene.world.client("other_admin") as other:
        foreign = await other.post(f"/api/v1/checkins/{theirs}/approve")
    async with scene.world.client("captain") as captain:
        single_own = await captain.post(f"/api/v1/checkins/{own}/approve")
        bulk = await captain.post("/api/v1/approvals/approve", json={"checkin_ids": [own, theirs]})
        reverse_by_captain = await captain.post(
            f"/api/v1/checkins/{theirs}/reverse", json={"reason": "错"}
        )
    async with scene.world.client("admin") as admin:
        rejected = await admin.post(
            "/api/v1/approvals/reject", json={"checkin_ids": [own], "reason": "未到场"}
        )
        reversed_ = await admin.post(f"/api/v1/checkins/{theirs}/reverse", json={"reason": "错"})
    assert (foreign.status_code, foreign.json()["code"]) == (404, "not_found")
    assert (single_own.status_code, single_own.json()["code"]) == (403, "self_approval")
    assert [(i["checkin_id"], i["ok"], i["code"]) for i in bulk.json()] == [
        (own, False, "self_approval"),
        (theirs, True, None),
    ]
    assert reverse_by_captain.status_code == 403
    assert rejected.json()[0]["checkin"]["state"] == "rejected"
    assert reversed_.json()["state"] == "reversed"
    assert reversed_.json()["reversal_seq"] is not None
    async with scene.world.client("resident") as resident:
        [mine] = (await resident.get("/api/v1/me/checkins")).json()["items"]
        balance = (await resident.get("/api/v1/me/balance")).json()
    assert mine["state"] == "reversed"
    assert mine["event_title"] == "坝坝席迎新年"
    assert balance["balance_points"] == 0


async def test_event_checkins_list_who_checked_in(scene: Scene) -> None:
    """The captain lists an event's check-ins with names; a member cannot."""
    event = await scene.event()
    await scene.scan("resident", await scene.code(event))
    async with scene.world.client("captain") as captain:
        listed = (await captain.get(f"/api/v1/events/{event.id}/checkins")).json()["items"]
    async with scene.world.client("resident") as resident:
        hidden = await resident.get(f"/api/v1/events/{event.id}/checkins")
    assert [c["member_name"] for c in listed] == [scene.world.people["resident"].display_name]
    assert hidden.status_code == 404
