"""Leaderboards: a pure ranking over earning records.

Score: points earned in the window, i.e. credits minus reversals. Expiry is not earning and
is not counted at all (it only lowers a balance). A reversal counts in the window of the
credit it reverses when `reversed_credit_on` is given, else on its own date.

Windows are calendar periods containing `today`, up to and including `today`: the ISO week
(from Monday), the month, the year, or all time. Records dated after `today` are ignored.

Ranking is competition ranking ("1, 2, 2, 4"): equal scores share a rank. Within a rank,
entrants are listed by who reached their total first (the earliest ledger sequence after
which their running total in the window was at least their final total), then by id.
Members who opted out of public leaderboards keep their rank and score but are listed
without their id (`anonymous=True`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from rules.periods import week_start


class EarningKind(StrEnum):
    """What an earning record is."""

    CREDIT = "credit"
    REVERSAL = "reversal"
    EXPIRY = "expiry"


class Window(StrEnum):
    """The calendar period a leaderboard covers, relative to `today`."""

    WEEK = "week"
    MONTH = "month"
    YEAR = "year"
    ALL_TIME = "all_time"


@dataclass(frozen=True)
class EarningRecord:
    """One ledger entry that bears on earning; `points` is its size, never negative."""

    sequence: int  # ledger order: a smaller sequence happened earlier
    member_id: str
    local_date: date
    points: int
    kind: EarningKind
    team_ids: tuple[str, ...] = ()  # teams the credit counts for
    building_id: str | None = None
    reversed_credit_on: date | None = None  # for a reversal: the local date of its credit

    def __post_init__(self) -> None:
        if self.points < 0:
            msg = f"record {self.sequence}: points are a size, never negative, got {self.points}"
            raise ValueError(msg)


@dataclass(frozen=True)
class Standing:
    """One row of a leaderboard; `entrant_id` is None when the member is anonymous."""

    rank: int
    entrant_id: str | None
    points: int
    anonymous: bool = False


def window_start(window: Window, *, today: date) -> date | None:
    """The first day of `window` as of `today`; None for all time."""
    match window:
        case Window.WEEK:
            return week_start(today)
        case Window.MONTH:
            return today.replace(day=1)
        case Window.YEAR:
            return today.replace(month=1, day=1)
        case Window.ALL_TIME:
            return None


def _signed_in_window(record: EarningRecord, start: date | None, today: date) -> int | None:
    """The record's contribution to the score, or None if it does not count in the window."""
    if record.kind is EarningKind.EXPIRY or record.local_date > today:
        return None
    counts_on = record.local_date
    if record.kind is EarningKind.REVERSAL and record.reversed_credit_on is not None:
        counts_on = record.reversed_credit_on
    if start is not None and counts_on < start:
        return None
    return -record.points if record.kind is EarningKind.REVERSAL else record.points


def _rank(
    records: Iterable[EarningRecord],
    entrants_of: Callable[[EarningRecord], Iterable[str]],
    *,
    window: Window,
    today: date,
) -> list[tuple[int, str, int]]:
    """(rank, entrant id, points) in leaderboard order."""
    start = window_start(window, today=today)
    history: dict[str, list[tuple[int, int]]] = {}  # entrant -> (sequence, running total)
    for record in sorted(records, key=lambda r: r.sequence):
        signed = _signed_in_window(record, start, today)
        if signed is None:
            continue
        for entrant in dict.fromkeys(entrants_of(record)):  # dedupe, keep order
            runs = history.setdefault(entrant, [])
            runs.append((record.sequence, (runs[-1][1] if runs else 0) + signed))
    ordered = []
    for entrant, runs in history.items():
        total = runs[-1][1]
        reached_at = next(sequence for sequence, running in runs if running >= total)
        ordered.append((-total, reached_at, entrant))
    ordered.sort()
    rows: list[tuple[int, str, int]] = []
    for position, (negated, _, entrant) in enumerate(ordered, start=1):
        shares = rows and rows[-1][2] == -negated
        rows.append((rows[-1][0] if shares else position, entrant, -negated))
    return rows


def member_leaderboard(
    records: Iterable[EarningRecord],
    *,
    window: Window,
    today: date,
    team_id: str | None = None,
    building_id: str | None = None,
    opted_out_member_ids: frozenset[str] = frozenset(),
) -> tuple[Standing, ...]:
    """Members ranked within a team, a building, both, or the whole community (neither)."""

    def members(record: EarningRecord) -> Iterable[str]:
        in_team = team_id is None or team_id in record.team_ids
        in_building = building_id is None or record.building_id == building_id
        return (record.member_id,) if in_team and in_building else ()

    return tuple(
        Standing(rank, None, points, anonymous=True)
        if member in opted_out_member_ids
        else Standing(rank, member, points)
        for rank, member, points in _rank(records, members, window=window, today=today)
    )


def team_leaderboard(
    records: Iterable[EarningRecord], *, window: Window, today: date
) -> tuple[Standing, ...]:
    """Teams ranked against each other; a record counts for every team it names."""
    rows = _rank(records, lambda r: r.team_ids, window=window, today=today)
    return tuple(Standing(rank, team, points) for rank, team, points in rows)


def building_leaderboard(
    records: Iterable[EarningRecord], *, window: Window, today: date
) -> tuple[Standing, ...]:
    """Buildings ranked against each other; records without a building are left out."""

    def buildings(record: EarningRecord) -> Iterable[str]:
        return () if record.building_id is None else (record.building_id,)

    rows = _rank(records, buildings, window=window, today=today)
    return tuple(Standing(rank, building, points) for rank, building, points in rows)
