"""Every kind of bad rule-set file is refused whole, naming the file, line, key and problem."""

# Chinese names and messages use full-width punctuation, which is not a confusable here.
# ruff: noqa: RUF001

from __future__ import annotations

import pytest

from rules import RulesetInvalid, load_text
from tests.rules.tomlgen import HEADER, PATROL

CAMPAIGN = """
[[campaigns]]
id = "civility"
name_zh = "文明月"
name_en = "Civility month"
starts_on = 2027-03-01
ends_on = 2027-03-31
percent = 200
"""

BADGE = """
[[badges]]
id = "x"
name_zh = "徽章"
name_en = "Badge"
"""

LEVEL_A = '[[levels]]\nid = "a"\nmin_points = 0\nname_zh = "甲"\nname_en = "A"\n'
DURATION = "[activities.patrol.duration]\nperiod_minutes = 30\npoints_per_period = 5\n"
TIER = "[[streak.tiers]]\nweeks = 2\nbonus_points = 5\n"


def patrol(extra: str) -> str:
    """A file with one activity, `extra` appended to its table."""
    return HEADER + PATROL + extra


def patrol_with(old: str, new: str) -> str:
    """A file with one activity whose line `old` reads `new` instead."""
    return HEADER + PATROL.replace(old, new)


def campaign(extra: str = "", old: str = "", new: str = "") -> str:
    """A file with one activity and one campaign, edited."""
    return HEADER + PATROL + CAMPAIGN.replace(old, new) + extra


def badge(body: str) -> str:
    """A file with one activity and one badge whose remaining keys are `body`."""
    return HEADER + PATROL + BADGE + body


HERE = "  # <- here"

