"""Loading rule-set files: what loads, and how every kind of bad file is refused."""

# Chinese names and messages use full-width punctuation, which is not a confusable here.

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from rules import (
    Approval,
    BadgeCriterion,
    PeriodCount,
    RulesetInvalid,
    load_default,
    load_file,
    load_text,
)
from rules.model import DEFAULT_LEVELS
from tests.rules.tomlgen import HEADER, PATROL

DEFAULT_ACTIVITIES = {
    "safety_patrol": ("安全巡逻", "Safety patrol"),
    "civilised_travel_persuasion": ("文明出行劝导", "Civilised-travel persuasion"),
    "elderly_collective_birthday": (
        "老年人集体过生日",
        "Collective birthday for elderly residents",
    ),
    "new_year_banquet": ("坝坝席迎新年", "New Year neighbourhood banquet"),
    "legal_aid_day": ("法律援助日", "Legal-aid day"),
    "arts_performance": ("文艺宣传演出", "Arts and publicity performance"),
    "red_ribbon_outreach": ("红丝带健康宣传", "Red-ribbon health outreach"),
    "science_fitness": ("科普健身活动", "Science and fitness session"),
    "building_cleanup": ("楼栋清洁", "Building clean-up"),
}


def test_default_ruleset_names_the_real_activities_in_both_languages() -> None:
    """The shipped rule set names the nine neighbourhood activities in Chinese and English."""
    ruleset = load_default()
    names = {a.activity_id: (a.name_zh, a.name_en) for a in ruleset.activities}
    assert names == DEFAULT_ACTIVITIES


def test_default_ruleset_counts_half_hours_up_to_two_hours() -> None:
    """The shipped rules give 10 points per completed half hour, from 30 minutes up to 2 hours."""
    for activity in load_default().activities:
        assert activity.duration is not None
        assert activity.duration.period_minutes == 30
        assert activity.duration.points_per_period == 10
        assert activity.duration.min_minutes == 30
        assert activity.duration.max_counted_minutes == 120
        assert activity.duration.count is PeriodCount.COMPLETED


def test_default_ruleset_has_a_double_points_civility_month_and_the_promised_game() -> None:
    """The shipped rules have a 200% civility month, caps, streak tiers, levels and badges."""
    ruleset = load_default()
    (campaign,) = ruleset.campaigns
    assert campaign.percent == 200
    assert (campaign.starts_on, campaign.ends_on) == (date(2027, 3, 1), date(2027, 3, 31))
    assert ruleset.caps.day_points is not None
    assert ruleset.caps.week_points is not None
    assert [t.weeks for t in ruleset.streak_tiers] == [4, 12]
    assert ruleset.timezone == "Asia/Shanghai"
    assert {b.badge_id for b in ruleset.badges} >= {
        "first_patrol",
        "ten_elder_birthdays",
        "twelve_week_streak",
        "hundred_hours_in_a_year",
        "three_teams",
    }


def test_minimal_file_fills_in_every_default() -> None:
    """A file with only the header and one activity loads with documented defaults everywhere."""
    ruleset = load_text(HEADER + '[activities.patrol]\nname_zh = "巡逻"\nname_en = "Patrol"\n')
    (patrol,) = ruleset.activities
    assert (patrol.base_points, patrol.first_time_bonus_points, patrol.duration) == (0, 0, None)
    assert patrol.approval is Approval.CAPTAIN
    assert patrol.requires_checkout is False
    assert ruleset.timezone == "Asia/Shanghai"
    assert (ruleset.role_percent.organiser, ruleset.role_percent.captain) == (100, 100)
    assert ruleset.caps.day_points is None
    assert ruleset.levels == DEFAULT_LEVELS
    assert (ruleset.campaigns, ruleset.badges, ruleset.streak_tiers) == ((), (), ())


def test_activity_flags_for_approval_and_checkout_are_loaded() -> None:
    """An activity may be auto-approved and may hint that it needs a check-out."""
    text = HEADER + PATROL + 'approval = "auto"\nrequires_checkout = true\n'
    (patrol,) = load_text(text).activities
    assert patrol.needs_captain_approval is False
    assert patrol.requires_checkout is True


def test_badge_criteria_and_levels_are_loaded_sorted() -> None:
    """Levels load sorted by threshold and badges keep their criterion and activity."""
    text = (
        HEADER
        + PATROL
        + """
[[levels]]
id = "high"
min_points = 50
name_zh = "高"
name_en = "High"
[[levels]]
id = "low"
min_points = 0
name_zh = "低"
name_en = "Low"
[[badges]]
id = "first"
name_zh = "首次"
name_en = "First"
criterion = "activity_count"
activity = "patrol"
at_least = 1
"""
    )
    ruleset = load_text(text)
    assert [lv.level_id for lv in ruleset.levels] == ["low", "high"]
    (badge,) = ruleset.badges
    assert (badge.criterion, badge.activity_id, badge.at_least) == (
        BadgeCriterion.ACTIVITY_COUNT,
        "patrol",
        1,
    )


def test_load_file_reads_a_file_and_names_it_in_errors(tmp_path: Path) -> None:
    """`load_file` loads a good file and names the file's path when refusing a bad one."""
    good = tmp_path / "good.toml"
    good.write_text(HEADER + PATROL, encoding="utf-8")
    assert load_file(good).activities[0].base_points == 20
    bad = tmp_path / "bad.toml"
    bad.write_text(HEADER + PATROL + "first_time_bonus_points = -1\n", encoding="utf-8")
    with pytest.raises(RulesetInvalid) as caught:
        load_file(bad)
    assert caught.value.details["file"] == str(bad)
    assert str(bad) in caught.value.message_en


def test_missing_file_is_refused_naming_the_file(tmp_path: Path) -> None:
    """A path that cannot be read is refused as `ruleset_invalid` naming the file."""
    missing = tmp_path / "missing.toml"
    with pytest.raises(RulesetInvalid) as caught:
        load_file(missing)
    assert caught.value.details["file"] == str(missing)
    assert "cannot read the file" in str(caught.value.details["problem"])


def test_non_utf8_file_is_refused(tmp_path: Path) -> None:
    """A file that is not UTF-8 text is refused with the offset of the bad byte."""
    path = tmp_path / "gbk.toml"
    path.write_bytes((HEADER + PATROL).encode("gbk"))
    with pytest.raises(RulesetInvalid, match="not UTF-8"):
        load_file(path)
