"""The game around volunteering, read from the check-in tables: a member's lifetime points,
level, badges and weekly streaks, and the leaderboards of a community.

What counts as earned: the points of approved check-ins, on the event's local date (as the
rules reckoned it at approval). A reversed check-in's credit still counts in its window and
its reversal takes the same points off there (the rules' `reversed_credit_on`), so it nets
to nothing; reversals therefore demote. Pending and rejected check-ins never count; spending,
refunds and points expiry are not earning. The arithmetic (levels, badges, streaks, ranking,
tie-breaks) is `rules`'; this module reads the facts and names the entrants.

Leaderboard entrants are members (within a team, a building, or the whole community), teams
and buildings. A member's building is the one on record now; a check-in counts for its
event's team. Members who opted out keep their place and points but are listed without a
name; the caller's own row is marked (`mine`), also when it is anonymous to everyone else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, tzinfo
from enum import StrEnum

import sqlalchemy
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

import rules
from checkin import credit, rulesets
from checkin.models import APPROVED, REVERSED, Checkin
from checkin.times import as_utc
from organisation.models import Building, Member, Team

BOARD_SIZE = 20


@dataclass(frozen=True)
class MemberGame:
    """Where a member stands: lifetime points earned, level, badges and streaks."""

    earned_points: int
    level: rules.LevelProgress
    badges: tuple[rules.EarnedBadge, ...]
    badges_total: int
    streak: rules.StreakStatus
    today: date


async def member_game(
    session: AsyncSession, *, member_id: int, community_id: int, now: datetime
) -> MemberGame:
    """The member's level, badges and streaks under the community's rules in force."""
    ruleset = (await rulesets.active(session, community_id=community_id)).ruleset
    history = await credit.history(
        session, member_id=member_id, community_id=community_id, excluding=0
    )
    earned = sum(award.points for award in history.awards)
    today = as_utc(now).astimezone(ruleset.zone).date()
    return MemberGame(
        earned_points=earned,
        level=rules.level_for(earned, ruleset),
        badges=tuple(rules.badges_earned(history, ruleset)),
        badges_total=len(ruleset.badges),
        streak=rules.weekly_streak(history.activity_dates(), today=today),
        today=today,
    )


class Board(StrEnum):
    """Who is ranked: members of a team, of a building, of the community; teams; buildings."""

    TEAM = "team"
    BUILDING = "building"
    COMMUNITY = "community"
    TEAMS = "teams"
    BUILDINGS = "buildings"


@dataclass(frozen=True)
class Row:
    """One line of a leaderboard; `name` is None for an anonymous member."""

    rank: int
    entrant_id: int | None
    name: str | None
    name_en: str | None
    points: int
    mine: bool


@dataclass(frozen=True)
class Leaderboard:
    """The top rows, and the caller's row when it is not among them."""

    board: Board
    window: rules.Window
    since: date | None
    rows: tuple[Row, ...]
    mine_below: Row | None
    entrants: int


async def earning_records(
    session: AsyncSession, *, community_id: int, since: date | None, zone: tzinfo
) -> list[rules.EarningRecord]:
    """Credits (and reversals of credits) of check-ins dated from `since` (None: ever)."""
    # Columns, not Checkin objects: a whole community's credits may be many rows.
    statement = (
        sqlalchemy.select(  # sqlmodel's select takes at most four columns
            col(Checkin.ledger_seq),
            col(Checkin.member_id),
            col(Checkin.local_date),
            col(Checkin.points),
            col(Checkin.team_id),
            col(Checkin.state),
            col(Checkin.reversal_seq),
            col(Checkin.reversed_at),
            col(Checkin.checked_in_at),
            col(Member.building_id),
        )
        .join(Member, col(Member.id) == col(Checkin.member_id))
        .where(
            col(Checkin.community_id) == community_id,
            col(Checkin.state).in_((APPROVED, REVERSED)),
            col(Checkin.ledger_seq).is_not(None),
            col(Checkin.local_date).is_not(None),
        )
    )
    if since is not None:
        statement = statement.where(col(Checkin.local_date) >= since)
    records = []
    for row in await session.execute(statement):
        seq, member_id, local_date, points, team_id, state, reversal_seq = row[:7]
        reversed_at, checked_in_at, building_id = row[7:]
        assert seq is not None  # both are in the WHERE clause
        assert local_date is not None
        credited = rules.EarningRecord(
            seq,
            member_id=str(member_id),
            local_date=local_date,
            points=points or 0,
            kind=rules.EarningKind.CREDIT,
            team_ids=(str(team_id),),
            building_id=None if building_id is None else str(building_id),
        )
        records.append(credited)
        if state == REVERSED and reversal_seq is not None:
            records.append(
                replace(
                    credited,
                    sequence=reversal_seq,
                    local_date=as_utc(reversed_at or checked_in_at).astimezone(zone).date(),
                    kind=rules.EarningKind.REVERSAL,
                    reversed_credit_on=local_date,
                )
            )
    return records


