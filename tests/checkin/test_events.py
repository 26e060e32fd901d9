"""Events: creation rules, visibility, transitions, and the job that closes ended events."""

from __future__ import annotations

from datetime import timedelta

import pytest

from api.context import AppContext
from api.routes.checkin import JOBS, close_ended_events
from checkin import events
from checkin.errors import InvalidTransition
from checkin.models import Event
from config.settings import Settings
from organisation.notify import HandOverSender
from tests.checkin.helpers import Scene


def _body(scene: Scene, **changes: object) -> dict[str, object]:
    now = scene.clock.now
    body: dict[str, object] = {
        "activity_id": "safety_patrol",
        "title": "夜间巡逻",
        "place": "小区东门",
        "starts_at": now.isoformat(),
        "ends_at": (now + timedelta(hours=2)).isoformat(),
        "capacity": 8,
        "open_to": "team",
    }
    body.update(changes)
    return body


async def test_creating_an_event_over_http(scene: Scene) -> None:
    """A captain creates a patrol event; its check-out rule comes from the activity."""
    world = scene.world
    async with world.client("captain") as captain:
        created = await captain.post(f"/api/v1/teams/{world.team.id}/events", json=_body(scene))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["checkout_required"] is True
    assert body["auto_approve"] is False
    assert body["state"] == "scheduled"
    assert body["places_taken"] == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"activity_id": "karaoke"}, "activity_id"),
        ({"ends_at": "2026-03-01T07:00:00+00:00"}, "ends_at"),
        ({"ends_at": "2026-03-20T08:00:00+08:00"}, "ends_at"),
        ({"open_to": "everyone"}, None),
        ({"capacity": 0}, None),
        ({"starts_at": "2026-03-01T08:00:00"}, None),  # no time zone
        ({"state": "open"}, None),  # a server-owned field
    ],
)
async def test_bad_events_are_refused_with_invalid_input(
    scene: Scene, changes: dict[str, object], field: str | None
) -> None:
    """Unknown activities, bad times, bad capacity and unknown fields are invalid_input."""
    world = scene.world
    async with world.client("captain") as captain:
        refused = await captain.post(
            f"/api/v1/teams/{world.team.id}/events", json=_body(scene, **changes)
        )
        listed = (await captain.get("/api/v1/events")).json()["items"]
    assert refused.status_code == 400, refused.text
    assert refused.json()["code"] == "invalid_input"
    if field is not None:
        assert refused.json()["field"] == field
    assert listed == []


@pytest.mark.parametrize("role", ["resident", "other_admin", "clerk"])
async def test_only_captains_of_the_team_and_admins_create_events(scene: Scene, role: str) -> None:
    """Anyone else gets not_found for the team."""
    world = scene.world
    async with world.client(role) as client:
        refused = await client.post(f"/api/v1/teams/{world.team.id}/events", json=_body(scene))
    assert refused.status_code == 404
    assert refused.json()["code"] == "not_found"


async def test_team_only_events_are_listed_for_the_team_only(scene: Scene) -> None:
    """Members of the team and admins list a team-only event; other members do not."""
    team_only = await scene.event(open_to="team")
    open_to_all = await scene.event()
    await scene.add_member("neighbour", in_team=False)
    seen = {}
    for role in ("resident", "neighbour", "admin"):
        async with scene.world.client(role) as client:
            items = (await client.get("/api/v1/events")).json()["items"]
            seen[role] = {item["id"] for item in items}
            shown = await client.get(f"/api/v1/events/{team_only.id}")
            assert shown.status_code == (404 if role == "neighbour" else 200)
    assert seen["resident"] == seen["admin"] == {team_only.id, open_to_all.id}
    assert seen["neighbour"] == {open_to_all.id}


async def _transition(scene: Scene, event: Event, name: str) -> Event:
    async with scene.sessions.begin() as session:
        row = await session.get(Event, event.id)
        assert row is not None
        if name == "open":
            return await events.open_event(session, event=row, now=scene.clock.now)
        if name == "close":
            return await events.close_event(session, event=row, now=scene.clock.now)
        return await events.cancel_event(
            session,
            event=row,
            reason="大风",
            cancelled_by=scene.member_id("captain"),
            now=scene.clock.now,
        )


@pytest.mark.parametrize(
    ("opened", "first", "second"),
    [
        (True, None, "open"),
        (False, None, "close"),
        (True, "close", "cancel"),
        (True, "cancel", "open"),
    ],
)
async def test_transitions_from_the_wrong_state_are_refused(
    scene: Scene, opened: bool, first: str | None, second: str
) -> None:
    """Opening twice, closing before opening, cancelling a closed event and reopening a
    cancelled one are invalid_transition and change nothing."""
    event = await scene.event(opened=opened)
    if first is not None:
        await _transition(scene, event, first)
    before = await scene.reload(event)
    with pytest.raises(InvalidTransition):
        await _transition(scene, event, second)
    assert (await scene.reload(event)).state == before.state


async def test_cancelling_rejects_pending_checkins_with_the_reason(scene: Scene) -> None:
    """A cancelled event's pending check-ins become rejected, naming the cancellation."""
    event = await scene.event()
    checkin = (await scene.scan("resident", await scene.code(event))).checkin
    await _transition(scene, event, "cancel")
    rejected = await scene.checkin(checkin.id or 0)
    assert rejected.state == "rejected"
    assert rejected.reason == "event cancelled: 大风"
    assert rejected.decided_by == scene.member_id("captain")


async def test_closing_closes_open_patrol_checkins_flagged(scene: Scene) -> None:
    """Closing a patrol by hand checks its open check-ins out now, flagged for the captain."""
    event = await scene.event(activity_id="safety_patrol")
    checkin = (await scene.scan("resident", await scene.code(event))).checkin
    scene.clock.advance(minutes=45)
    await _transition(scene, event, "close")
    closed = await scene.checkin(checkin.id or 0)
    assert closed.auto_closed
    assert closed.checked_out_at is not None
    assert closed.checked_out_at.replace(tzinfo=None) == scene.clock.now.replace(tzinfo=None)


async def test_the_job_closes_ended_events_at_their_end_time(scene: Scene) -> None:
    """The periodic job closes events past their end at the end time, flags open patrol
    check-ins, and leaves running events alone."""
    ended = await scene.event(activity_id="safety_patrol", hours=1)
    running = await scene.event(hours=5)
    checkin = (await scene.scan("resident", await scene.code(ended))).checkin
    scene.clock.advance(hours=3)
    context = AppContext(
        settings=Settings(database_url=scene.world.db.url),
        engine=scene.world.db.engine,
        sessions=scene.sessions,
        keystore=scene.keystore,
        sender=HandOverSender(),
        clock=scene.clock,
    )
    assert [job.run for job in JOBS] == [close_ended_events]
    assert await close_ended_events(context) >= 1  # other tests' events share the database
    closed = await scene.reload(ended)
    assert closed.state == "closed"
    assert closed.closed_at is not None
    assert closed.closed_at.replace(tzinfo=None) == closed.ends_at.replace(tzinfo=None)
    assert (await scene.reload(running)).state == "open"
    flagged = await scene.checkin(checkin.id or 0)
    assert flagged.auto_closed
    assert flagged.checked_out_at is not None
    assert flagged.checked_out_at.replace(tzinfo=None) == closed.ends_at.replace(tzinfo=None)
    await close_ended_events(context)
    assert await scene.reload(ended) == closed
