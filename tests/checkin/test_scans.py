"""Scanning the venue code: each refusal with its code, nothing else changed, and filed."""

from __future__ import annotations

import base64
from pathlib import Path

from checkin import events, tokens
from checkin.models import Event
from checkin.times import bucket_of
from ledger import keyring
from ledger.keys import KeyStore
from tests.checkin.helpers import TTL_SECONDS, Scene


async def test_a_scan_checks_in_and_a_second_scan_shows_it(scene: Scene) -> None:
    """The first scan records a pending check-in and takes a place; scanning again returns
    the same check-in flagged as existing and takes nothing more."""
    event = await scene.event()
    token = await scene.code(event)
    first = await scene.scan("resident", token)
    assert not first.existing
    assert first.checkin.state == "pending"
    assert first.checkin.method == "qr"
    assert first.checkin.token_sha256 == tokens.sha256_hex(token)
    before = await scene.snapshot()
    second = await scene.scan("resident", await scene.code(event))
    assert second.existing
    assert second.checkin.id == first.checkin.id
    assert await scene.snapshot() == before
    assert (await scene.reload(event)).checkin_count == 1


async def test_the_previous_bucket_is_accepted_and_the_one_before_is_expired(
    scene: Scene,
) -> None:
    """A code is good in its own time bucket and the next; after that it is token_expired."""
    event = await scene.event()
    token = await scene.code(event)
    await scene.add_member("late")
    scene.clock.advance(seconds=59)  # still the bucket after the code's
    assert not (await scene.scan("resident", token)).existing
    scene.clock.advance(seconds=1)
    filed = await scene.refused(scene.scan("late", token), "token_expired")
    assert filed.event_id is None  # the event was not looked at
    assert filed.actor_id == scene.member_id("late")
    assert filed.token_sha256 == tokens.sha256_hex(token)


async def test_a_code_from_a_later_bucket_is_not_yet_valid(scene: Scene) -> None:
    """A code signed for a bucket after the current one is token_not_yet_valid."""
    event = await scene.event()
    early = await scene.sign(event.id or 0, bucket_shift=1)
    await scene.refused(scene.scan("resident", early), "token_not_yet_valid")


async def test_garbage_is_malformed_and_filed_without_an_event(scene: Scene) -> None:
    """Text that is not a code is token_malformed, filed in the scanner's community."""
    filed = await scene.refused(scene.scan("resident", "hello, world"), "token_malformed")
    assert filed.community_id == scene.community.id
    assert filed.event_id is None
    assert filed.action == "check_in"


async def test_a_key_nobody_knows_is_an_unknown_key(scene: Scene, tmp_path: Path) -> None:
    """A code signed by a key that is not a check-in key of any community is refused."""
    event = await scene.event()
    stranger = KeyStore(tmp_path).generate()
    forged = tokens.sign_event_code(stranger, event_id=event.id or 0, bucket=1, nonce=b"\0" * 8)
    await scene.refused(scene.scan("resident", forged), "token_unknown_key")


async def test_an_altered_code_has_a_bad_signature(scene: Scene) -> None:
    """Changing the event id inside a code breaks its signature."""
    event = await scene.event()
    raw = bytearray(base64.urlsafe_b64decode(await scene.code(event)))
    raw[13] ^= 1  # the low bit of the event id
    altered = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    await scene.refused(scene.scan("resident", altered), "token_bad_signature")


async def test_another_communitys_member_gets_wrong_community(scene: Scene) -> None:
    """A member of the other community scanning this community's code is refused, and the
    refusal is filed in their own community without naming our event."""
    event = await scene.event()
    filed = await scene.refused(
        scene.scan("other_resident", await scene.code(event)), "wrong_community"
    )
    assert filed.community_id == scene.world.other.id
    assert filed.event_id is None


async def test_a_signed_code_for_a_missing_event_is_not_found(scene: Scene) -> None:
    """A correctly signed code naming no event of the community answers not_found."""
    event = await scene.event()
    await scene.refused(
        scene.scan("resident", await scene.sign((event.id or 0) + 999)), "not_found"
    )


async def test_cancelled_closed_and_unopened_events_refuse_scans(scene: Scene) -> None:
    """Scans of a cancelled, a closed and a not yet opened event are refused, each filed
    against its event."""
    cancelled, closed = await scene.event(), await scene.event()
    unopened = await scene.event(opened=False)
    codes = {e.id: await scene.code(e) for e in (cancelled, closed)}
    async with scene.sessions.begin() as session:
        for event, close in ((cancelled, False), (closed, True)):
            row = await session.get(Event, event.id)
            assert row is not None
            if close:
                await events.close_event(session, event=row, now=scene.clock.now)
            else:
                await events.cancel_event(
                    session,
                    event=row,
                    reason="雨天",
                    cancelled_by=scene.member_id("captain"),
                    now=scene.clock.now,
                )
    for event, code in (
        (cancelled, "event_cancelled"),
        (closed, "event_closed"),
    ):
        filed = await scene.refused(scene.scan("resident", codes[event.id]), code)
        assert filed.event_id == event.id
    unopened_code = await scene.sign(unopened.id or 0)
    filed = await scene.refused(scene.scan("resident", unopened_code), "event_not_open")
    assert filed.event_id == unopened.id


