"""Events: created by a team's captain or an admin, opened, closed, cancelled.

`scheduled` --open--> `open` --close (or its end time)--> `closed`; `scheduled` and `open`
--cancel--> `cancelled`. Each transition is one conditional UPDATE on the state it leaves, so
two captains acting at once give one outcome. Closing (by hand or by the periodic job at the
end time) closes open check-ins of check-out events at that moment and flags them
`auto_closed` for the captain; cancelling rejects pending check-ins with the reason.

Lock order: a transition updates the event row first, then its check-ins. A scan inserts
its check-in and then updates the event row, but an UPDATE of check-ins skips rows another
transaction has not committed, so the two never wait on each other in a cycle.
"""

# Chinese messages take full-width punctuation, not confusables.
# ruff: noqa: RUF001

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Table, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, or_, select

from checkin import rulesets
from checkin.errors import InvalidTransition
from checkin.models import (
    CANCELLED,
    CLOSED,
    OPEN,
    OPEN_TO_COMMUNITY,
    OPEN_TO_TEAM,
    PENDING,
    REJECTED,
    SCHEDULED,
    Checkin,
    Event,
)
from checkin.times import as_utc
from organisation.errors import InvalidInput
from organisation.models import Team
from organisation.service import get_in_community

MAX_EVENT_DURATION = timedelta(days=7)
MAX_CAPACITY = 10_000
MAX_CLOSED_PER_RUN = 100
OPEN_TO = (OPEN_TO_COMMUNITY, OPEN_TO_TEAM)

events_table: Table = Event.__table__  # type: ignore[attr-defined]
checkins_table: Table = Checkin.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class EventSpec:
    """What a captain says about a new event; `checkout_required` None: the activity's."""

    activity_id: str
    title: str
    place: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    open_to: str
    checkout_required: bool | None = None


def _validate(spec: EventSpec, now: datetime) -> None:
    if spec.starts_at.utcoffset() is None or spec.ends_at.utcoffset() is None:
        raise InvalidInput("starts_at and ends_at need a time zone", field="starts_at")
    if not spec.starts_at < spec.ends_at:
        raise InvalidInput("ends_at must be after starts_at", field="ends_at")
    if spec.ends_at - spec.starts_at > MAX_EVENT_DURATION:
        raise InvalidInput("an event lasts at most 7 days", field="ends_at")
    if spec.ends_at <= now:
        raise InvalidInput("ends_at is in the past", field="ends_at")
    if not 1 <= spec.capacity <= MAX_CAPACITY:
        raise InvalidInput(f"capacity must be 1 to {MAX_CAPACITY}", field="capacity")
    if spec.open_to not in OPEN_TO:
        raise InvalidInput("open_to must be community or team", field="open_to")


async def create(
    session: AsyncSession,
    *,
    community_id: int,
    team_id: int,
    created_by: int,
    spec: EventSpec,
    now: datetime,
) -> Event:
    """A scheduled event of the team for an activity of the community's active rule set."""
    await get_in_community(session, Team, team_id, community_id)
    _validate(spec, now)
    ruleset = (await rulesets.active(session, community_id=community_id)).ruleset
    rule = next((a for a in ruleset.activities if a.activity_id == spec.activity_id), None)
    if rule is None:
        raise InvalidInput(
            "activity_id: not an activity of the community's active rule set",
            message_zh="activity_id：不是本社区现行积分规则中的活动",
            field="activity_id",
        )
    checkout = rule.requires_checkout if spec.checkout_required is None else spec.checkout_required
    event = Event(
        community_id=community_id,
        team_id=team_id,
        activity_id=spec.activity_id,
        title=spec.title,
        place=spec.place,
        starts_at=as_utc(spec.starts_at),
        ends_at=as_utc(spec.ends_at),
        capacity=spec.capacity,
        checkout_required=checkout,
        open_to=spec.open_to,
        auto_approve=not rule.needs_captain_approval,
        state=SCHEDULED,
        checkin_count=0,
        created_by=created_by,
        created_at=now,
    )
    session.add(event)
    await session.flush()
    return event


