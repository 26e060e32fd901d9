"""Leaderboards: points earned in a window, reversals subtracted, expiry ignored, ties shared."""

from __future__ import annotations

from datetime import date

import pytest

from rules import (
    EarningKind,
    EarningRecord,
    Standing,
    Window,
    building_leaderboard,
    member_leaderboard,
    team_leaderboard,
    window_start,
)

TODAY = date(2027, 3, 17)  # a Wednesday; the week began on Monday 15 March
CREDIT, REVERSAL, EXPIRY = EarningKind.CREDIT, EarningKind.REVERSAL, EarningKind.EXPIRY


def record(
    sequence: int,
    member: str,
    day: int,
    points: int,
    kind: EarningKind = CREDIT,
    *,
    teams: tuple[str, ...] = (),
    building: str | None = None,
    reverses_day: int | None = None,
) -> EarningRecord:
    """A record dated `day` March 2027."""
    reversed_on = None if reverses_day is None else date(2027, 3, reverses_day)
    return EarningRecord(
        sequence,
        member,
        date(2027, 3, day),
        points,
        kind,
        teams,
        building,
        reversed_credit_on=reversed_on,
    )


RECORDS = [
    record(1, "alice", 15, 30, teams=("red",), building="b1"),
    record(2, "bob", 15, 50, teams=("blue",), building="b2"),
    record(3, "carol", 16, 30, teams=("red",), building="b1"),
    record(4, "bob", 16, 20, REVERSAL, teams=("blue",), building="b2", reverses_day=15),
    record(5, "dave", 16, 10, teams=("blue",), building="b2"),
    record(6, "erin", 17, 40, teams=("red", "blue"), building="b1"),
    record(7, "alice", 17, 30, EXPIRY, teams=("red",), building="b1"),  # not earning: ignored
    record(8, "frank", 10, 100, teams=("red",), building="b3"),  # last week
    record(9, "frank", 16, 100, REVERSAL, teams=("red",), building="b3", reverses_day=10),
    record(10, "gina", 18, 500, teams=("red",), building="b1"),  # after today: ignored
]


def rows(standings: tuple[Standing, ...]) -> list[tuple[int, str | None, int]]:
    """(rank, id, points) for each standing."""
    return [(s.rank, s.entrant_id, s.points) for s in standings]


def test_weekly_community_board_with_a_reversal_and_a_three_way_tie() -> None:
    """Equal scores share a rank (1, 2, 2, 2, 5) and are listed by who reached the score first."""
    board = member_leaderboard(RECORDS, window=Window.WEEK, today=TODAY)
    # Bob reached 30 at record 2 (he had 50 before the reversal), after Alice and before Carol.
    assert rows(board) == [
        (1, "erin", 40),
        (2, "alice", 30),
        (2, "bob", 30),
        (2, "carol", 30),
        (5, "dave", 10),
    ]


def test_a_reversal_counts_in_the_window_of_the_credit_it_reverses() -> None:
    """A reversal of last week's credit leaves this week's board and zeroes the month."""
    weekly = {s.entrant_id for s in member_leaderboard(RECORDS, window=Window.WEEK, today=TODAY)}
    assert "frank" not in weekly
    monthly = rows(member_leaderboard(RECORDS, window=Window.MONTH, today=TODAY))
    assert monthly[-1] == (6, "frank", 0)


def test_a_reversal_without_its_credit_date_counts_on_its_own_date() -> None:
    """A reversal that does not say which day it reverses is counted on the day it was made."""
    records = [record(1, "ann", 10, 50), record(2, "ann", 16, 20, REVERSAL)]
    assert rows(member_leaderboard(records, window=Window.WEEK, today=TODAY)) == [(1, "ann", -20)]
    assert rows(member_leaderboard(records, window=Window.MONTH, today=TODAY)) == [(1, "ann", 30)]


def test_expiry_is_not_earning() -> None:
    """Expired points neither add to nor subtract from a score."""
    records = [record(1, "ann", 15, 50), record(2, "ann", 16, 50, EXPIRY)]
    assert rows(member_leaderboard(records, window=Window.ALL_TIME, today=TODAY)) == [
        (1, "ann", 50)
    ]


def test_opted_out_members_keep_their_rank_anonymously() -> None:
    """A member who opted out keeps rank and points, without an id, flagged anonymous."""
    board = member_leaderboard(
        RECORDS, window=Window.WEEK, today=TODAY, opted_out_member_ids=frozenset({"carol"})
    )
    assert board[3] == Standing(rank=2, entrant_id=None, points=30, anonymous=True)
    assert not any(s.anonymous for s in board if s.entrant_id is not None)


def test_members_within_a_team_and_within_a_building() -> None:
    """A team's or a building's board ranks only the members who earned there."""
    red = member_leaderboard(RECORDS, window=Window.WEEK, today=TODAY, team_id="red")
    assert rows(red) == [(1, "erin", 40), (2, "alice", 30), (2, "carol", 30)]
    b2 = member_leaderboard(RECORDS, window=Window.WEEK, today=TODAY, building_id="b2")
    assert rows(b2) == [(1, "bob", 30), (2, "dave", 10)]


def test_teams_against_teams() -> None:
    """Teams are ranked on their members' points; a credit counts for every team it names."""
    assert rows(team_leaderboard(RECORDS, window=Window.WEEK, today=TODAY)) == [
        (1, "red", 100),
        (2, "blue", 80),
    ]


def test_buildings_against_buildings() -> None:
    """Buildings are ranked on the points earned by their residents."""
    assert rows(building_leaderboard(RECORDS, window=Window.WEEK, today=TODAY)) == [
        (1, "b1", 100),
        (2, "b2", 40),
    ]
    monthly = rows(building_leaderboard(RECORDS, window=Window.MONTH, today=TODAY))
    assert monthly[-1] == (3, "b3", 0)


def test_tied_teams_are_ordered_by_who_got_there_first_then_by_id() -> None:
    """Tied entrants are listed by the sequence that reached their score, then by id."""
    records = [record(1, "x", 15, 10, teams=("b",)), record(2, "y", 15, 10, teams=("a",))]
    assert rows(team_leaderboard(records, window=Window.WEEK, today=TODAY)) == [
        (1, "b", 10),
        (1, "a", 10),
    ]
    same_time = [record(1, "x", 15, 10, teams=("b", "a"))]
    assert rows(team_leaderboard(same_time, window=Window.WEEK, today=TODAY)) == [
        (1, "a", 10),
        (1, "b", 10),
    ]


@pytest.mark.parametrize(
    ("window", "start"),
    [
        (Window.WEEK, date(2027, 3, 15)),
        (Window.MONTH, date(2027, 3, 1)),
        (Window.YEAR, date(2027, 1, 1)),
        (Window.ALL_TIME, None),
    ],
)
def test_windows_are_calendar_periods_containing_today(window: Window, start: date | None) -> None:
    """Weekly boards start on Monday, monthly on the 1st, yearly on 1 January; all-time never."""
    assert window_start(window, today=TODAY) == start


def test_negative_record_sizes_are_a_bug() -> None:
    """A record's points are a size; the sign comes from its kind."""
    with pytest.raises(ValueError, match="never negative"):
        record(1, "ann", 15, -5)