async def test_an_event_past_its_end_refuses_scans_before_the_job_runs(scene: Scene) -> None:
    """Once the end time has passed a code is refused as event_closed even while the event
    is still marked open."""
    event = await scene.event(hours=1)
    scene.clock.advance(hours=1)
    token = await scene.sign(event.id or 0)
    await scene.refused(scene.scan("resident", token), "event_closed")


async def test_team_only_events_refuse_members_of_other_teams(scene: Scene) -> None:
    """A team-only event admits team members and refuses anyone else with not_team_member."""
    event = await scene.event(open_to="team")
    token = await scene.code(event)
    await scene.add_member("neighbour", in_team=False)
    filed = await scene.refused(scene.scan("neighbour", token), "not_team_member")
    assert filed.event_id == event.id
    assert not (await scene.scan("resident", token)).existing


async def test_a_full_event_refuses_with_capacity_reached(scene: Scene) -> None:
    """With every place taken a new scan is capacity_reached, but a member already in still
    sees their check-in."""
    event = await scene.event(capacity=1)
    token = await scene.code(event)
    await scene.scan("resident", token)
    await scene.refused(scene.scan("captain", token), "capacity_reached")
    assert (await scene.scan("resident", token)).existing


async def test_check_out_of_a_patrol(scene: Scene) -> None:
    """A patrol's second scan is a check-out; repeating it shows the first check-out."""
    event = await scene.event(activity_id="safety_patrol")
    assert event.checkout_required
    await scene.scan("resident", await scene.code(event))
    scene.clock.advance(minutes=50)
    out = await scene.scan("resident", await scene.code(event), action="check_out")
    assert not out.existing
    assert out.checkin.checked_out_at is not None
    again = await scene.scan("resident", await scene.code(event), action="check_out")
    assert again.existing
    assert again.checkin.checked_out_at == out.checkin.checked_out_at


async def test_check_out_refusals(scene: Scene) -> None:
    """Check-out without a check-in, at an event without check-out, or after a rejection
    is refused with its own code."""
    patrol, banquet = await scene.event(activity_id="safety_patrol"), await scene.event()
    await scene.refused(
        scene.scan("resident", await scene.code(patrol), action="check_out"), "not_checked_in"
    )
    await scene.scan("resident", await scene.code(banquet))
    await scene.refused(
        scene.scan("resident", await scene.code(banquet), action="check_out"),
        "checkout_not_required",
    )
    checked_in = await scene.scan("resident", await scene.code(patrol))
    await scene.reject("captain", checked_in.checkin.id or 0)
    await scene.refused(
        scene.scan("resident", await scene.code(patrol), action="check_out"), "not_pending"
    )


async def test_auto_approved_activities_credit_on_check_in(scene: Scene) -> None:
    """A building clean-up (approval = auto) is credited by the scan itself."""
    event = await scene.event(activity_id="building_cleanup", hours=1)
    result = await scene.scan("resident", await scene.code(event))
    assert result.checkin.state == "approved"
    assert result.checkin.auto_approved
    assert result.checkin.decided_by is None
    # 10 base + 2 x 10 for 60 minutes + 20 first time.
    assert result.checkin.points == 50
    assert result.checkin.ledger_seq is not None


async def test_auto_approved_check_out_events_credit_on_check_out(scene: Scene) -> None:
    """An auto-approved activity that needs a check-out is credited at the check-out."""
    event = await scene.event(activity_id="building_cleanup", checkout_required=True)
    checked_in = await scene.scan("resident", await scene.code(event))
    assert checked_in.checkin.state == "pending"
    scene.clock.advance(minutes=30)
    out = await scene.scan("resident", await scene.code(event), action="check_out")
    assert out.checkin.state == "approved"
    assert out.checkin.duration_minutes == 30
    assert out.checkin.points == 10 + 10 + 20


async def test_codes_of_a_replaced_key_die_after_the_grace(scene: Scene) -> None:
    """After the check-in key is replaced, codes it signs (even for the current bucket) are
    accepted for two buckets, then refused as token_expired."""
    event = await scene.event()
    old_key = await scene.signer()
    await scene.add_member("second")
    async with scene.sessions.begin() as session:
        await keyring.rotate_purpose_key(
            session,
            keystore=scene.keystore,
            scope=scene.community.ledger_id,
            purpose="checkin",
            now=scene.clock.now,
        )
    assert (await scene.signer()).key_id != old_key.key_id

    def old_code() -> str:
        bucket = bucket_of(scene.clock.now, TTL_SECONDS)
        return tokens.sign_event_code(
            old_key, event_id=event.id or 0, bucket=bucket, nonce=b"1" * 8
        )

    scene.clock.advance(seconds=59)
    assert not (await scene.scan("resident", old_code())).existing
    scene.clock.advance(seconds=2)
    refused = await scene.refused(scene.scan("second", old_code()), "token_expired")
    assert refused.event_id is None
