"""Calendar arithmetic shared by caps, streaks, badges and leaderboards.

All of it works on local dates (the rule set's timezone has already been applied). Weeks are
ISO weeks: they start on Monday, so a week is identified by the date of its Monday.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum

ONE_WEEK = timedelta(days=7)


class Period(StrEnum):
    """A calendar period that a cap counts over."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


def week_start(local_date: date) -> date:
    """The Monday that starts the ISO week containing `local_date`."""
    return local_date - timedelta(days=local_date.weekday())


def period_start(local_date: date, period: Period) -> date:
    """The first day of the `period` containing `local_date`."""
    if period is Period.DAY:
        return local_date
    if period is Period.WEEK:
        return week_start(local_date)
    return local_date.replace(day=1)


def local_date_of(moment: datetime, zone: tzinfo) -> date:
    """The calendar date of a timezone-aware `moment` as seen in `zone`."""
    return moment.astimezone(zone).date()


def weeks_of(local_dates: Iterable[date]) -> frozenset[date]:
    """The Mondays of the weeks in which any of `local_dates` falls."""
    return frozenset(week_start(d) for d in local_dates)


def run_ending(weeks: frozenset[date], last_week: date) -> int:
    """How many consecutive weeks of `weeks` end at (and include) the week of `last_week`."""
    length = 0
    cursor = week_start(last_week)
    while cursor in weeks:
        length += 1
        cursor -= ONE_WEEK
    return length
