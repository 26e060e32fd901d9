"""Participation read from the check-in tables: who served, in what, from which team and
building, over a period of local dates.

What counts: approved check-ins whose local date (the event's start on the community's
clock, as recorded at approval) falls in [first, last]. Pending and rejected check-ins never
counted; reversed ones are left out too, since a reversal says the credit was a mistake. A
check-in counts for its event's activity and team, and for the member's building as it is
now (members without a building, erased ones included, fall under `None`). Each breakdown
therefore adds up to the same total of check-ins and points; volunteers are distinct per
row, so a volunteer who served in two teams counts once in each.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from checkin.models import APPROVED, Checkin, Event
from organisation.models import Building, Member, Team


@dataclass(frozen=True)
class Share:
    """One row of a breakdown: its key (activity id, team id or building id), a name for
    people, and what happened under it."""

    key: str | int | None
    name: str
    checkins: int
    volunteers: int
    points: int


@dataclass(frozen=True)
class Participation:
    """Totals over the period and the three breakdowns, largest first."""

    first: date
    last: date
    checkins: int
    volunteers: int
    points: int
    by_activity: tuple[Share, ...]
    by_team: tuple[Share, ...]
    by_building: tuple[Share, ...]


def _window(community_id: int, first: date, last: date) -> list[Any]:
    return [
        Checkin.community_id == community_id,
        Checkin.state == APPROVED,
        col(Checkin.local_date) >= first,
        col(Checkin.local_date) <= last,
    ]


def _measures() -> tuple[Any, Any, Any]:
    return (
        func.count(col(Checkin.id)),
        func.count(func.distinct(col(Checkin.member_id))),
        func.coalesce(func.sum(col(Checkin.points)), 0),
    )


async def _grouped(
    session: AsyncSession, key: Any, where: list[Any], *, join_event: bool, join_member: bool
) -> list[tuple[Any, int, int, int]]:
    statement = select(key, *_measures()).select_from(Checkin)
    if join_event:
        statement = statement.join(Event, col(Event.id) == Checkin.event_id)
    if join_member:
        statement = statement.join(Member, col(Member.id) == Checkin.member_id)
    statement = statement.where(*where).group_by(key)
    return [(k, int(n), int(v), int(p)) for k, n, v, p in await session.execute(statement)]


async def _names(
    session: AsyncSession, model: type[Team] | type[Building], ids: list[int]
) -> dict[int, str]:
    if not ids:
        return {}
    statement = select(col(model.id), col(model.name)).where(col(model.id).in_(ids))
    return {i or 0: name for i, name in await session.execute(statement)}


def _shares(rows: list[tuple[Any, int, int, int]], names: Mapping[Any, str]) -> tuple[Share, ...]:
    shares = [
        Share(key, names.get(key, "" if key is None else str(key)), n, v, p)
        for key, n, v, p in rows
    ]
    # Largest first; ties by name, then key, so the order never depends on the database.
    shares.sort(key=lambda s: (-s.checkins, -s.points, s.name, str(s.key)))
    return tuple(shares)


async def participation(
    session: AsyncSession,
    *,
    community_id: int,
    first: date,
    last: date,
    activity_names: Mapping[str, str] | None = None,
) -> Participation:
    """Approved check-ins of the community with local dates in [first, last], broken down
    by activity, team and building. `activity_names` names activities (ids otherwise)."""
    where = _window(community_id, first, last)
    total = (await session.execute(select(*_measures()).where(*where))).one()
    activity = await _grouped(
        session, col(Event.activity_id), where, join_event=True, join_member=False
    )
    team = await _grouped(session, col(Checkin.team_id), where, join_event=False, join_member=False)
    building = await _grouped(
        session, col(Member.building_id), where, join_event=False, join_member=True
    )
    team_names = await _names(session, Team, [k for k, *_ in team])
    building_names = await _names(session, Building, [k for k, *_ in building if k is not None])
    return Participation(
        first=first,
        last=last,
        checkins=int(total[0]),
        volunteers=int(total[1]),
        points=int(total[2]),
        by_activity=_shares(activity, activity_names or {}),
        by_team=_shares(team, team_names),
        by_building=_shares(building, building_names),
    )
