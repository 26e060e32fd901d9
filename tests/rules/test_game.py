"""The game: levels by lifetime points, badges earned once, and weekly streaks."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from rules import (
    History,
    PastAward,
    RuleSet,
    badges_earned,
    level_for,
    load_default,
    load_text,
    weekly_streak,
)
from tests.rules.tomlgen import HEADER

MONDAY = date(2027, 3, 1)


@pytest.fixture(scope="module")
def default() -> RuleSet:
    """The shipped rule set, whose levels and badges these tests describe."""
    return load_default()


LEVELS = [
    (0, "newcomer", "neighbour", 100),
    (99, "newcomer", "neighbour", 1),
    (100, "neighbour", "mainstay", 400),
    (1499, "mainstay", "champion", 1),
    (5000, "exemplar", None, None),
    (123_456, "exemplar", None, None),
]


@pytest.mark.parametrize(("earned", "level", "next_level", "to_next"), LEVELS)
def test_level_for_lifetime_points(
    default: RuleSet, earned: int, level: str, next_level: str | None, to_next: int | None
) -> None:
    """The level is the highest one reached; the progress names the next and the points to it."""
    progress = level_for(earned, default)
    assert progress.level.level_id == level
    assert (progress.next_level.level_id if progress.next_level else None) == next_level
    assert progress.points_to_next == to_next


def test_levels_have_names_in_both_languages(default: RuleSet) -> None:
    """Every level of the shipped ladder is named in Chinese and in English."""
    assert [(lv.name_zh, lv.name_en) for lv in default.levels][:2] == [
        ("志愿新星", "New volunteer"),
        ("热心邻居", "Helpful neighbour"),
    ]


def test_a_reversal_that_lowers_lifetime_points_can_lower_the_level(default: RuleSet) -> None:
    """Lifetime points after a reversal decide the level, so a reversal can lower it."""
    assert level_for(100, default).level.level_id == "neighbour"
    assert level_for(100 - 20, default).level.level_id == "newcomer"


def test_negative_lifetime_points_are_a_bug(default: RuleSet) -> None:
    """A negative lifetime total is not a possible input and is rejected."""
    with pytest.raises(ValueError, match="never negative"):
        level_for(-1, default)


def test_custom_level_ladder_from_the_rule_set() -> None:
    """A rule set's own ladder replaces the default one."""
    text = HEADER + '[activities.a]\nname_zh = "甲"\nname_en = "A"\n'
    for level_id, points in (("bronze", 0), ("silver", 10)):
        text += (
            f'[[levels]]\nid = "{level_id}"\nmin_points = {points}\nname_zh = "级"\nname_en = "L"\n'
        )
    assert level_for(10, load_text(text)).level.level_id == "silver"
    assert level_for(9, load_text(text)).points_to_next == 1


def award(
    on: date, activity_id: str, *, points: int = 10, minutes: int = 60, team: str = "red"
) -> PastAward:
    """One approved check-in for the badge tests."""
    return PastAward(on, activity_id, points, duration_minutes=minutes, team_id=team)


def earned(history: History, ruleset: RuleSet) -> dict[str, date]:
    """Badge id -> date earned."""
    return {badge.badge_id: badge.earned_on for badge in badges_earned(history, ruleset)}


def test_first_patrol_is_earned_once_on_the_first_patrol(default: RuleSet) -> None:
    """The first-patrol badge is dated by the first patrol and not earned again by later ones."""
    history = History(
        (award(MONDAY, "safety_patrol"), award(MONDAY + timedelta(days=3), "safety_patrol"))
    )
    badges = badges_earned(history, default)
    assert [(b.badge_id, b.earned_on) for b in badges] == [("first_patrol", MONDAY)]
    assert (badges[0].name_zh, badges[0].name_en) == ("首次巡逻", "First patrol")


def test_ten_elder_birthdays_is_dated_by_the_tenth(default: RuleSet) -> None:
    """The ten-birthdays badge is earned on the date of the tenth birthday party, not before."""
    days = [MONDAY + timedelta(days=3 * i) for i in range(10)]
    nine = History(tuple(award(d, "elderly_collective_birthday") for d in days[:9]))
    ten = History(tuple(award(d, "elderly_collective_birthday") for d in reversed(days)))
    assert "ten_elder_birthdays" not in earned(nine, default)
    assert earned(ten, default)["ten_elder_birthdays"] == days[9]


