"""Refusals of the volunteer's check-in pages and of the captain's scan page, on both backends.

A refused check-out (`POST /c/{token}/checkout`), check-in (`GET /c/{token}`) or personal-code
scan (`POST /captain/scan`) shows the refusal with its stable code and changes nothing: no
check-in, check-out, place or ledger entry. Scans that reach the use case are filed in the
refusal record exactly once each (who, which action, which event and whose code, when known);
refusals made before any scan runs (a stranger's preview of a venue code, a scan form without
an event, a resident posting to the captain's page) file nothing.
"""

# Chinese text takes full-width punctuation.
# ruff: noqa: RUF001

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from api.web.captain_common import MAX_ID
from checkin import tokens
from checkin.models import PENDING, REJECTED, Checkin, Event, ScanRefusal
from checkin.times import bucket_of, unix_seconds
from ledger.keys import KeyStore
from tests.api import test_checkin_pages
from tests.api.test_checkin_pages import (
    ENGLISH,
    Client,
    checkin_of,
    data_of,
    form,
    open_code,
    refusal_code,
)
from tests.checkin.helpers import TTL_SECONDS, Scene, Snapshot

NO_SUCH_EVENT = MAX_ID  # a valid id that no test makes
NONCE = b"\0" * tokens.NONCE_BYTES


scene = test_checkin_pages.scene


@dataclass(frozen=True)
class State:
    """Everything a scan could change: the helpers' counts and every check-in and event
    row (a check-out only sets `checked_out_at`, which the counts do not show)."""

    counts: Snapshot
    checkins: tuple[dict[str, Any], ...]
    events: tuple[dict[str, Any], ...]


async def state_of(scene: Scene) -> State:
    ids = (scene.world.community.id, scene.world.other.id)
    counts = await scene.snapshot()  # before this session: on SQLite each takes the lock
    async with scene.sessions() as session:
        checkins = await session.execute(
            select(Checkin).where(col(Checkin.community_id).in_(ids)).order_by(col(Checkin.id))
        )
        found_events = await session.execute(
            select(Event).where(col(Event.community_id).in_(ids)).order_by(col(Event.id))
        )
        return State(
            counts,
            tuple(c.model_dump() for c in checkins.scalars()),
            tuple(e.model_dump() for e in found_events.scalars()),
        )


@dataclass(frozen=True)
class Watch:
    """The state and the refusal record before a refused call."""

    scene: Scene
    before: State
    known: int

    async def unchanged(self) -> bool:
        return await state_of(self.scene) == self.before

    async def filed(self) -> list[ScanRefusal]:
        """Refusals filed since the watch began."""
        return (await self.scene.refusals())[self.known :]


async def watch(scene: Scene) -> Watch:
    return Watch(scene, await state_of(scene), len(await scene.refusals()))


def what(record: ScanRefusal) -> tuple[str, str, int | None, int, int | None, int]:
    """A refusal record as (code, action, event, actor, subject, community)."""
    return (
        record.code,
        record.action,
        record.event_id,
        record.actor_id,
        record.subject_id,
        record.community_id,
    )


def altered(code: str) -> str:
    """The code with the low bit of its event or member id flipped: a bad signature."""
    raw = bytearray(base64.urlsafe_b64decode(code + "=" * (-len(code) % 4)))
    raw[13] ^= 1
    return base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


def checkout_action(text: str) -> str:
    """The check-out button's form action on a check-in page."""
    found = re.search(r'<form method="post" action="(/c/[^"]+/checkout)"', text)
    assert found is not None, text
    return found.group(1)


# The volunteer's check-out.


