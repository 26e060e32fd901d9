"""Test helpers: check-in facts and histories for the evaluation rule set in conftest."""

from __future__ import annotations

from datetime import date

from rules import Facts, History, PastAward, Role

NONE = History()
WEDNESDAY = date(2027, 2, 10)  # a week (from Monday 8 February) outside every campaign


def patrol(
    minutes: int | None = 60,
    on: date = WEDNESDAY,
    *,
    role: Role = Role.VOLUNTEER,
    first: bool | None = False,
) -> Facts:
    """A patrol check-in, by default a volunteer's and not their first."""
    return Facts("patrol", role, on, duration_minutes=minutes, is_first_for_activity=first)


def other(
    activity_id: str,
    minutes: int | None = None,
    on: date = WEDNESDAY,
    *,
    role: Role = Role.VOLUNTEER,
) -> Facts:
    """Another activity's check-in that is not the member's first."""
    return Facts(activity_id, role, on, duration_minutes=minutes, is_first_for_activity=False)


def past(*awards: tuple[str, str, int]) -> History:
    """A history of (ISO date, activity id, points) awards."""
    return History(tuple(PastAward(date.fromisoformat(d), a, p) for d, a, p in awards))
