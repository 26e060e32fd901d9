"""Explanations: what a volunteer reads about their points, in Chinese and in English."""

# Chinese sentences take full-width punctuation, which is not a confusable here.
# ruff: noqa: RUF001

from __future__ import annotations

from datetime import date

import pytest

from rules import Facts, History, Role, RuleSet, evaluate, load_text
from tests.rules.checkins import NONE, past, patrol
from tests.rules.tomlgen import HEADER

BRIEF_RULES = (
    HEADER
    + """
[caps]
day_points = 25

[activities.patrol]
name_zh = "安全巡逻"
name_en = "Safety patrol"
base_points = 20
duration = { period_minutes = 60, points_per_period = 10 }
"""
)


def test_capped_award_reads_as_in_the_brief() -> None:
    """20 base and 10 for an hour, cut by a 25-point daily cap, reads as one plain sentence."""
    award = evaluate(
        Facts("patrol", local_date=date(2027, 2, 10), duration_minutes=60),
        NONE,
        load_text(BRIEF_RULES),
    )
    assert award.explanation("en") == (
        "20 base + 10 for 60 minutes, capped at 25 today by the overall daily cap of 25; "
        "total 25 points"
    )
    assert (
        award.explanation("zh")
        == "基础 20 分 + 60 分钟 10 分，今日总上限 25 分，计 25 分；共 25 分"
    )


def test_chinese_is_the_default_language(ruleset: RuleSet) -> None:
    """Without a language, the explanation is in Chinese."""
    award = evaluate(patrol(), NONE, ruleset)
    assert award.explanation() == award.explanation("zh") == "基础 20 分 + 60 分钟 20 分；共 40 分"


def test_below_minimum_says_so(ruleset: RuleSet) -> None:
    """A check-in under the minimum duration says the time was too short to count."""
    award = evaluate(patrol(29), NONE, ruleset)
    assert (
        award.explanation("en")
        == "20 base + 0 for 29 minutes (below the 30-minute minimum); total 20 points"
    )
    assert award.explanation("zh") == "基础 20 分 + 29 分钟不足最低 30 分钟，时长 0 分；共 20 分"


def test_missing_checkout_says_so(ruleset: RuleSet) -> None:
    """A check-in without a duration says no time was recorded."""
    award = evaluate(patrol(None), NONE, ruleset)
    assert award.explanation("en") == "20 base + 0 for time (no duration recorded); total 20 points"
    assert award.explanation("zh") == "基础 20 分 + 未记录时长，时长 0 分；共 20 分"


def test_every_step_appears_in_order(ruleset: RuleSet) -> None:
    """An award with every step names them in order: base, time, role, campaign, bonuses, cap."""
    facts = patrol(180, date(2027, 3, 16), role=Role.ORGANISER, first=None)
    award = evaluate(facts, past(("2027-03-09", "birthday", 30)), ruleset)
    assert award.explanation("en") == (
        "20 base + 40 for 180 minutes (at most 120 counted), ×150% as organiser (+30), "
        "×200% for Civilised-city month (+90) + 10 first-time bonus + 5 for a 2-week streak, "
        "capped at 90 today by this activity's daily cap of 90; total 90 points"
    )
    assert award.explanation("zh") == (
        "基础 20 分 + 180 分钟（最多计 120 分钟）40 分，组织者 ×150%（+30 分），"
        "文明城市创建月 ×200%（+90 分） + 首次参加奖励 10 分 + 连续 2 周奖励 5 分，"
        "今日本活动上限 90 分，计 90 分；共 90 分"
    )


CAP_WORDING = [
    (
        "activity week",
        patrol(),
        past(("2027-02-08", "patrol", 90)),
        "capped at 10 this week by this activity's weekly cap of 100 (90 already earned)",
        "本周本活动上限 100 分（已得 90 分），计 10 分",
    ),
    (
        "activity month",
        patrol(on=date(2027, 2, 24)),
        past(("2027-02-03", "patrol", 70), ("2027-02-10", "patrol", 70)),
        "capped at 10 this month by this activity's monthly cap of 150 (140 already earned)",
        "本月本活动上限 150 分（已得 140 分），计 10 分",
    ),
    (
        "overall day",
        patrol(),
        past(("2027-02-10", "birthday", 90)),
        "capped at 10 today by the overall daily cap of 100 (90 already earned)",
        "今日总上限 100 分（已得 90 分），计 10 分",
    ),
    (
        "overall week",
        patrol(),
        past(("2027-02-08", "birthday", 80), ("2027-02-09", "birthday", 60)),
        "capped at 10 this week by the overall weekly cap of 150 (140 already earned)",
        "本周总上限 150 分（已得 140 分），计 10 分",
    ),
]


@pytest.mark.parametrize(
    ("facts", "history", "english", "chinese"),
    [c[1:] for c in CAP_WORDING],
    ids=[c[0] for c in CAP_WORDING],
)
def test_explanation_names_the_cap_that_cut_the_award(
    ruleset: RuleSet, facts: Facts, history: History, english: str, chinese: str
) -> None:
    """A cap that cuts an award is named: activity or overall, and day, week or month."""
    award = evaluate(facts, history, ruleset)
    assert english in award.explanation("en")
    assert chinese in award.explanation("zh")
