"""The whole path through HTTP on both databases: event, QR image, scan, approval, ledger."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta
from urllib.parse import urlsplit

import PIL.Image
import zxingcpp

from checkin import rulesets
from ledger.verify import verify_ledger
from tests.checkin.helpers import Scene


async def test_qr_to_verified_credit(scene: Scene) -> None:
    """A captain's event QR decodes to a URL that a volunteer opens and posts, the captain
    approves, the volunteer's history shows the credit, and the chain verifies."""
    world, now = scene.world, scene.clock.now
    async with world.client("captain") as captain:
        created = await captain.post(
            f"/api/v1/teams/{world.team.id}/events",
            json={
                "activity_id": "new_year_banquet",
                "title": "坝坝席迎新年",
                "place": "3 号楼前",
                "starts_at": now.isoformat(),
                "ends_at": (now + timedelta(hours=2)).isoformat(),
                "capacity": 30,
            },
        )
        assert created.status_code == 201, created.text
        event_id = created.json()["id"]
        assert created.json()["state"] == "scheduled"
        opened = await captain.post(f"/api/v1/events/{event_id}/open")
        assert opened.json()["state"] == "open"
        image = await captain.get(f"/api/v1/events/{event_id}/code.png")
        assert image.headers["content-type"] == "image/png"
        shown = (await captain.get(f"/api/v1/events/{event_id}/code")).json()
    [decoded] = zxingcpp.read_barcodes(PIL.Image.open(io.BytesIO(image.content)))
    assert decoded.text == shown["url"]
    path = urlsplit(decoded.text).path
    token = path.removeprefix("/c/")

    scene.clock.advance(seconds=20)
    async with world.client("resident") as volunteer:
        preview = await volunteer.get(f"/api/v1/checkin-codes/{token}")
        assert preview.status_code == 200, preview.text
        assert preview.json()["event"]["id"] == event_id
        assert preview.json()["logged_in"] is True
        checked_in = await volunteer.post(preview.json()["check_in_path"], json={"token": token})
        assert checked_in.status_code == 201, checked_in.text
        assert checked_in.json()["state"] == "pending"
        again = await volunteer.post("/api/v1/checkins", json={"token": token})
        assert again.status_code == 200
        assert again.json()["existing"] is True
        assert again.json()["id"] == checked_in.json()["id"]
    checkin_id = checked_in.json()["id"]

    scene.clock.advance(hours=2)
    async with world.client("captain") as captain:
        pending = (await captain.get("/api/v1/approvals/pending")).json()["items"]
        assert [p["id"] for p in pending] == [checkin_id]
        approved = await captain.post(f"/api/v1/checkins/{checkin_id}/approve")
        assert approved.status_code == 200, approved.text
    # 30 base + 4 x 10 for 120 minutes + 20 first time = 90, cut to the 80-point day cap.
    assert approved.json()["points"] == 80
    assert "80" in approved.json()["explanation_en"]

    async with world.client("resident") as volunteer:
        [credit] = (await volunteer.get("/api/v1/me/history")).json()["items"]
        balance = (await volunteer.get("/api/v1/me/balance")).json()
        [mine] = (await volunteer.get("/api/v1/me/checkins")).json()["items"]
    assert credit["kind"] == "checkin.credit"
    assert credit["debit"] == "issuance"
    assert credit["credit"] == world.people["resident"].account
    assert credit["amount"] == 80
    assert credit["ref"] == f"checkin/{checkin_id}"
    assert credit["meta"] == {
        "checkin": checkin_id,
        "token_sha256": hashlib.sha256(token.encode()).hexdigest(),
        "approver": world.people["captain"].account,
        "rules": rulesets.default_ruleset().hash,
    }
    assert balance["available_points"] == 80
    assert mine["state"] == "approved"
    assert mine["explanation_zh"]
    assert mine["ledger_seq"] == credit["seq"]

    async with world.client() as anyone:
        text = await anyone.get(f"/api/v1/rulesets/{credit['meta']['rules']}")
    assert text.json()["text"] == rulesets.default_text()

    report = await verify_ledger(database_url=world.db.url, ledger=world.community.ledger_id)
    assert report.ok, report.faults
    assert report.size == 1