async def test_checking_out_without_a_check_in_is_refused(scene: Scene) -> None:
    """Pressing check-out for a patrol I never checked in to is refused with not_checked_in
    in either language; no check-in is made and each attempt is filed against the patrol."""
    event = await scene.event(activity_id="safety_patrol")
    token = await scene.code(event)
    resident = scene.member_id("resident")
    async with scene.world.client("resident") as client:
        watched = await watch(scene)
        refused = await client.post(f"/c/{token}/checkout", data=form(client))
        english = await client.post(f"/c/{token}/checkout", data=form(client), headers=ENGLISH)
    assert (refused.status_code, refusal_code(refused.text)) == (409, "not_checked_in")
    assert "签到未成功" in refused.text
    assert "尚未签到，无法签退。" in refused.text
    assert (english.status_code, refusal_code(english.text)) == (409, "not_checked_in")
    assert "There is no check-in to check out of." in english.text
    assert refused.headers["cache-control"] == "no-store"
    assert await watched.unchanged()
    assert await checkin_of(scene, "resident", event) is None
    filed = await watched.filed()
    community = scene.community.id
    assert [what(r) for r in filed] == [
        ("not_checked_in", "check_out", event.id, resident, None, community)
    ] * 2
    assert {r.token_sha256 for r in filed} == {tokens.sha256_hex(token)}


async def test_checking_out_of_an_event_without_check_out_is_refused(scene: Scene) -> None:
    """A banquet has no check-out: posting one after checking in is refused with
    checkout_not_required and the check-in stays pending, not checked out."""
    event = await scene.event()
    token = await scene.code(event)
    async with scene.world.client("resident") as client:
        await open_code(client, token)
        scene.clock.advance(seconds=10)
        watched = await watch(scene)
        refused = await client.post(f"/c/{token}/checkout", data=form(client))
    assert (refused.status_code, refusal_code(refused.text)) == (409, "checkout_not_required")
    assert "该活动无需签退。" in refused.text
    assert await watched.unchanged()
    checkin = await checkin_of(scene, "resident", event)
    assert checkin is not None
    assert (checkin.state, checkin.checked_out_at) == (PENDING, None)
    resident = scene.member_id("resident")
    assert [what(r) for r in await watched.filed()] == [
        ("checkout_not_required", "check_out", event.id, resident, None, scene.community.id)
    ]


@pytest.mark.parametrize(
    ("case", "code"),
    [("closed", "event_closed"), ("ended", "event_closed"), ("cancelled", "event_cancelled")],
)
async def test_checking_out_of_a_patrol_that_is_over_is_refused(
    scene: Scene, case: str, code: str
) -> None:
    """Once the captain closed or cancelled the patrol, or its end time passed, the
    check-out is refused with the event's state and records no check-out (closing checks
    everyone out by itself)."""
    event = await scene.event(activity_id="safety_patrol")
    token = await scene.code(event)
    async with scene.world.client("resident") as client:
        await open_code(client, token)
        scene.clock.advance(minutes=5)
        if case == "closed":
            async with scene.world.client("captain") as captain:
                await captain.post(f"/captain/events/{event.id}/close", data=form(captain))
        if case == "cancelled":
            async with scene.world.client("captain") as captain:
                cancel = form(captain, reason="下雨")
                await captain.post(f"/captain/events/{event.id}/cancel", data=cancel)
        if case == "ended":
            scene.clock.advance(hours=2)
            token = await scene.sign(event.id or 0)  # a fresh code: only the event is over
        assert (await scene.reload(event)).state == {"ended": "open"}.get(case, case)
        watched = await watch(scene)
        refused = await client.post(f"/c/{token}/checkout", data=form(client))
    assert (refused.status_code, refusal_code(refused.text)) == (409, code)
    assert await watched.unchanged()
    checkin = await checkin_of(scene, "resident", event)
    assert checkin is not None
    # Closing checks everyone out at the close (auto_closed); nothing else checks out.
    assert (checkin.checked_out_at is not None) == checkin.auto_closed == (case == "closed")
    resident = scene.member_id("resident")
    assert [what(r) for r in await watched.filed()] == [
        (code, "check_out", event.id, resident, None, scene.community.id)
    ]


