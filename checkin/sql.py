"""The statements of the scan path, built once (a scan is the service's busiest request).

Building a Core statement costs more client CPU than running it; these are built at import
(the insert once per dialect) with bound parameters, and reused for every scan.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import BindParameter, Integer, Table, bindparam, exists, false, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.dml import Update
from sqlmodel import col

from checkin.models import CLOSED, OPEN, Checkin, Event
from organisation.models import RoleGrant, TeamMembership

checkins: Table = Checkin.__table__  # type: ignore[attr-defined]
events: Table = Event.__table__  # type: ignore[attr-defined]
memberships: Table = TeamMembership.__table__  # type: ignore[attr-defined]
grants: Table = RoleGrant.__table__  # type: ignore[attr-defined]

# Whether :member_id is a member or an active captain of the event's team.
_MEMBER_ID: BindParameter[int] = bindparam("member_id", type_=Integer)
IN_TEAM = or_(
    exists().where(
        memberships.c.team_id == events.c.team_id, memberships.c.member_id == _MEMBER_ID
    ),
    exists().where(
        grants.c.member_id == _MEMBER_ID,
        grants.c.role == "captain",
        grants.c.team_id == events.c.team_id,
        grants.c.revoked_at.is_(None),
    ),
)

# The event of :event_id, and whether :member_id is in its team.
EVENT_FOR_MEMBER = select(Event, IN_TEAM).where(col(Event.id) == bindparam("event_id"))
# The event of :event_id, for someone not logged in.
EVENT_FOR_ANYONE = select(Event, false()).where(col(Event.id) == bindparam("event_id"))
# Whether :member_id is in the team of event :event_id.
IN_TEAM_OF_EVENT = select(IN_TEAM).where(events.c.id == bindparam("event_id"))


def _take_place(states: tuple[str, ...]) -> Update:
    return (
        update(events)
        .where(
            events.c.id == bindparam("event_id_"),
            events.c.state.in_(states),
            events.c.checkin_count < events.c.capacity,
        )
        .values(checkin_count=events.c.checkin_count + 1)
    )


# Take a place of event :event_id_ while it is open (a scan now) or open or closed (an
# offline scan uploaded late), and not full.
TAKE_PLACE: dict[tuple[str, ...], Update] = {s: _take_place(s) for s in ((OPEN,), (OPEN, CLOSED))}

INSERT_COLUMNS = (
    "event_id",
    "community_id",
    "team_id",
    "member_id",
    "method",
    "state",
    "token_sha256",
    "scanned_by",
    "checked_in_at",
    "auto_closed",
    "auto_approved",
    "reason",
    "explanation_zh",
    "explanation_en",
    "reversal_reason",
)


@cache
def insert_checkin(dialect: str) -> Any:
    """INSERT a check-in, doing nothing if the (event, member) pair exists; RETURNING it."""
    dialect_insert = pg_insert if dialect == "postgresql" else sqlite_insert
    # RETURNING the entity loads it through the ORM's loader, which is much cheaper than
    # building the model from the row's values.
    return (
        dialect_insert(Checkin)
        .values({name: bindparam(name) for name in INSERT_COLUMNS})
        .on_conflict_do_nothing(index_elements=["event_id", "member_id"])
        .returning(Checkin)
    )
