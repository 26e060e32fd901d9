"""Evaluation, feature by feature: each row states the points a check-in earns and why."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import cast

import pytest

from rules import (
    CapScope,
    DurationStatus,
    Facts,
    History,
    InvalidFacts,
    LineKind,
    Role,
    RuleSet,
    UnknownActivity,
    evaluate,
    load_text,
)
from tests.rules.checkins import NONE, WEDNESDAY, other, past, patrol
from tests.rules.conftest import EVALUATION_RULES

B, D, R, C, F, S = (
    LineKind.BASE,
    LineKind.DURATION,
    LineKind.ROLE,
    LineKind.CAMPAIGN,
    LineKind.FIRST_TIME,
    LineKind.STREAK,
)

# name, facts, history, expected points, expected line kinds
CASES: list[tuple[str, Facts, History, int, list[LineKind]]] = [
    ("base points only", other("birthday"), NONE, 30, [B]),
    ("completed periods", patrol(60), NONE, 40, [B, D]),
    ("an unfinished period earns nothing", patrol(59), NONE, 30, [B, D]),
    ("below the minimum duration", patrol(29), NONE, 20, [B, D]),
    ("at most the maximum is counted", patrol(180), NONE, 60, [B, D]),
    ("started periods count", other("talk", 61), NONE, 21, [B, D]),
    ("zero minutes start no period", other("talk", 0), NONE, 5, [B, D]),
    ("no check-out, no duration points", patrol(None), NONE, 20, [B, D]),
    ("organiser multiplier", patrol(60, role=Role.ORGANISER), NONE, 60, [B, D, R]),
    ("captain multiplier rounds down", other("talk", 61, role=Role.CAPTAIN), NONE, 26, [B, D, R]),
    ("campaign first day is included", patrol(on=date(2027, 3, 1)), NONE, 80, [B, D, C]),
    ("campaign last day is included", patrol(on=date(2027, 3, 31)), NONE, 80, [B, D, C]),
    ("day before a campaign", patrol(on=date(2027, 2, 28)), NONE, 40, [B, D]),
    ("day after a campaign", patrol(on=date(2027, 4, 1)), NONE, 40, [B, D]),
    ("campaign for other activities", other("birthday", on=date(2027, 3, 5)), NONE, 30, [B]),
    ("campaign for all activities", other("birthday", on=date(2027, 3, 16)), NONE, 45, [B, C]),
    ("overlapping campaigns: highest only", patrol(on=date(2027, 3, 16)), NONE, 80, [B, D, C]),
    (
        "role then campaign, each rounded down",
        other("talk", 61, on=date(2027, 3, 16), role=Role.CAPTAIN),
        NONE,
        39,
        [B, D, R, C],
    ),
    ("first time derived from history", patrol(first=None), NONE, 50, [B, D, F]),
    (
        "no first-time bonus the second time",
        patrol(first=None),
        past(("2027-01-05", "patrol", 40)),
        40,
        [B, D],
    ),
    (
        "explicit first time overrides history",
        patrol(first=True),
        past(("2027-01-05", "patrol", 40)),
        50,
        [B, D, F],
    ),
    ("two-week streak", patrol(), past(("2027-02-03", "birthday", 30)), 45, [B, D, S]),
    (
        "four-week streak takes the higher tier",
        patrol(),
        past(
            ("2027-01-20", "birthday", 30),
            ("2027-01-27", "birthday", 30),
            ("2027-02-03", "talk", 5),
        ),
        55,
        [B, D, S],
    ),
    (
        "streak bonus only on a week's first activity",
        patrol(),
        past(("2027-02-03", "birthday", 30), ("2027-02-08", "birthday", 30)),
        40,
        [B, D],
    ),
    ("a gap week breaks the streak", patrol(), past(("2027-01-27", "birthday", 30)), 40, [B, D]),
    (
        "approved dates without awards count for streaks",
        patrol(),
        History(approved_dates=(date(2027, 2, 3),)),
        45,
        [B, D, S],
    ),
]


@pytest.mark.parametrize(
    ("facts", "history", "points", "kinds"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_feature(
    ruleset: RuleSet, facts: Facts, history: History, points: int, kinds: list[LineKind]
) -> None:
    """Each rule feature gives the stated points through the stated steps."""
    award = evaluate(facts, history, ruleset)
    assert award.points == points
    assert [line.kind for line in award.lines] == kinds
    assert award.points == sum(line.points for line in award.lines)


def test_duration_line_says_why_it_is_zero_below_the_minimum(ruleset: RuleSet) -> None:
    """A check-in shorter than the minimum gets a zero duration line marked below-minimum."""
    duration = evaluate(patrol(29), NONE, ruleset).lines[1]
    assert (duration.points, duration.detail["status"]) == (0, DurationStatus.BELOW_MINIMUM)
    assert duration.detail["min_minutes"] == 30


# name, facts, history, expected points, (cap scope, cap period)
CAP_CASES: list[tuple[str, Facts, History, int, tuple[CapScope, str]]] = [
    (
        "activity per day",
        patrol(),
        past(("2027-02-10", "patrol", 80)),
        10,
        (CapScope.ACTIVITY, "day"),
    ),
    (
        "activity per week",
        patrol(),
        past(("2027-02-08", "patrol", 90)),
        10,
        (CapScope.ACTIVITY, "week"),
    ),
    (
        "activity per month",
        patrol(on=date(2027, 2, 24)),
        past(("2027-02-03", "patrol", 70), ("2027-02-10", "patrol", 70)),
        10,
        (CapScope.ACTIVITY, "month"),
    ),
    (
        "overall per day",
        patrol(),
        past(("2027-02-10", "birthday", 90)),
        10,
        (CapScope.OVERALL, "day"),
    ),
    (
        "overall per week",
        patrol(),
        past(("2027-02-08", "birthday", 80), ("2027-02-09", "birthday", 60)),
        10,
        (CapScope.OVERALL, "week"),
    ),
    (
        "overall per month",
        patrol(on=date(2027, 2, 24)),
        past(
            ("2027-02-03", "birthday", 100),
            ("2027-02-10", "birthday", 100),
            ("2027-02-17", "talk", 90),
        ),
        10,
        (CapScope.OVERALL, "month"),
    ),
    (
        "a used-up cap leaves nothing",
        patrol(),
        past(("2027-02-10", "patrol", 90)),
        0,
        (CapScope.ACTIVITY, "day"),
    ),
    (
        "ties name the activity cap first",
        patrol(),
        past(("2027-02-10", "patrol", 80), ("2027-02-10", "birthday", 10)),
        10,
        (CapScope.ACTIVITY, "day"),
    ),
]


@pytest.mark.parametrize(
    ("facts", "history", "points", "binding"),
    [c[1:] for c in CAP_CASES],
    ids=[c[0] for c in CAP_CASES],
)
def test_cap(
    ruleset: RuleSet, facts: Facts, history: History, points: int, binding: tuple[CapScope, str]
) -> None:
    """Each cap cuts the award to what is left of it and the last line names that cap."""
    award = evaluate(facts, history, ruleset)
    cap = award.lines[-1]
    assert award.points == points
    assert cap.kind is LineKind.CAP
    assert (cap.detail["scope"], cap.detail["period"]) == binding
    assert cap.detail["allowed_points"] == points


def test_local_date_is_derived_in_the_rule_sets_timezone(ruleset: RuleSet) -> None:
    """Without a local date, the date of `started_at` in Asia/Shanghai decides the campaign."""
    start = datetime(2027, 3, 31, 17, 0, tzinfo=UTC)  # 1 April, 01:00 in Shanghai
    facts = Facts(
        "patrol", started_at=start, ended_at=start + timedelta(hours=1), is_first_for_activity=False
    )
    award = evaluate(facts, NONE, ruleset)
    assert award.local_date == date(2027, 4, 1)
    assert award.points == 40
    in_utc = load_text(EVALUATION_RULES.replace("[ruleset]\n", '[ruleset]\ntimezone = "UTC"\n'))
    assert evaluate(facts, NONE, in_utc).points == 80


def test_duration_from_times_in_different_offsets(ruleset: RuleSet) -> None:
    """Check-in and check-out times in different UTC offsets give the true elapsed minutes."""
    start = datetime(2027, 2, 10, 9, 0, tzinfo=timezone(timedelta(hours=8)))
    end = datetime(2027, 2, 10, 2, 0, 59, tzinfo=UTC)  # 10:00:59 in Shanghai
    facts = Facts(
        "patrol", local_date=WEDNESDAY, started_at=start, ended_at=end, is_first_for_activity=False
    )
    award = evaluate(facts, NONE, ruleset)
    assert award.duration_minutes == 60
    assert award.points == 40


AWARE = datetime(2027, 2, 10, 9, 0, tzinfo=UTC)
NAIVE = datetime(2027, 2, 10, 9, 0)  # the bad input under test
INVALID_FACTS = [
    ("naive start", Facts("patrol", started_at=NAIVE), "started_at"),
    (
        "naive end",
        Facts("patrol", local_date=WEDNESDAY, started_at=AWARE, ended_at=NAIVE),
        "ended_at",
    ),
    (
        "end before start",
        Facts("patrol", started_at=AWARE, ended_at=AWARE - timedelta(minutes=1)),
        "ended_at",
    ),
    ("end without start", Facts("patrol", local_date=WEDNESDAY, ended_at=AWARE), "started_at"),
    (
        "end and duration both",
        Facts("patrol", started_at=AWARE, ended_at=AWARE, duration_minutes=5),
        "duration_minutes",
    ),
    (
        "negative duration",
        Facts("patrol", local_date=WEDNESDAY, duration_minutes=-1),
        "duration_minutes",
    ),
    ("no date at all", Facts("patrol", duration_minutes=30), "local_date"),
    ("unknown role", Facts("patrol", cast("Role", "mayor"), WEDNESDAY), "role"),
]


@pytest.mark.parametrize(
    ("facts", "field"), [c[1:] for c in INVALID_FACTS], ids=[c[0] for c in INVALID_FACTS]
)
def test_inconsistent_facts_are_refused(ruleset: RuleSet, facts: Facts, field: str) -> None:
    """Facts that cannot describe a real check-in are refused naming the field at fault."""
    with pytest.raises(InvalidFacts) as caught:
        evaluate(facts, NONE, ruleset)
    assert caught.value.code == "invalid_facts"
    assert caught.value.details["field"] == field


def test_unknown_activity_is_refused(ruleset: RuleSet) -> None:
    """A check-in for an activity the rule set does not define is refused as `unknown_activity`."""
    with pytest.raises(UnknownActivity) as caught:
        evaluate(Facts("karaoke", local_date=WEDNESDAY), NONE, ruleset)
    assert caught.value.details["activity_id"] == "karaoke"


def test_award_records_the_rule_set_hash(ruleset: RuleSet) -> None:
    """Every award carries the hash of the rule set that computed it."""
    assert evaluate(patrol(), NONE, ruleset).ruleset_hash == ruleset.hash


def test_a_new_rule_set_does_not_reach_back(ruleset: RuleSet) -> None:
    """Evaluating under a new rule set gives a new award and leaves the earlier one as it was."""
    before = evaluate(patrol(), NONE, ruleset)
    doubled = load_text(EVALUATION_RULES.replace("base_points = 20", "base_points = 40"))
    after = evaluate(patrol(), NONE, doubled)
    assert (after.points, after.ruleset_hash) == (60, doubled.hash)
    assert before == evaluate(patrol(), NONE, ruleset)
    assert (before.points, before.ruleset_hash) == (40, ruleset.hash)


def test_approval_and_checkout_flags_are_per_activity(ruleset: RuleSet) -> None:
    """Patrols need a captain's approval and a check-out; talks are approved at once."""
    assert ruleset.activity("patrol").needs_captain_approval
    assert ruleset.activity("patrol").requires_checkout
    assert not ruleset.activity("talk").needs_captain_approval
    assert not ruleset.activity("talk").requires_checkout