async def test_checking_out_of_a_rejected_check_in_is_refused(scene: Scene) -> None:
    """After the captain rejected my patrol check-in, the check-out button I still hold is
    refused with not_pending and the check-in stays rejected."""
    event = await scene.event(activity_id="safety_patrol")
    token = await scene.code(event)
    async with scene.world.client("resident") as client:
        await open_code(client, token)
        checkin = await checkin_of(scene, "resident", event)
        assert checkin is not None
        async with scene.world.client("captain") as captain:
            reject = form(captain, reason="未到场")
            await captain.post(f"/captain/checkins/{checkin.id}/reject", data=reject)
        watched = await watch(scene)
        refused = await client.post(f"/c/{token}/checkout", data=form(client))
    assert (refused.status_code, refusal_code(refused.text)) == (409, "not_pending")
    assert await watched.unchanged()
    after = await scene.checkin(checkin.id or 0)
    assert (after.state, after.checked_out_at) == (REJECTED, None)
    resident = scene.member_id("resident")
    assert [what(r) for r in await watched.filed()] == [
        ("not_pending", "check_out", event.id, resident, None, scene.community.id)
    ]


async def test_a_check_out_button_pressed_after_the_grace_is_refused(scene: Scene) -> None:
    """The button carries the code opened at the end; pressed more than ten minutes later
    the code is too old (token_expired) and the patrol is not checked out."""
    event = await scene.event(activity_id="safety_patrol")
    async with scene.world.client("resident") as client:
        await open_code(client, await scene.code(event))
        scene.clock.advance(minutes=90)
        _, second = await open_code(client, await scene.code(event))
        action = checkout_action(second)
        scene.clock.advance(minutes=11)
        watched = await watch(scene)
        refused = await client.post(action, data=form(client))
    assert (refused.status_code, refusal_code(refused.text)) == (409, "token_expired")
    assert "请扫描现场屏幕上的最新二维码" in refused.text
    assert await watched.unchanged()
    checkin = await checkin_of(scene, "resident", event)
    assert checkin is not None
    assert (checkin.state, checkin.checked_out_at) == (PENDING, None)
    resident = scene.member_id("resident")
    assert [what(r) for r in await watched.filed()] == [
        ("token_expired", "check_out", None, resident, None, scene.community.id)
    ]


CODE_CASES = [
    ("malformed", 400, "token_malformed"),
    ("not_yet_valid", 409, "token_not_yet_valid"),
    ("expired", 409, "token_expired"),
    ("bad_signature", 400, "token_bad_signature"),
    ("unknown_key", 400, "token_unknown_key"),
    ("no_such_event", 404, "not_found"),
    ("wrong_community", 403, "wrong_community"),
]


async def venue_code(scene: Scene, event: Event, case: str, tmp_path: Path) -> str:
    """A venue code for `event` that is bad in the way `case` names (a good one for a case
    about who scans it)."""
    event_id = event.id or 0
    if case == "malformed":
        return "not-a-code"
    if case == "bad_signature":
        return altered(await scene.code(event))
    if case == "unknown_key":
        stranger = KeyStore(tmp_path).generate()
        bucket = bucket_of(scene.clock.now, TTL_SECONDS)
        return tokens.sign_event_code(stranger, event_id=event_id, bucket=bucket, nonce=NONCE)
    shift = {"not_yet_valid": 1, "expired": -2}.get(case, 0)
    return await scene.sign(
        NO_SUCH_EVENT if case == "no_such_event" else event_id, bucket_shift=shift
    )


