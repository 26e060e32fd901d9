"""Simulation: what past check-ins would have earned under a draft rule set."""

from __future__ import annotations

from datetime import date

from rules import PastRecord, RuleSet, load_text, simulate
from tests.rules.checkins import other, patrol
from tests.rules.conftest import EVALUATION_RULES


def test_simulation_compares_each_record_and_totals() -> None:
    """Each row shows awarded, would-award and difference; caps use the draft's own history."""
    draft = load_text(EVALUATION_RULES.replace("base_points = 20", "base_points = 30"))
    records = [
        PastRecord("r1", "m1", patrol(), awarded_points=50),
        PastRecord("r2", "m1", patrol(), awarded_points=40),
        PastRecord("r3", "m2", patrol(), awarded_points=50),
    ]
    result = simulate(records, draft)
    # r1: 30 base + 20 time + 10 first time. r2: 50, cut to 30 by the 90-point daily patrol
    # cap after the draft's own 60 for r1. r3: another member, so a first time again.
    assert [
        (r.record_id, r.awarded_points, r.would_award_points, r.difference_points)
        for r in result.rows
    ] == [
        ("r1", 50, 60, 10),
        ("r2", 40, 30, -10),
        ("r3", 50, 60, 10),
    ]
    assert (result.awarded_total_points, result.would_award_total_points) == (140, 150)
    assert result.difference_total_points == 10
    assert result.ruleset_hash == draft.hash


def test_simulating_the_current_rule_set_changes_nothing(ruleset: RuleSet) -> None:
    """Re-running records under the rule set that awarded them shows no difference."""
    records = [
        PastRecord("r1", "m1", patrol(), awarded_points=50),
        PastRecord("r2", "m1", patrol(), awarded_points=40),
        PastRecord("r3", "m1", other("talk", 61), awarded_points=10),  # 21, overall day cap
    ]
    result = simulate(records, ruleset)
    assert [row.difference_points for row in result.rows] == [0, 0, 0]


def test_activity_missing_from_the_draft_would_award_nothing_but_keeps_the_streak() -> None:
    """A record of a dropped activity would get 0, is flagged, and still extends the streak."""
    draft = load_text(EVALUATION_RULES.replace("[activities.talk]", "[activities.lecture]"))
    records = [
        PastRecord("r1", "m1", other("talk", 61, on=date(2027, 2, 3)), awarded_points=21),
        PastRecord("r2", "m1", patrol(), awarded_points=50),
    ]
    first, second = simulate(records, draft).rows
    assert (first.would_award_points, first.unknown_activity) == (0, True)
    assert (second.would_award_points, second.unknown_activity) == (55, False)  # 50 + 5 streak