async def _transition(
    session: AsyncSession, event: Event, *, leaving: tuple[str, ...], to: str, **values: object
) -> None:
    assert event.id is not None
    statement = (
        update(events_table)
        .where(events_table.c.id == event.id, events_table.c.state.in_(leaving))
        .values(state=to, **values)
    )
    result = await session.execute(statement)
    if result.rowcount != 1:  # type: ignore[attr-defined]  # a CursorResult for updates
        await session.refresh(event)
        raise InvalidTransition(event_id=event.id, state=event.state, to=to)
    await session.refresh(event)


async def open_event(session: AsyncSession, *, event: Event, now: datetime) -> Event:
    """Open check-in (before the event's end)."""
    if now >= as_utc(event.ends_at):
        raise InvalidTransition(event_id=event.id or 0, state=event.state, to=OPEN)
    await _transition(session, event, leaving=(SCHEDULED,), to=OPEN, opened_at=now)
    return event


async def _auto_close_checkins(session: AsyncSession, event_id: int, at: datetime) -> int:
    statement = (
        update(checkins_table)
        .where(
            checkins_table.c.event_id == event_id,
            checkins_table.c.state == PENDING,
            checkins_table.c.checked_out_at.is_(None),
        )
        .values(checked_out_at=at, auto_closed=True)
    )
    result = await session.execute(statement)
    return int(result.rowcount)  # type: ignore[attr-defined]  # a CursorResult for updates


async def close_event(session: AsyncSession, *, event: Event, now: datetime) -> Event:
    """Close check-in now; open check-ins of a check-out event close now, flagged."""
    closed_at = min(now, as_utc(event.ends_at))
    await _transition(session, event, leaving=(OPEN,), to=CLOSED, closed_at=closed_at)
    if event.checkout_required:
        assert event.id is not None
        await _auto_close_checkins(session, event.id, closed_at)
    return event


async def cancel_event(
    session: AsyncSession, *, event: Event, reason: str, cancelled_by: int, now: datetime
) -> Event:
    """Cancel the event; its pending check-ins are rejected with the reason."""
    await _transition(
        session,
        event,
        leaving=(SCHEDULED, OPEN),
        to=CANCELLED,
        cancelled_at=now,
        cancel_reason=reason,
    )
    statement = (
        update(checkins_table)
        .where(checkins_table.c.event_id == event.id, checkins_table.c.state == PENDING)
        .values(
            state=REJECTED,
            decided_by=cancelled_by,
            decided_at=now,
            reason=f"event cancelled: {reason}"[:200],
        )
    )
    await session.execute(statement)
    return event


async def close_ended(session: AsyncSession, *, now: datetime) -> list[int]:
    """Close open events whose end time has passed (at their end time); their ids."""
    statement = (
        select(Event)
        .where(Event.state == OPEN, col(Event.ends_at) <= now)
        .order_by(col(Event.ends_at))
        .limit(MAX_CLOSED_PER_RUN)
    )
    closed = []
    for event in (await session.execute(statement)).scalars():
        try:
            async with session.begin_nested():
                await close_event(session, event=event, now=as_utc(event.ends_at))
        except InvalidTransition:
            continue  # closed by a captain (or another process) since the read above
        assert event.id is not None
        closed.append(event.id)
    return closed


async def list_events(
    session: AsyncSession,
    *,
    community_id: int,
    team_ids: frozenset[int] | None,
    state: str | None,
    limit: int,
    offset: int,
) -> list[Event]:
    """Events of a community, newest start first; with `team_ids`, only community-wide
    events and those of these teams."""
    statement = select(Event).where(Event.community_id == community_id)
    if team_ids is not None:
        statement = statement.where(
            or_(Event.open_to == OPEN_TO_COMMUNITY, col(Event.team_id).in_(sorted(team_ids)))
        )
    if state is not None:
        statement = statement.where(Event.state == state)
    statement = statement.order_by(col(Event.starts_at).desc(), col(Event.id).desc())
    return list((await session.execute(statement.limit(limit).offset(offset))).scalars())