@pytest.mark.parametrize(("case", "status", "code"), CODE_CASES)
async def test_checking_out_with_a_bad_code_is_refused(
    scene: Scene, tmp_path: Path, case: str, status: int, code: str
) -> None:
    """A check-out with a code that is not one, is not valid now, was altered, signed by a
    stranger, names no event or belongs to another community is refused with its code;
    the volunteer's patrol check-in is not checked out."""
    event = await scene.event(activity_id="safety_patrol")
    who = "other_resident" if case == "wrong_community" else "resident"
    await scene.scan("resident", await scene.code(event))
    token = await venue_code(scene, event, case, tmp_path)
    async with scene.world.client(who) as client:
        watched = await watch(scene)
        refused = await client.post(f"/c/{token}/checkout", data=form(client))
    assert (refused.status_code, refusal_code(refused.text)) == (status, code)
    assert "签到未成功" in refused.text
    assert await watched.unchanged()
    checkin = await checkin_of(scene, "resident", event)
    assert checkin is not None
    assert checkin.checked_out_at is None
    home = scene.world.other if who.startswith("other_") else scene.world.community
    assert [what(r) for r in await watched.filed()] == [
        (code, "check_out", None, scene.member_id(who), None, home.id)
    ]


# The volunteer's check-in.


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [c for c in CODE_CASES if c[0] in ("not_yet_valid", "bad_signature", "unknown_key")]
    + [("no_such_event", 404, "not_found")],
)
async def test_more_refused_check_ins_show_their_code(
    scene: Scene, tmp_path: Path, case: str, status: int, code: str
) -> None:
    """A logged-in volunteer opening a code from the future, an altered one, one signed by
    a stranger or one naming no event sees the check-in refusal page with its code; no
    check-in is made and the attempt is filed."""
    event = await scene.event()
    token = await venue_code(scene, event, case, tmp_path)
    async with scene.world.client("resident") as client:
        watched = await watch(scene)
        refused = await client.get(f"/c/{token}", follow_redirects=False)
    assert (refused.status_code, refusal_code(refused.text)) == (status, code)
    assert "签到未成功" in refused.text
    assert await watched.unchanged()
    assert await checkin_of(scene, "resident", event) is None
    resident = scene.member_id("resident")
    assert [what(r) for r in await watched.filed()] == [
        (code, "check_in", None, resident, None, scene.community.id)
    ]


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("closed", 409, "event_closed"),
        ("ended", 409, "event_closed"),
        ("cancelled", 409, "event_cancelled"),
        ("not_open", 409, "event_not_open"),
        ("no_such_event", 404, "not_found"),
        ("not_yet_valid", 409, "token_not_yet_valid"),
    ],
)
async def test_strangers_see_an_unusable_code_refused_and_nothing_is_filed(
    scene: Scene, case: str, status: int, code: str
) -> None:
    """Someone not logged in who opens the code of an event that is over, cancelled or not
    open yet, or a code naming no event or from the future, is refused before logging in;
    a preview records nothing, not even a refusal."""
    event = await scene.event(opened=case != "not_open")
    if case in ("closed", "cancelled"):
        async with scene.world.client("captain") as captain:
            action = "close" if case == "closed" else "cancel"
            await captain.post(
                f"/captain/events/{event.id}/{action}", data=form(captain, reason="下雨")
            )
    if case == "ended":
        scene.clock.advance(hours=2)
    shift = 1 if case == "not_yet_valid" else 0
    token = await scene.sign(
        NO_SUCH_EVENT if case == "no_such_event" else event.id or 0, bucket_shift=shift
    )
    async with scene.world.client() as visitor:
        watched = await watch(scene)
        refused = await visitor.get(f"/c/{token}", follow_redirects=False)
    assert (refused.status_code, refusal_code(refused.text)) == (status, code)
    assert "签到未成功" in refused.text
    assert "location" not in refused.headers
    assert await watched.unchanged()
    assert await watched.filed() == []


# The captain's personal-code scan.


def scan_form(
    client: Client, event_id: object, code: str, action: str = "check_in"
) -> dict[str, str]:
    return form(client, event_id=event_id, code=code, action=action)


