"""Read-only lists: pending check-ins for approvers, an event's check-ins, a member's own."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, or_, select

from checkin.models import PENDING, Checkin, Event
from organisation.auth import Principal
from organisation.models import Member


@dataclass(frozen=True)
class CheckinRow:
    """A check-in with what an approver needs beside it."""

    checkin: Checkin
    event_title: str
    activity_id: str
    member_name: str | None


async def pending_for(
    session: AsyncSession, *, principal: Principal, team_id: int | None, limit: int, offset: int
) -> list[CheckinRow]:
    """Pending check-ins of the teams the caller captains and the communities they run."""
    scopes = []
    if principal.captain_of:
        scopes.append(col(Checkin.team_id).in_(sorted(principal.captain_of)))
    if principal.admin_of:
        scopes.append(col(Checkin.community_id).in_(sorted(principal.admin_of)))
    if not scopes:
        return []
    statement = (
        select(Checkin, Event.title, Event.activity_id, Member.display_name)
        .join(Event, col(Event.id) == col(Checkin.event_id))
        .join(Member, col(Member.id) == col(Checkin.member_id))
        .where(col(Checkin.state) == PENDING, or_(*scopes))
    )
    if team_id is not None:
        statement = statement.where(col(Checkin.team_id) == team_id)
    statement = statement.order_by(col(Checkin.checked_in_at), col(Checkin.id))
    rows = await session.execute(statement.limit(limit).offset(offset))
    return [CheckinRow(c, title, activity, name) for c, title, activity, name in rows]


async def of_event(
    session: AsyncSession, *, event_id: int, limit: int, offset: int
) -> list[CheckinRow]:
    """An event's check-ins in the order they were made."""
    statement = (
        select(Checkin, Event.title, Event.activity_id, Member.display_name)
        .join(Event, col(Event.id) == col(Checkin.event_id))
        .join(Member, col(Member.id) == col(Checkin.member_id))
        .where(col(Checkin.event_id) == event_id)
        .order_by(col(Checkin.checked_in_at), col(Checkin.id))
    )
    rows = await session.execute(statement.limit(limit).offset(offset))
    return [CheckinRow(c, title, activity, name) for c, title, activity, name in rows]


async def of_member(
    session: AsyncSession, *, member_id: int, limit: int, offset: int
) -> list[CheckinRow]:
    """A member's own check-ins, newest first, with points and explanations."""
    statement = (
        select(Checkin, Event.title, Event.activity_id)
        .join(Event, col(Event.id) == col(Checkin.event_id))
        .where(col(Checkin.member_id) == member_id)
        .order_by(col(Checkin.checked_in_at).desc(), col(Checkin.id).desc())
    )
    rows = await session.execute(statement.limit(limit).offset(offset))
    return [CheckinRow(c, title, activity, None) for c, title, activity in rows]
