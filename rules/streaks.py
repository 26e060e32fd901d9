"""Weekly streaks: consecutive ISO weeks (Monday to Sunday) with an approved activity."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from rules.periods import ONE_WEEK, run_ending, week_start, weeks_of


@dataclass(frozen=True)
class StreakStatus:
    """The current and the longest weekly streak, in weeks."""

    current_weeks: int
    longest_weeks: int


def weekly_streak(activity_dates: Iterable[date], *, today: date) -> StreakStatus:
    """Streaks as of `today` (a local date) from the dates of approved activities.

    The current streak ends this week, or last week if there is no activity yet this week:
    a week that is not over has not broken the streak. Dates after `today` are ignored.
    """
    weeks = weeks_of(d for d in activity_dates if d <= today)
    this_week = week_start(today)
    current = run_ending(weeks, this_week) or run_ending(weeks, this_week - ONE_WEEK)
    longest = 0
    for week in weeks:
        if week - ONE_WEEK not in weeks:  # only count from the start of each run
            longest = max(longest, run_ending(weeks, _run_end(weeks, week)))
    return StreakStatus(current_weeks=current, longest_weeks=longest)


def _run_end(weeks: frozenset[date], week: date) -> date:
    while week + ONE_WEEK in weeks:
        week += ONE_WEEK
    return week
