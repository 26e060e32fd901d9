"""What evaluation takes in: the facts of one check-in and the member's history.

Both are plain immutable values assembled by the caller (the check-in service reads them
from the database); the rules never look anything up themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from rules.model import Role
from rules.periods import Period, period_start


@dataclass(frozen=True)
class Facts:
    """One approved check-in to be evaluated.

    Give either `started_at` and `ended_at` (timezone-aware) or `duration_minutes`, or
    neither when the activity is not timed. `local_date` is the event's date in the rule
    set's timezone; when omitted it is derived from `started_at`. `is_first_for_activity`
    overrides what the history says (None: derive it from the history).
    """

    activity_id: str
    role: Role = Role.VOLUNTEER
    local_date: date | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration_minutes: int | None = None
    is_first_for_activity: bool | None = None


@dataclass(frozen=True)
class PastAward:
    """A prior approved check-in of the member and the points it was awarded.

    A reversed credit is passed with the points that remain after the reversal (usually 0)
    or left out altogether if its check-in no longer counts as approved. `duration_minutes`
    and `team_id` are only needed by badges.
    """

    local_date: date
    activity_id: str
    points: int
    duration_minutes: int | None = None
    team_id: str | None = None

    def __post_init__(self) -> None:
        if self.points < 0:
            msg = f"an award is never negative, got {self.points}"
            raise ValueError(msg)


@dataclass(frozen=True)
class History:
    """A member's prior awards, plus dates of approved activity that carry no award here.

    `approved_dates` is for activity that counts towards streaks but is not among `awards`,
    e.g. service imported from a paper register; the dates of `awards` count by themselves.
    The order of either sequence does not matter.
    """

    awards: tuple[PastAward, ...] = ()
    approved_dates: tuple[date, ...] = ()

    def activity_dates(self) -> frozenset[date]:
        """Every local date on which the member had an approved activity."""
        return frozenset(a.local_date for a in self.awards) | frozenset(self.approved_dates)

    def points_in(self, period: Period, local_date: date, activity_id: str | None = None) -> int:
        """Points earned in the `period` containing `local_date`, for one activity or all."""
        start = period_start(local_date, period)
        return sum(
            award.points
            for award in self.awards
            if period_start(award.local_date, period) == start
            and (activity_id is None or award.activity_id == activity_id)
        )

    def has_done(self, activity_id: str) -> bool:
        """Whether any prior award was for `activity_id`."""
        return any(award.activity_id == activity_id for award in self.awards)

    def with_award(self, award: PastAward) -> History:
        """This history with `award` appended."""
        return History(awards=(*self.awards, award), approved_dates=self.approved_dates)