@pytest.mark.parametrize("event_id", [None, "", "abc", "0", "-1", str(MAX_ID + 1)])
async def test_a_scan_without_an_event_is_refused_before_it_runs(
    scene: Scene, event_id: str | None
) -> None:
    """A scan form sent without an event, or with one that is not an event id, is refused
    with invalid_input and the code is kept for a second try; the scan never runs, so
    nobody is checked in and nothing is filed."""
    event = await scene.event()
    code = await scene.member_code("resident")
    async with scene.world.client("captain") as captain:
        fields = (
            form(captain, code=code) if event_id is None else scan_form(captain, event_id, code)
        )
        watched = await watch(scene)
        refused = await captain.post("/captain/scan", data=fields)
        english = await captain.post("/captain/scan", data=fields, headers=ENGLISH)
    assert (refused.status_code, refusal_code(refused.text)) == (400, "invalid_input")
    assert data_of(refused.text, "outcome", "outcome") == "refused"
    assert "event_id：请选择活动" in refused.text
    assert f"data-code-input>{code}</textarea>" in refused.text
    assert f'<option value="{event.id}" selected>' in refused.text  # the only open event
    assert (english.status_code, refusal_code(english.text)) == (400, "invalid_input")
    assert "event_id: choose an event" in english.text
    assert refused.headers["cache-control"] == "no-store"
    assert await watched.unchanged()
    assert await checkin_of(scene, "resident", event) is None
    assert await watched.filed() == []


async def test_a_scan_for_an_event_that_does_not_exist_is_not_found(scene: Scene) -> None:
    """An event id that names no event is refused as not found, filed in the captain's
    community without an event, and nobody is checked in."""
    event = await scene.event()
    code = await scene.member_code("resident")
    async with scene.world.client("captain") as captain:
        watched = await watch(scene)
        refused = await captain.post("/captain/scan", data=scan_form(captain, NO_SUCH_EVENT, code))
    assert (refused.status_code, refusal_code(refused.text)) == (404, "not_found")
    assert data_of(refused.text, "outcome", "outcome") == "refused"
    assert f'<option value="{event.id}"' in refused.text  # the open event is still offered
    assert await watched.unchanged()
    assert await checkin_of(scene, "resident", event) is None
    filed = await watched.filed()
    captain_id = scene.member_id("captain")
    assert [what(r) for r in filed] == [
        ("not_found", "personal", None, captain_id, None, scene.community.id)
    ]
    assert filed[0].token_sha256 == tokens.sha256_hex(code)


async def member_code_valid_from(scene: Scene, role: str, not_before: datetime) -> str:
    """`role`'s personal code valid for five minutes from `not_before`."""
    start = unix_seconds(not_before)
    signer = await scene.signer(tokens.Kind.MEMBER.purpose)
    return tokens.sign_member_code(
        signer,
        member_id=scene.member_id(role),
        not_before=start,
        not_after=start + 300,
        nonce=NONCE,
    )


SCAN_CASES = [
    ("expired", 409, "token_expired"),
    ("not_yet_valid", 409, "token_not_yet_valid"),
    ("bad_signature", 400, "token_bad_signature"),
    ("wrong_community", 403, "wrong_community"),
    ("not_open", 409, "event_not_open"),
    ("closed", 409, "event_closed"),
    ("cancelled", 409, "event_cancelled"),
    ("not_team_member", 403, "not_team_member"),
    ("capacity", 409, "capacity_reached"),
    ("checkout_not_required", 409, "checkout_not_required"),
    ("not_checked_in", 409, "not_checked_in"),
]


