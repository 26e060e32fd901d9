"""What-if: re-run past check-ins under a draft rule set and compare with what was awarded.

Pure: it takes the records and the draft and returns rows; reading the records and
printing the report belong to the caller (the CLI).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from rules.errors import UnknownActivity
from rules.evaluate import evaluate, event_local_date
from rules.facts import Facts, History
from rules.model import RuleSet


@dataclass(frozen=True)
class PastRecord:
    """A past approved check-in: its facts and the points actually awarded for it."""

    record_id: str
    member_id: str
    facts: Facts
    awarded_points: int
    team_id: str | None = None


@dataclass(frozen=True)
class SimulationRow:
    """One record under the draft: what it got, what it would get, and the difference."""

    record_id: str
    member_id: str
    awarded_points: int
    would_award_points: int
    difference_points: int  # would_award_points - awarded_points
    unknown_activity: bool = False  # the draft has no such activity, so it would award 0


@dataclass(frozen=True)
class Simulation:
    """Every row, the totals and the hash of the draft that was simulated."""

    ruleset_hash: str
    rows: tuple[SimulationRow, ...]
    awarded_total_points: int
    would_award_total_points: int
    difference_total_points: int


def simulate(records: Iterable[PastRecord], ruleset: RuleSet) -> Simulation:
    """Re-evaluate `records` (in chronological order) under the draft `ruleset`.

    Each member's history is the draft's own awards for that member's earlier records, so
    caps, streaks and first-time bonuses are those the draft would have produced; a fact's
    explicit `is_first_for_activity` is therefore ignored and derived again. Records before
    the first one given are not known to the simulation.
    """
    histories: dict[str, History] = {}
    rows = []
    for record in records:
        history = histories.get(record.member_id, History())
        facts = replace(record.facts, is_first_for_activity=None)
        try:
            award = evaluate(facts, history, ruleset)
        except UnknownActivity:
            would_award, unknown = 0, True
            # The service still happened: it keeps counting towards the member's streak.
            dates = (*history.approved_dates, event_local_date(facts, ruleset))
            histories[record.member_id] = History(awards=history.awards, approved_dates=dates)
        else:
            would_award, unknown = award.points, False
            histories[record.member_id] = history.with_award(
                award.as_past_award(team_id=record.team_id)
            )
        rows.append(
            SimulationRow(
                record_id=record.record_id,
                member_id=record.member_id,
                awarded_points=record.awarded_points,
                would_award_points=would_award,
                difference_points=would_award - record.awarded_points,
                unknown_activity=unknown,
            )
        )
    awarded = sum(row.awarded_points for row in rows)
    would = sum(row.would_award_points for row in rows)
    return Simulation(
        ruleset_hash=ruleset.hash,
        rows=tuple(rows),
        awarded_total_points=awarded,
        would_award_total_points=would,
        difference_total_points=would - awarded,
    )