def _standings(
    records: Sequence[rules.EarningRecord],
    board: Board,
    *,
    window: rules.Window,
    today: date,
    scope_id: int | None,
    opted_out: frozenset[str],
) -> tuple[tuple[rules.Standing, ...], tuple[rules.Standing, ...]]:
    """The public standings and the same standings with every name (to find the caller)."""
    if board is Board.TEAMS:
        rows = rules.team_leaderboard(records, window=window, today=today)
        return rows, rows
    if board is Board.BUILDINGS:
        rows = rules.building_leaderboard(records, window=window, today=today)
        return rows, rows
    team_id = str(scope_id) if board is Board.TEAM else None
    building_id = str(scope_id) if board is Board.BUILDING else None
    public = rules.member_leaderboard(
        records,
        window=window,
        today=today,
        team_id=team_id,
        building_id=building_id,
        opted_out_member_ids=opted_out,
    )
    named = rules.member_leaderboard(
        records, window=window, today=today, team_id=team_id, building_id=building_id
    )
    return public, named


async def _names(
    session: AsyncSession, board: Board, ids: set[int]
) -> dict[int, tuple[str | None, str | None]]:
    """Names (Chinese, English) of the entrants; members have one name for both."""
    if not ids:
        return {}
    if board is Board.TEAMS:
        teams = await session.execute(select(Team).where(col(Team.id).in_(sorted(ids))))
        return {t.id or 0: (t.name, t.name_en or t.name) for t in teams.scalars()}
    if board is Board.BUILDINGS:
        found = await session.execute(select(Building).where(col(Building.id).in_(sorted(ids))))
        return {b.id or 0: (b.name, b.name) for b in found.scalars()}
    members = await session.execute(
        select(col(Member.id), col(Member.display_name)).where(col(Member.id).in_(sorted(ids)))
    )
    return {member_id or 0: (name, name) for member_id, name in members}


async def _opted_out(session: AsyncSession, community_id: int) -> frozenset[str]:
    statement = select(col(Member.id)).where(
        col(Member.community_id) == community_id, col(Member.leaderboard_opt_out).is_(True)
    )
    return frozenset(str(member_id) for member_id in (await session.execute(statement)).scalars())


def _mine(
    board: Board, member_id: int, team_ids: frozenset[int], building_id: int | None
) -> set[str]:
    if board is Board.TEAMS:
        return {str(t) for t in team_ids}
    if board is Board.BUILDINGS:
        return set() if building_id is None else {str(building_id)}
    return {str(member_id)}


async def leaderboard(
    session: AsyncSession,
    *,
    member: Member,
    team_ids: frozenset[int],
    board: Board,
    scope_id: int | None,
    window: rules.Window,
    now: datetime,
    size: int = BOARD_SIZE,
) -> Leaderboard:
    """A leaderboard of the member's community as the member sees it: the top `size` rows,
    and the member's own row (or their team's or building's) if it is further down."""
    assert member.id is not None
    ruleset = (await rulesets.active(session, community_id=member.community_id)).ruleset
    today = as_utc(now).astimezone(ruleset.zone).date()
    since = rules.window_start(window, today=today)
    records = await earning_records(
        session, community_id=member.community_id, since=since, zone=ruleset.zone
    )
    opted_out = await _opted_out(session, member.community_id)
    public, named = _standings(
        records, board, window=window, today=today, scope_id=scope_id, opted_out=opted_out
    )
    mine = _mine(board, member.id, team_ids, member.building_id)
    marked = [
        (shown, named_row.entrant_id in mine)
        for shown, named_row in zip(public, named, strict=True)
    ]
    shown = marked[:size] + [m for m in marked[size:] if m[1]][:1]
    names = await _names(
        session, board, {int(s.entrant_id) for s, _ in shown if s.entrant_id is not None}
    )
    rows = []
    for standing, is_mine in shown:
        entrant = None if standing.entrant_id is None else int(standing.entrant_id)
        name_zh, name_en = names.get(entrant, (None, None)) if entrant is not None else (None, None)
        rows.append(Row(standing.rank, entrant, name_zh, name_en, standing.points, is_mine))
    return Leaderboard(
        board=board,
        window=window,
        since=since,
        rows=tuple(rows[:size]),
        mine_below=rows[size] if len(rows) > size else None,
        entrants=len(public),
    )