@pytest.mark.parametrize(("case", "status", "code"), SCAN_CASES)
async def test_refused_personal_scans_show_their_code_and_change_nothing(
    scene: Scene, case: str, status: int, code: str
) -> None:
    """Each refusal of the scan itself shows on the scan page with its code and message;
    nobody is checked in or out, and the refusal is filed once, naming the event and whose
    code it was whenever the scan got that far."""
    who = {"wrong_community": "other_resident", "not_team_member": "neighbour"}.get(
        case, "resident"
    )
    if case == "not_team_member":
        await scene.add_member("neighbour", in_team=False)
    event = await scene.event(
        activity_id="safety_patrol" if case == "not_checked_in" else "new_year_banquet",
        capacity=1 if case == "capacity" else 20,
        open_to="team" if case == "not_team_member" else "community",
        opened=case != "not_open",
    )
    if case == "capacity":
        await scene.scan("captain", await scene.code(event))
    if case in ("closed", "cancelled"):
        async with scene.world.client("captain") as captain:
            action = "close" if case == "closed" else "cancel"
            await captain.post(
                f"/captain/events/{event.id}/{action}", data=form(captain, reason="下雨")
            )
    if case == "expired":
        code_text = await scene.member_code(who, ttl_seconds=60)
        scene.clock.advance(seconds=60)
    elif case == "not_yet_valid":
        code_text = await member_code_valid_from(scene, who, scene.clock.now + timedelta(minutes=5))
    else:
        code_text = await scene.member_code(who)
    if case == "bad_signature":
        code_text = altered(code_text)
    action = "check_out" if case in ("checkout_not_required", "not_checked_in") else "check_in"
    async with scene.world.client("captain") as captain:
        watched = await watch(scene)
        refused = await captain.post(
            "/captain/scan", data=scan_form(captain, event.id, code_text, action)
        )
        english = await captain.post(
            "/captain/scan", data=scan_form(captain, event.id, code_text, action), headers=ENGLISH
        )
    assert (refused.status_code, refusal_code(refused.text)) == (status, code)
    assert data_of(refused.text, "outcome", "outcome") == "refused"
    assert (english.status_code, refusal_code(english.text)) == (status, code)
    assert await watched.unchanged()
    assert await checkin_of(scene, who, event) is None
    names_event = case != "bad_signature"
    names_member = case not in ("bad_signature", "wrong_community")
    expected = (
        code,
        "personal",
        event.id if names_event else None,
        scene.member_id("captain"),
        scene.member_id(who) if names_member else None,
        scene.community.id,  # the event's community, or the captain's when none is named
    )
    assert [what(r) for r in await watched.filed()] == [expected, expected]


async def test_residents_cannot_post_a_scan(scene: Scene) -> None:
    """The scan page is for captains: a resident posting their own code is refused with
    forbidden before any scan runs, so nothing is checked in or filed."""
    event = await scene.event()
    code = await scene.member_code("resident")
    async with scene.world.client("resident") as resident:
        watched = await watch(scene)
        refused = await resident.post("/captain/scan", data=scan_form(resident, event.id, code))
    assert (refused.status_code, refusal_code(refused.text)) == (403, "forbidden")
    assert await watched.unchanged()
    assert await checkin_of(scene, "resident", event) is None
    assert await watched.filed() == []


@pytest.mark.parametrize(
    "query",
    ["event=0", "event=abc", f"event={MAX_ID + 1}", "code=" + "x" * 1001],
    ids=lambda query: query if len(query) < 20 else "code_too_long",
)
async def test_the_scan_page_refuses_a_bad_address(scene: Scene, query: str) -> None:
    """An event in the scan page's address that is not an event id, or a code too long to
    be one, answers 400 with invalid_input and files nothing."""
    await scene.event()
    async with scene.world.client("captain") as captain:
        watched = await watch(scene)
        refused = await captain.get(f"/captain/scan?{query}")
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid_input"
    assert await watched.unchanged()
    assert await watched.filed() == []


async def test_the_scan_page_chooses_no_unknown_event(scene: Scene) -> None:
    """An event id in the address that is none of my open events chooses nothing: the open
    event is offered, none is selected, and nothing is filed."""
    event = await scene.event()
    async with scene.world.client("captain") as captain:
        watched = await watch(scene)
        shown = await captain.get(f"/captain/scan?event={NO_SUCH_EVENT}")
    assert shown.status_code == 200
    assert f'<option value="{event.id}">' in shown.text
    assert " selected>" not in shown.text
    assert await watched.unchanged()
    assert await watched.filed() == []
