"""What evaluation returns: the points and the steps that produced them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rules.explain import explain
from rules.facts import PastAward
from rules.lines import AwardLine


@dataclass(frozen=True)
class Award:
    """The points for one check-in and how they were reached; `points` is the sum of `lines`."""

    activity_id: str
    local_date: date
    duration_minutes: int | None
    points: int
    ruleset_hash: str
    lines: tuple[AwardLine, ...]

    def explanation(self, language: str = "zh") -> str:
        """The steps as a sentence a volunteer can read, in Chinese ("zh") or English ("en")."""
        return explain(self.lines, total_points=self.points, language=language)

    def as_past_award(self, *, team_id: str | None = None) -> PastAward:
        """This award as an entry of the member's history."""
        return PastAward(
            local_date=self.local_date,
            activity_id=self.activity_id,
            points=self.points,
            duration_minutes=self.duration_minutes,
            team_id=team_id,
        )
