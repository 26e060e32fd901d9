"""Events and check-ins as the volunteer's and the captain's pages show them.

Times are on the clock of the community's rule set (the zone in which events get their local
date), activity names come from the rule set in force (an activity it no longer has shows
its id), and a check-in carries the explanation in the page's language.
"""

# A time span takes an en dash; Chinese text takes full-width punctuation.
# ruff: noqa: RUF001, RUF002

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from checkin import rulesets
from checkin.models import Checkin, Event
from checkin.times import as_utc
from organisation.models import Team


@dataclass(frozen=True)
class Clock:
    """The community's rule set's zone and its activities' names."""

    zone: tzinfo
    activities: Mapping[str, tuple[str, str]]

    def activity_name(self, activity_id: str, language: str) -> str:
        names = self.activities.get(activity_id)
        if names is None:
            return activity_id
        return names[1] if language == "en" else names[0]

    def at(self, moment: datetime) -> datetime:
        return as_utc(moment).astimezone(self.zone)

    def clock_time(self, moment: datetime) -> str:
        return self.at(moment).strftime("%H:%M")

    def span(self, starts: datetime, ends: datetime) -> str:
        """ "2026-03-01 16:00–18:00", or with the end's date when it ends on another day."""
        first, last = self.at(starts), self.at(ends)
        end = (
            last.strftime("%H:%M") if first.date() == last.date() else last.strftime("%m-%d %H:%M")
        )
        return f"{first:%Y-%m-%d %H:%M}–{end}"


async def community_clock(session: AsyncSession, community_id: int) -> Clock:
    ruleset = (await rulesets.active(session, community_id=community_id)).ruleset
    names = {a.activity_id: (a.name_zh, a.name_en) for a in ruleset.activities}
    return Clock(ruleset.zone, names)


@dataclass(frozen=True)
class EventView:
    id: int
    title: str
    activity_id: str
    activity_name: str
    place: str
    team_name: str
    when: str
    state: str
    capacity: int
    places_taken: int
    checkout_required: bool
    auto_approve: bool
    open_to: str
    cancel_reason: str


async def event_view(session: AsyncSession, event: Event, clock: Clock, language: str) -> EventView:
    team = await session.get(Team, event.team_id)
    team_name = (
        "" if team is None else (team.name_en or team.name if language == "en" else team.name)
    )
    return EventView(
        id=event.id or 0,
        title=event.title,
        activity_id=event.activity_id,
        activity_name=clock.activity_name(event.activity_id, language),
        place=event.place,
        team_name=team_name,
        when=clock.span(event.starts_at, event.ends_at),
        state=event.state,
        capacity=event.capacity,
        places_taken=event.checkin_count,
        checkout_required=event.checkout_required,
        auto_approve=event.auto_approve,
        open_to=event.open_to,
        cancel_reason=event.cancel_reason,
    )


@dataclass(frozen=True)
class CheckinView:
    id: int
    event_id: int
    member_id: int
    state: str
    method: str
    checked_in_at: str
    checked_out_at: str | None
    auto_closed: bool
    auto_approved: bool
    points: int | None
    explanation: str
    reason: str


def checkin_view(checkin: Checkin, clock: Clock, language: str) -> CheckinView:
    out = checkin.checked_out_at
    return CheckinView(
        id=checkin.id or 0,
        event_id=checkin.event_id,
        member_id=checkin.member_id,
        state=checkin.state,
        method=checkin.method,
        checked_in_at=clock.clock_time(checkin.checked_in_at),
        checked_out_at=None if out is None else clock.clock_time(out),
        auto_closed=checkin.auto_closed,
        auto_approved=checkin.auto_approved,
        points=checkin.points,
        explanation=checkin.explanation_en if language == "en" else checkin.explanation_zh,
        reason=checkin.reason,
    )