def test_twelve_week_streak_needs_twelve_consecutive_weeks(default: RuleSet) -> None:
    """The streak badge is earned in the twelfth consecutive week with an approved activity."""
    weeks = [MONDAY + timedelta(weeks=i, days=2) for i in range(12)]
    assert (
        earned(History(tuple(award(d, "science_fitness") for d in weeks)), default)[
            "twelve_week_streak"
        ]
        == weeks[11]
    )
    broken = weeks[:6] + [d + timedelta(weeks=1) for d in weeks[6:]]
    assert "twelve_week_streak" not in earned(
        History(tuple(award(d, "science_fitness") for d in broken)), default
    )


def test_approved_dates_without_awards_count_towards_streak_badges(default: RuleSet) -> None:
    """Approved activity recorded only as a date still extends a streak towards its badge."""
    weeks = [MONDAY + timedelta(weeks=i) for i in range(12)]
    history = History(
        tuple(award(d, "science_fitness") for d in weeks[:11]), approved_dates=(weeks[11],)
    )
    assert earned(history, default)["twelve_week_streak"] == weeks[11]


def test_hundred_hours_must_fall_within_one_calendar_year(default: RuleSet) -> None:
    """6,000 minutes in one calendar year earn the badge; the same split over two years does not."""
    split = History(
        (
            award(date(2026, 12, 20), "legal_aid_day", minutes=3000),
            award(date(2027, 1, 5), "legal_aid_day", minutes=3000),
        )
    )
    assert "hundred_hours_in_a_year" not in earned(split, default)
    same = History(
        (
            award(date(2027, 1, 5), "legal_aid_day", minutes=3000),
            award(date(2027, 12, 31), "legal_aid_day", minutes=3000),
        )
    )
    assert earned(same, default)["hundred_hours_in_a_year"] == date(2027, 12, 31)


def test_three_teams_counts_distinct_teams(default: RuleSet) -> None:
    """Serving with a third different team earns the badge; serving the same team again does not."""
    teams = ["red", "blue", "red", "ribbon"]
    history = History(
        tuple(
            award(MONDAY + timedelta(days=i), "arts_performance", team=t)
            for i, t in enumerate(teams)
        )
    )
    assert earned(history, default)["three_teams"] == MONDAY + timedelta(days=3)


def test_lifetime_points_badge_is_dated_by_the_crossing_award(default: RuleSet) -> None:
    """The 1,000-point badge is dated by the award that brings lifetime points to 1,000."""
    history = History(
        tuple(award(MONDAY + timedelta(days=i), "new_year_banquet", points=250) for i in range(5))
    )
    assert earned(history, default)["thousand_points"] == MONDAY + timedelta(days=3)


def test_no_history_no_badges(default: RuleSet) -> None:
    """A member with no approved activity has no badges."""
    assert badges_earned(History(), default) == []


STREAKS = [
    ("no activity", [], 0, 0),
    ("this week and the two before", [-14, -7, 0], 3, 3),
    ("several dates in one week count once", [-2, -1, 0], 1, 1),
    ("last week only: the streak lives until this week ends", [-7], 1, 1),
    ("two weeks ago only: broken", [-14], 0, 1),
    ("longest run before a gap", [-49, -42, -35, -21, -14], 0, 3),
    ("dates after today are ignored", [0, 7, 14], 1, 1),
]


@pytest.mark.parametrize(
    ("days", "current", "longest"), [s[1:] for s in STREAKS], ids=[s[0] for s in STREAKS]
)
def test_weekly_streak(days: list[int], current: int, longest: int) -> None:
    """Streaks count consecutive Monday-start weeks that have an approved activity."""
    today = date(2027, 3, 17)  # a Wednesday
    status = weekly_streak([today + timedelta(days=d) for d in days], today=today)
    assert (status.current_weeks, status.longest_weeks) == (current, longest)


def test_weeks_start_on_monday() -> None:
    """A Sunday and the next Monday are two weeks in a row; a Monday and its Sunday are one week."""
    sunday, monday = date(2027, 3, 14), date(2027, 3, 15)
    assert weekly_streak([sunday, monday], today=monday).current_weeks == 2
    assert (
        weekly_streak(
            [monday, monday + timedelta(days=6)], today=monday + timedelta(days=6)
        ).current_weeks
        == 1
    )
