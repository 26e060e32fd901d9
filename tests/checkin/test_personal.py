"""Personal codes scanned by a captain, and offline uploads that record once per nonce."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from checkin import events, personal, recording
from checkin.models import Event
from organisation.errors import InvalidInput, NotFound
from tests.checkin.helpers import Scene


async def test_a_captain_checks_a_neighbour_in_with_their_personal_code(scene: Scene) -> None:
    """The captain scans the member's code: a pending check-in by personal code, scanned by
    the captain; scanning it again shows the same check-in."""
    event = await scene.event()
    code = await scene.member_code("resident")
    result = await scene.personal_scan("captain", event, code)
    assert result.checkin.member_id == scene.member_id("resident")
    assert result.checkin.method == "personal"
    assert result.checkin.scanned_by == scene.member_id("captain")
    assert (await scene.personal_scan("captain", event, code)).existing


async def test_personal_check_out_of_a_patrol(scene: Scene) -> None:
    """A patrol member without a phone is checked out by the captain scanning their code."""
    event = await scene.event(activity_id="safety_patrol")
    await scene.personal_scan("captain", event, await scene.member_code("resident"))
    scene.clock.advance(minutes=40)
    out = await scene.personal_scan(
        "captain", event, await scene.member_code("resident"), action="check_out"
    )
    assert out.checkin.checked_out_at is not None


async def test_an_expired_personal_code_is_refused_and_names_the_member(scene: Scene) -> None:
    """A personal code past its validity is token_expired, filed against the event and the
    member whose code it was."""
    event = await scene.event()
    code = await scene.member_code("resident", ttl_seconds=60)
    scene.clock.advance(seconds=60)
    filed = await scene.refused(scene.personal_scan("captain", event, code), "token_expired")
    assert filed.event_id == event.id
    assert filed.subject_id == scene.member_id("resident")
    assert filed.actor_id == scene.member_id("captain")
    assert filed.action == "personal"


async def test_a_personal_code_of_another_community_is_wrong_community(scene: Scene) -> None:
    """The code of a member of the other community does not check them in here."""
    event = await scene.event()
    code = await scene.member_code("other_resident")
    await scene.refused(scene.personal_scan("captain", event, code), "wrong_community")


async def test_a_venue_code_is_not_a_personal_code(scene: Scene) -> None:
    """A venue code offered as a personal code is malformed (another kind of code)."""
    event = await scene.event()
    await scene.refused(
        scene.personal_scan("captain", event, await scene.code(event)), "token_malformed"
    )


async def test_only_the_teams_captains_and_admins_scan_personal_codes(scene: Scene) -> None:
    """A member who does not run the event gets not_found, filed without the event."""
    event = await scene.event()
    code = await scene.member_code("captain")
    filed = await scene.refused(scene.personal_scan("resident", event, code), "not_found")
    assert filed.event_id is None
    assert not (await scene.personal_scan("admin", event, code)).existing


async def test_captains_print_codes_for_their_team_members_only(scene: Scene) -> None:
    """A captain may issue a code for a member of their team, not for anyone else."""
    captain = await scene.principal("captain")
    resident = await scene.principal("resident")
    async with scene.sessions.begin() as session:
        issued = await personal.issue_for(
            session,
            keystore=scene.keystore,
            principal=captain,
            member_id=scene.member_id("resident"),
            ttl_seconds=7 * 24 * 3600,
            now=scene.clock.now,
        )
        assert issued.not_after - issued.not_before == timedelta(days=7)
        for who, member in ((captain, "other_resident"), (resident, "captain")):
            with pytest.raises(NotFound):
                await personal.issue_for(
                    session,
                    keystore=scene.keystore,
                    principal=who,
                    member_id=scene.member_id(member),
                    ttl_seconds=60,
                    now=scene.clock.now,
                )


async def _upload(
    scene: Scene, event: Event, items: list[recording.OfflineScanIn]
) -> list[recording.OfflineOutcome]:
    return await recording.upload_offline(
        scene.sessions,
        keystore=scene.keystore,
        principal=await scene.principal("captain"),
        event_id=event.id or 0,
        items=items,
        now=scene.clock.now,
    )


def _item(nonce: str, code: str, at: datetime, action: str = "check_in") -> recording.OfflineScanIn:
    return recording.OfflineScanIn(nonce=nonce, code=code, action=action, scanned_at=at)


async def test_an_offline_upload_repeated_records_once(scene: Scene) -> None:
    """Scans uploaded twice (and a nonce repeated within one upload) record one check-in
    each; repeats answer as first recorded and file no further refusal."""
    event = await scene.event()
    await scene.add_member("grandma")
    at = scene.clock.now + timedelta(minutes=2)
    good = await scene.member_code("grandma")
    stale = await scene.member_code("resident", ttl_seconds=60)
    scene.clock.advance(minutes=30)  # back online
    batch = [
        _item("nonce-aaaa", good, at),
        _item("nonce-aaaa", good, at),
        _item("nonce-bbbb", stale, at),
    ]
    first = await _upload(scene, event, batch)
    assert [(o.replayed, o.refusal_code) for o in first] == [
        (False, None),
        (True, None),
        (False, "token_expired"),
    ]
    assert first[0].checkin is not None
    assert first[0].checkin.method == "offline"
    assert first[0].checkin.checked_in_at.replace(tzinfo=None) == at.replace(tzinfo=None)
    snapshot, filed = await scene.snapshot(), len(await scene.refusals())
    second = await _upload(scene, event, batch)
    assert all(o.replayed for o in second)
    assert [o.refusal_code for o in second] == [None, None, "token_expired"]
    assert await scene.snapshot() == snapshot
    assert len(await scene.refusals()) == filed
    assert snapshot.offline_scans == 2


async def test_offline_scans_made_before_the_close_count_after_it(scene: Scene) -> None:
    """A scan made while the event was open is recorded after it closed; one made after
    the close is event_closed."""
    event = await scene.event()
    code = await scene.member_code("resident", ttl_seconds=3600)
    before_close = scene.clock.now + timedelta(minutes=10)
    scene.clock.advance(minutes=20)
    async with scene.sessions.begin() as session:
        row = await session.get(Event, event.id)
        assert row is not None
        await events.close_event(session, event=row, now=scene.clock.now)
    late = _item("nonce-late", code, scene.clock.now + timedelta(seconds=1))
    on_time = _item("nonce-on-time", code, before_close)
    outcomes = await _upload(scene, event, [late, on_time])
    assert outcomes[0].refusal_code == "event_closed"
    assert outcomes[1].checkin is not None
    assert (await scene.reload(event)).checkin_count == 1


async def test_a_scan_from_the_future_is_refused(scene: Scene) -> None:
    """A scanned_at more than a minute ahead of the server's clock is invalid_input."""
    event = await scene.event()
    code = await scene.member_code("resident")
    [outcome] = await _upload(
        scene, event, [_item("nonce-future", code, scene.clock.now + timedelta(minutes=5))]
    )
    assert outcome.refusal_code == "invalid_input"


async def test_a_personal_code_from_the_future_is_not_yet_valid(scene: Scene) -> None:
    """A code issued more than a minute after the scan (a device clock far behind) is
    token_not_yet_valid."""
    event = await scene.event()
    scene.clock.advance(minutes=5)
    code = await scene.member_code("resident")
    scene.clock.advance(minutes=-5)
    await scene.refused(scene.personal_scan("captain", event, code), "token_not_yet_valid")


async def test_personal_codes_live_one_second_to_thirty_days(scene: Scene) -> None:
    """Asking for a code outside that range is invalid_input."""
    for ttl_seconds in (0, personal.MAX_CODE_TTL_SECONDS + 1):
        with pytest.raises(InvalidInput):
            await scene.member_code("resident", ttl_seconds=ttl_seconds)
