"""Who may touch which event or check-in; anything outside a caller's scope is NotFound."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from checkin.models import OPEN_TO_COMMUNITY, Checkin, Event
from organisation.auth import Principal
from organisation.errors import NotFound


def manages(principal: Principal, *, team_id: int, community_id: int) -> bool:
    """Captains of the team and admins of its community run its events and approvals."""
    return team_id in principal.captain_of or community_id in principal.admin_of


def sees(principal: Principal, event: Event) -> bool:
    """Members see their community's open events and their own teams' events."""
    if manages(principal, team_id=event.team_id, community_id=event.community_id):
        return True
    if principal.can_read_community(event.community_id):
        return True
    same_community = event.community_id == principal.community_id
    return same_community and (
        event.open_to == OPEN_TO_COMMUNITY or event.team_id in principal.team_ids
    )


async def managed_event(session: AsyncSession, principal: Principal, event_id: int) -> Event:
    """The event if the caller captains its team or administers its community."""
    event = await session.get(Event, event_id)
    if event is None or not manages(
        principal, team_id=event.team_id, community_id=event.community_id
    ):
        raise NotFound(object="event", id=event_id)
    return event


async def visible_event(session: AsyncSession, principal: Principal, event_id: int) -> Event:
    """The event if the caller may see it."""
    event = await session.get(Event, event_id)
    if event is None or not sees(principal, event):
        raise NotFound(object="event", id=event_id)
    return event


async def managed_checkin(session: AsyncSession, principal: Principal, checkin_id: int) -> Checkin:
    """The check-in if the caller captains its event's team or administers its community."""
    checkin = await session.get(Checkin, checkin_id)
    if checkin is None or not manages(
        principal, team_id=checkin.team_id, community_id=checkin.community_id
    ):
        raise NotFound(object="checkin", id=checkin_id)
    return checkin
