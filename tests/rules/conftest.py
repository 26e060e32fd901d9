"""Shared rule sets for the rules tests."""

from __future__ import annotations

import pytest

from rules import RuleSet, load_text
from tests.rules.tomlgen import HEADER

# A small rule set exercising every evaluation feature; tests state expected points by hand.
EVALUATION_RULES = (
    HEADER
    + """
[role_percent]
organiser = 150
captain = 125

[caps]
day_points = 100
week_points = 150
month_points = 300

[[streak.tiers]]
weeks = 2
bonus_points = 5

[[streak.tiers]]
weeks = 4
bonus_points = 15

[activities.patrol]
name_zh = "安全巡逻"
name_en = "Safety patrol"
base_points = 20
first_time_bonus_points = 10
requires_checkout = true

[activities.patrol.duration]
period_minutes = 30
points_per_period = 10
min_minutes = 30
max_counted_minutes = 120

[activities.patrol.caps]
day_points = 90
week_points = 100
month_points = 150

[activities.talk]
name_zh = "科普讲座"
name_en = "Science talk"
base_points = 5
approval = "auto"
duration = { period_minutes = 60, points_per_period = 8, count = "started" }

[activities.birthday]
name_zh = "老年人集体过生日"
name_en = "Elder birthday"
base_points = 30

[[campaigns]]
id = "civility"
name_zh = "文明城市创建月"
name_en = "Civilised-city month"
starts_on = 2027-03-01
ends_on = 2027-03-31
percent = 200
activities = ["patrol"]

[[campaigns]]
id = "spring"
name_zh = "春季活动周"
name_en = "Spring week"
starts_on = 2027-03-15
ends_on = 2027-03-20
percent = 150
"""
)


@pytest.fixture(scope="session")
def ruleset() -> RuleSet:
    """The evaluation rule set above."""
    return load_text(EVALUATION_RULES, file="evaluation.toml")
