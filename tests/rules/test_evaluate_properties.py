"""Properties of evaluation that hold for any rule set, facts and history."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import replace
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from rules import Award, Facts, History, PastAward, Role, RuleSet, evaluate, load_text
from tests.rules.tomlgen import documents, render

DATES = st.dates(date(2027, 1, 1), date(2027, 4, 30))


@st.composite
def rulesets(draw: st.DrawFn) -> RuleSet:
    """A valid rule set drawn from the document strategy."""
    return load_text(render(draw(documents())))


def facts_for(ruleset: RuleSet) -> st.SearchStrategy[Facts]:
    """Check-in facts for one of `ruleset`'s activities."""
    return st.builds(
        Facts,
        activity_id=st.sampled_from([a.activity_id for a in ruleset.activities]),
        role=st.sampled_from(Role),
        local_date=DATES,
        duration_minutes=st.none() | st.integers(0, 300),
        is_first_for_activity=st.none() | st.booleans(),
    )


def history_for(ruleset: RuleSet) -> st.SearchStrategy[History]:
    """Any history of awards for `ruleset`'s activities, consistent with its caps or not."""
    award = st.builds(
        PastAward,
        local_date=DATES,
        activity_id=st.sampled_from([a.activity_id for a in ruleset.activities]),
        points=st.integers(0, 150),
    )
    return st.builds(
        History,
        awards=st.lists(award, max_size=12).map(tuple),
        approved_dates=st.lists(DATES, max_size=4).map(tuple),
    )


PERIODS: dict[str, Callable[[date], Hashable]] = {
    "day": lambda d: d,
    "week": lambda d: d.isocalendar()[:2],
    "month": lambda d: (d.year, d.month),
}


def _caps(ruleset: RuleSet, activity_id: str) -> list[tuple[str | None, str, int]]:
    """(activity id or None for overall, period, cap points) for every configured cap."""
    found = []
    for scope, caps in ((activity_id, ruleset.activity(activity_id).caps), (None, ruleset.caps)):
        for period, cap in (
            ("day", caps.day_points),
            ("week", caps.week_points),
            ("month", caps.month_points),
        ):
            if cap is not None:
                found.append((scope, period, cap))
    return found


@given(st.data())
def test_an_award_never_exceeds_what_a_cap_has_left(data: st.DataObject) -> None:
    """For any history, an award is never negative nor more than any applicable cap has left."""
    ruleset = data.draw(rulesets())
    facts = data.draw(facts_for(ruleset))
    history = data.draw(history_for(ruleset))
    award = evaluate(facts, history, ruleset)
    assert facts.local_date is not None
    assert award.points >= 0
    for activity_id, period, cap in _caps(ruleset, facts.activity_id):
        key = PERIODS[period]
        used = sum(
            a.points
            for a in history.awards
            if key(a.local_date) == key(facts.local_date) and activity_id in (None, a.activity_id)
        )
        assert award.points <= max(0, cap - used)


@given(st.data())
def test_caps_hold_over_any_sequence_of_check_ins(data: st.DataObject) -> None:
    """Awarding check-ins one after another never takes any period's total past its cap."""
    ruleset = data.draw(rulesets())
    history = History()
    for facts in data.draw(st.lists(facts_for(ruleset), max_size=25)):
        history = history.with_award(evaluate(facts, history, ruleset).as_past_award())
    for activity in ruleset.activities:
        for activity_id, period, cap in _caps(ruleset, activity.activity_id):
            key = PERIODS[period]
            totals: Counter[Hashable] = Counter()
            for award in history.awards:
                if activity_id in (None, award.activity_id):
                    totals[key(award.local_date)] += award.points
            assert all(total <= cap for total in totals.values())


@given(st.data(), st.randoms(use_true_random=False))
def test_evaluation_is_deterministic(data: st.DataObject, rnd: random.Random) -> None:
    """The same facts, history and rule set give the same award, in any history order."""
    ruleset = data.draw(rulesets())
    facts = data.draw(facts_for(ruleset))
    history = data.draw(history_for(ruleset))
    award = evaluate(facts, history, ruleset)
    assert evaluate(facts, history, ruleset) == award
    shuffled = History(
        tuple(rnd.sample(history.awards, len(history.awards))),
        tuple(rnd.sample(history.approved_dates, len(history.approved_dates))),
    )
    assert evaluate(facts, shuffled, ruleset) == award


@given(st.data())
def test_more_minutes_never_give_fewer_points(data: st.DataObject) -> None:
    """All else equal, a longer check-in never earns fewer points than a shorter one."""
    ruleset = data.draw(rulesets())
    facts = data.draw(facts_for(ruleset))
    history = data.draw(history_for(ruleset))
    points = [
        evaluate(replace(facts, duration_minutes=minutes), history, ruleset).points
        for minutes in range(0, 301)
    ]
    assert points == sorted(points)


@given(st.data())
def test_lines_add_up_and_explanations_state_the_total(data: st.DataObject) -> None:
    """An award's lines sum to its points, and both explanations end with that total."""
    ruleset = data.draw(rulesets())
    award: Award = evaluate(data.draw(facts_for(ruleset)), data.draw(history_for(ruleset)), ruleset)
    assert sum(line.points for line in award.lines) == award.points
    assert award.ruleset_hash == ruleset.hash
    assert award.explanation("en").endswith(f" {award.points} point{'s' * (award.points != 1)}")
    assert award.explanation("zh").endswith(f"共 {award.points} 分")
