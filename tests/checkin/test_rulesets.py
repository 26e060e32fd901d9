"""Rule sets in the database: check, upload, activate, simulate, texts by hash, history."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from checkin import rulesets
from checkin.errors import RulesetNotFound
from rules import RulesetInvalid, UnknownActivity
from tests.checkin.helpers import Scene

SPRING = """\
# Spring rules: banquets count for more.
[ruleset]
id = "spring"
version = 2
name_zh = "春季规则"
name_en = "Spring rules"

[activities.new_year_banquet]
name_zh = "坝坝席迎新年"
name_en = "New Year neighbourhood banquet"
base_points = 100

[activities.safety_patrol]
name_zh = "安全巡逻"
name_en = "Safety patrol"
base_points = 5
requires_checkout = true
"""
# The same meaning, written differently: the same hash, so the same version.
SPRING_REFORMATTED = SPRING.replace("# Spring rules: banquets count for more.\n", "").replace(
    "base_points = 100", "base_points   =   1_00"
)
BAD = SPRING.replace("base_points = 100", "base_points = 1.5")


async def _upload(client: AsyncTestClient[Any], scene: Scene, text: str) -> Any:
    return await client.post(
        f"/api/v1/communities/{scene.community.id}/rulesets",
        json={"text": text, "file_name": "spring.toml"},
    )


async def test_check_names_file_line_and_key(scene: Scene) -> None:
    """An invalid rule set is refused with ruleset_invalid naming the file, line and key,
    and nothing is stored."""
    async with scene.world.client("admin") as admin:
        checked = await admin.post(
            f"/api/v1/communities/{scene.community.id}/rulesets/check",
            json={"text": BAD, "file_name": "spring.toml"},
        )
        uploaded = await _upload(admin, scene, BAD)
        listed = (await admin.get(f"/api/v1/communities/{scene.community.id}/rulesets")).json()
    for refused in (checked, uploaded):
        assert refused.status_code == 400
        problem = refused.json()
        assert problem["code"] == "ruleset_invalid"
        assert problem["file"] == "spring.toml"
        assert problem["line"] == 11
        assert problem["key"] == "activities.new_year_banquet.base_points"
        assert "float" in problem["problem"]
    assert [v["version"] for v in listed] == [None]


async def test_upload_then_activate(scene: Scene) -> None:
    """An upload is version 1 and inactive; activation makes it the rule set in force; the
    same meaning uploaded again is the same version."""
    async with scene.world.client("admin") as admin:
        uploaded = await _upload(admin, scene, SPRING)
        assert uploaded.status_code == 201, uploaded.text
        assert uploaded.json()["version"] == 1
        assert uploaded.json()["active"] is False
        again = await _upload(admin, scene, SPRING_REFORMATTED)
        assert again.json()["version"] == 1
        base = f"/api/v1/communities/{scene.community.id}/rulesets"
        before = (await admin.get(base + "/active")).json()
        activated = await admin.post(base + "/1/activate")
        after = (await admin.get(base + "/active")).json()
        listed = (await admin.get(base)).json()
        missing = await admin.post(base + "/7/activate")
    assert before["hash"] == rulesets.default_ruleset().hash
    assert activated.json()["active"] is True
    assert after["hash"] == uploaded.json()["hash"]
    assert [a["activity_id"] for a in after["activities"]] == ["new_year_banquet", "safety_patrol"]
    assert [(v["version"], v["active"]) for v in listed] == [(1, True), (None, False)]
    assert (missing.status_code, missing.json()["code"]) == (404, "ruleset_not_found")


@pytest.mark.parametrize(
    ("role", "path", "method", "status"),
    [
        ("captain", "", "post", 403),
        ("other_admin", "", "post", 404),
        ("auditor", "", "get", 200),
        ("resident", "", "get", 403),
        ("resident", "/active", "get", 200),
        ("other_resident", "/active", "get", 404),
    ],
)
async def test_who_may_do_what_with_rule_sets(
    scene: Scene, role: str, path: str, method: str, status: int
) -> None:
    """Admins upload; admins and auditors list; members read the active rule set of their
    own community only."""
    url = f"/api/v1/communities/{scene.community.id}/rulesets{path}"
    async with scene.world.client(role) as client:
        if method == "post":
            answer = await client.post(url, json={"text": SPRING})
        else:
            answer = await client.get(url)
    assert answer.status_code == status, answer.text


async def test_a_new_rule_set_changes_no_past_credit(scene: Scene) -> None:
    """Credits keep the points and hash they were given; new approvals use the rule set in
    force, and both texts stay fetchable by hash by anyone."""
    first = await scene.event()
    old = (await scene.scan("resident", await scene.code(first))).checkin
    credited = await scene.approve("captain", old.id or 0)
    async with scene.world.client("admin") as admin:
        version = (await _upload(admin, scene, SPRING)).json()
        await admin.post(f"/api/v1/communities/{scene.community.id}/rulesets/1/activate")
    scene.clock.advance(days=1)
    second = await scene.event()
    new = (await scene.scan("resident", await scene.code(second))).checkin
    recredited = await scene.approve("captain", new.id or 0)
    unchanged = await scene.checkin(old.id or 0)
    assert (unchanged.points, unchanged.ruleset_hash) == (80, credited.ruleset_hash)
    assert unchanged.ledger_seq == credited.ledger_seq
    assert recredited.ruleset_hash == version["hash"]
    assert recredited.points == 100
    async with scene.world.client() as anyone:
        for ruleset_hash, text in (
            (credited.ruleset_hash, rulesets.default_text()),
            (version["hash"], SPRING),
        ):
            fetched = await anyone.get(f"/api/v1/rulesets/{ruleset_hash}")
            assert fetched.json() == {"hash": ruleset_hash, "text": text}
        unknown = await anyone.get(f"/api/v1/rulesets/{'0' * 64}")
        garbage = await anyone.get("/api/v1/rulesets/not-a-hash")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "ruleset_not_found")
    assert garbage.status_code == 404


async def test_simulation_shows_what_a_draft_would_award(scene: Scene) -> None:
    """Simulating a draft over approved check-ins since a date lists each beside what it got."""
    event = await scene.event()
    checkin = (await scene.scan("resident", await scene.code(event))).checkin
    await scene.approve("captain", checkin.id or 0)
    base = f"/api/v1/communities/{scene.community.id}/rulesets"
    async with scene.world.client("admin") as admin:
        await _upload(admin, scene, SPRING)
        simulated = await admin.get(base + "/1/simulation", params={"since": "2026-03-01"})
        later = await admin.get(base + "/1/simulation", params={"since": "2026-03-02"})
    assert simulated.status_code == 200, simulated.text
    body = simulated.json()
    assert body["rows"] == [
        {
            "checkin_id": checkin.id,
            "member_id": scene.member_id("resident"),
            "awarded_points": 80,
            "would_award_points": 100,
            "difference_points": 20,
            "unknown_activity": False,
        }
    ]
    assert body["difference_total_points"] == 20
    assert later.json()["rows"] == []


async def test_activities_outside_the_active_rule_set(scene: Scene) -> None:
    """Once the active rule set lacks an activity, no event of it can be created, and a
    pending check-in of it is refused at approval with unknown_activity, unchanged."""
    pending = await scene.event(activity_id="legal_aid_day")
    checkin = (await scene.scan("resident", await scene.code(pending))).checkin
    async with scene.sessions.begin() as session:
        await rulesets.upload(
            session,
            community_id=scene.community.id or 0,
            text=SPRING,
            file_name="spring.toml",
            uploaded_by=scene.member_id("admin"),
            now=scene.clock.now,
        )
        await rulesets.activate(
            session,
            community_id=scene.community.id or 0,
            number=1,
            activated_by=None,
            now=scene.clock.now,
        )
    before = await scene.snapshot()
    with pytest.raises(UnknownActivity):
        await scene.approve("captain", checkin.id or 0)
    assert await scene.snapshot() == before
    with pytest.raises(Exception, match="activity_id"):
        await scene.event(activity_id="legal_aid_day")


async def test_texts_and_versions_are_checked_in_the_use_cases(scene: Scene) -> None:
    """check refuses over-long text; a missing version and an unknown hash are
    ruleset_not_found."""
    with pytest.raises(RulesetInvalid):
        rulesets.check("#" * (rulesets.MAX_TEXT_CHARS + 1), file_name="huge.toml")
    async with scene.sessions() as session:
        with pytest.raises(RulesetNotFound):
            await rulesets.version(session, community_id=scene.community.id or 0, number=3)
        with pytest.raises(RulesetNotFound):
            await rulesets.by_hash(session, ruleset_hash="f" * 64)
