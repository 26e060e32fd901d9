"""What the captain's pages share: their refusal page, the captain's teams and events.

The pages are for captains (`Access.CAPTAIN`); which events and check-ins a captain may touch
is `checkin.scope`'s rule (the captains of the event's team, and the admins of its
community): anything else answers 404.
"""

from __future__ import annotations

from datetime import datetime

from litestar.types import ExceptionHandlersMap
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.web.redemption_views import refusal_page
from checkin.models import OPEN, Event
from ledger.errors import Refusal
from organisation.auth import Principal
from organisation.errors import InvalidInput
from organisation.models import Team

MAX_ID = 2**31 - 1
MAX_REASON_CHARS = 200


def reason_of(text: str) -> str:
    """A reason the volunteer will read (a rejection, a cancellation): 1 to 200 characters
    once trimmed, else `invalid_input` naming the field."""
    reason = text.strip()
    if not 1 <= len(reason) <= MAX_REASON_CHARS:
        raise InvalidInput(
            f"reason: say why, in at most {MAX_REASON_CHARS} characters",
            message_zh=f"reason: 请写明原因, 不超过 {MAX_REASON_CHARS} 字",
            field="reason",
        )
    return reason


def refusals(back_href: str) -> ExceptionHandlersMap:
    """Refusals of a captain page as a page with the code, linking back to `back_href`."""
    return {Refusal: refusal_page("captain_refused.html", back_href, "cp_back")}


async def my_teams(session: AsyncSession, principal: Principal) -> list[Team]:
    """The teams the caller captains, in id order."""
    if not principal.captain_of:
        return []
    statement = (
        select(Team).where(col(Team.id).in_(sorted(principal.captain_of))).order_by(col(Team.id))
    )
    return list((await session.execute(statement)).scalars())


async def open_events(session: AsyncSession, principal: Principal, now: datetime) -> list[Event]:
    """Events of the caller's teams open for check-in now, soonest end first."""
    if not principal.captain_of:
        return []
    statement = (
        select(Event)
        .where(
            col(Event.team_id).in_(sorted(principal.captain_of)),
            col(Event.state) == OPEN,
            col(Event.ends_at) > now,
        )
        .order_by(col(Event.ends_at), col(Event.id))
    )
    return list((await session.execute(statement)).scalars())