# Every kind of bad file: a name, the text (with "# <- here" on the offending line, if it
# has one), the dotted key named (None for TOML syntax errors) and a fragment of the problem.
BAD_FILES: list[tuple[str, str, str | None, str]] = [
    ("toml syntax", patrol(f"first_time_bonus_points = = 3{HERE}\n"), None, "not valid TOML"),
    (
        "float value",
        patrol(f"first_time_bonus_points = 2.5{HERE}\n"),
        "activities.patrol.first_time_bonus_points",
        "floats are not allowed",
    ),
    (
        "float in an inline array of tables",
        patrol(f"[streak]\ntiers = [{{ weeks = 2, bonus_points = 1.5 }}]{HERE}\n"),
        "streak.tiers[0].bonus_points",
        "floats are not allowed",
    ),
    (
        "float percent",
        HEADER + f"[role_percent]\norganiser = 1.5{HERE}\n" + PATROL,
        "role_percent.organiser",
        "floats are not allowed",
    ),
    ("unknown top-level table", patrol(f"[bonus]{HERE}\nx = 1\n"), "bonus", "unknown key 'bonus'"),
    (
        "misspelt optional key",
        patrol(f"frist_time_bonus_points = 5{HERE}\n"),
        "activities.patrol.frist_time_bonus_points",
        "did you mean 'first_time_bonus_points'",
    ),
    (
        "misspelt required key",
        HEADER + f'[activities.patrol]\nname_zh = "巡逻"\nname_eng = "x"{HERE}\n',
        "activities.patrol.name_eng",
        "did you mean 'name_en'",
    ),
    (
        "string for integer",
        patrol_with("base_points = 20", f'base_points = "20"{HERE}'),
        "activities.patrol.base_points",
        "must be an integer, not a string",
    ),
    (
        "boolean for integer",
        patrol_with("base_points = 20", f"base_points = true{HERE}"),
        "activities.patrol.base_points",
        "must be an integer, not a boolean",
    ),
    (
        "negative points",
        patrol_with("base_points = 20", f"base_points = -5{HERE}"),
        "activities.patrol.base_points",
        "must not be negative",
    ),
    (
        "negative cap",
        HEADER + f"[caps]\nday_points = -1{HERE}\n" + PATROL,
        "caps.day_points",
        "must not be negative",
    ),
    (
        "integer for boolean",
        patrol(f"requires_checkout = 1{HERE}\n"),
        "activities.patrol.requires_checkout",
        "must be a boolean",
    ),
    (
        "missing required name",
        HEADER + f'[activities.patrol]{HERE}\nname_zh = "巡逻"\n',
        "activities.patrol.name_en",
        "is required",
    ),
    (
        "empty name",
        HEADER + f'[activities.patrol]\nname_zh = ""{HERE}\nname_en = "P"\n',
        "activities.patrol.name_zh",
        "must not be empty",
    ),
    (
        "bad activity id",
        HEADER + f'[activities.Patrol]{HERE}\nname_zh = "巡逻"\nname_en = "P"\n',
        "activities.Patrol",
        "not a valid activity id",
    ),
    ("no activities", HEADER, "activities", "is required"),
    ("empty activities table", HEADER + f"[activities]{HERE}\n", "activities", "must define 1 to"),
    ("missing ruleset header", PATROL, "ruleset", "is required"),
    (
        "version zero",
        HEADER.replace("version = 1", f"version = 0{HERE}") + PATROL,
        "ruleset.version",
        "less than 1",
    ),
    (
        "unknown timezone",
        HEADER + f'timezone = "Mars/Olympus"{HERE}\n' + PATROL,
        "ruleset.timezone",
        "not a known IANA timezone",
    ),
    (
        "unknown approval",
        patrol(f'approval = "admin"{HERE}\n'),
        "activities.patrol.approval",
        'must be one of "captain", "auto"',
    ),
    ("caps not a table", patrol(f"caps = 5{HERE}\n"), "activities.patrol.caps", "must be a table"),
    (
        "unknown key in an inline table",
        patrol(f"duration = {{ period_minutes = 30, points_per_periods = 5 }}{HERE}\n"),
        "activities.patrol.duration.points_per_periods",
        "did you mean 'points_per_period'",
    ),
    (
        "zero period",
        patrol(f"[activities.patrol.duration]\nperiod_minutes = 0{HERE}\npoints_per_period = 5\n"),
        "activities.patrol.duration.period_minutes",
        "less than 1",
    ),
    (
        "maximum below minimum",
        patrol(DURATION + f"min_minutes = 60\nmax_counted_minutes = 30{HERE}\n"),
        "activities.patrol.duration.max_counted_minutes",
        "at least min_minutes",
    ),
    (
        "unknown period count",
        patrol(DURATION + f'count = "begun"{HERE}\n'),
        "activities.patrol.duration.count",
        'must be one of "completed", "started"',
    ),
    (
        "duplicate streak tier",
        patrol(TIER + f"[[streak.tiers]]\nweeks = 2{HERE}\nbonus_points = 9\n"),
        "streak.tiers[1].weeks",
        "duplicates 2",
    ),
    (
        "campaign names an unknown activity",
        campaign(f'activities = ["patrol", "banquet"]{HERE}\n'),
        "campaigns[0].activities[1]",
        'unknown activity "banquet"',
    ),
    (
        "campaign lists an activity twice",
        campaign(f'activities = ["patrol", "patrol"]{HERE}\n'),
        "campaigns[0].activities[1]",
        'lists "patrol" twice',
    ),
    (
        "campaign ends before it starts",
        campaign(old="ends_on = 2027-03-31", new=f"ends_on = 2027-02-01{HERE}"),
        "campaigns[0].ends_on",
        "is before starts_on",
    ),
    (
        "campaign date-time",
        campaign(old="starts_on = 2027-03-01", new=f"starts_on = 2027-03-01T08:00:00{HERE}"),
        "campaigns[0].starts_on",
        "must be a local date",
    ),
    (
        "campaign date as a string",
        campaign(old="starts_on = 2027-03-01", new=f'starts_on = "2027-03-01"{HERE}'),
        "campaigns[0].starts_on",
        "not a string",
    ),
    (
        "campaign percent too large",
        campaign(old="percent = 200", new=f"percent = 5000{HERE}"),
        "campaigns[0].percent",
        "at most 1000",
    ),
    (
        "duplicate campaign id",
        campaign(CAMPAIGN.replace('id = "civility"', f'id = "civility"{HERE}')),
        "campaigns[1].id",
        "duplicates 'civility'",
    ),
    (
        "campaigns not tables",
        f"campaigns = [1]{HERE}\n" + HEADER + PATROL,
        "campaigns[0]",
        "must be a table",
    ),
    ("levels without zero", patrol(LEVEL_A.replace("= 0", "= 10")), "levels", "min_points = 0"),
    (
        "duplicate level threshold",
        patrol(LEVEL_A + LEVEL_A.replace('"a"', '"b"').replace("= 0", f"= 0{HERE}")),
        "levels[1].min_points",
        "duplicates 0",
    ),
    (
        "unknown badge criterion",
        badge(f'criterion = "hours"{HERE}\nat_least = 1\n'),
        "badges[0].criterion",
        "must be one of",
    ),
    (
        "activity badge without an activity",
        badge('criterion = "activity_count"\nat_least = 1\n'),
        "badges[0].activity",
        "is required",
    ),
    (
        "badge activity on another criterion",
        badge(f'criterion = "weekly_streak"\nactivity = "patrol"{HERE}\nat_least = 4\n'),
        "badges[0].activity",
        "only allowed with",
    ),
    (
        "badge names an unknown activity",
        badge(f'criterion = "activity_count"\nactivity = "banquet"{HERE}\nat_least = 1\n'),
        "badges[0].activity",
        'unknown activity "banquet"',
    ),
    (
        "badge threshold zero",
        badge(f'criterion = "lifetime_points"\nat_least = 0{HERE}\n'),
        "badges[0].at_least",
        "less than 1",
    ),
]


def _marked_line(text: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if "# <- here" in line:
            return number
    return None


@pytest.mark.parametrize(
    ("text", "key", "problem"), [c[1:] for c in BAD_FILES], ids=[c[0] for c in BAD_FILES]
)
def test_bad_file_is_refused_naming_key_line_and_problem(
    text: str, key: str | None, problem: str
) -> None:
    """Each kind of bad file is refused naming the file, the key, the line and the problem."""
    with pytest.raises(RulesetInvalid) as caught:
        load_text(text, file="community.toml")
    refusal = caught.value
    assert refusal.code == "ruleset_invalid"
    assert refusal.details["file"] == "community.toml"
    assert refusal.details.get("key") == key
    assert problem in str(refusal.details["problem"])
    line = _marked_line(text)
    if line is not None:
        assert refusal.details.get("line") == line
        assert refusal.message_en.startswith(f"community.toml:{line}:")
    assert refusal.message_zh != refusal.message_en


def test_refusal_reads_in_chinese_too() -> None:
    """A refusal's Chinese message names the same place and says in Chinese what is wrong."""
    with pytest.raises(RulesetInvalid) as caught:
        load_text(HEADER + PATROL + "first_time_bonus_points = -3\n", file="c.toml")
    assert caught.value.message("zh") == (
        "c.toml:11: activities.patrol.first_time_bonus_points: 不能小于 0（实际为 -3）"
    )
    assert caught.value.message("en") == (
        "c.toml:11: activities.patrol.first_time_bonus_points: must not be negative (got -3)"
    )


def test_file_with_one_bad_part_at_the_end_loads_nothing() -> None:
    """A file whose only problem is in its last table is refused as a whole, not loaded in part."""
    good = load_text(HEADER + PATROL)
    text = (
        HEADER
        + PATROL
        + '[[badges]]\nid = "x"\nname_zh = "徽"\nname_en = "B"\ncriterion = "x"\nat_least = 1\n'
    )
    with pytest.raises(RulesetInvalid):
        load_text(text)
    assert load_text(HEADER + PATROL) == good
