"""Finding the line of a key in a TOML text, for error messages."""

from __future__ import annotations

from rules.toml_lines import scan

TEXT = '''\
# comment = not a key
[ruleset]
id = "x"
description = """
version = 99
"""
version = 1

[activities."patrol"]
name_zh = "巡逻"
duration = { period_minutes = 30 }
caps.day_points = 5

[[campaigns]]
id = "a"

[[campaigns]]
id = "b"
activities = [
    "patrol",
]

[[streak.tiers]]
weeks = 2
'''


def test_keys_headers_and_array_items_are_found() -> None:
    """Keys, quoted table names, dotted keys and each array-of-tables item get their own line."""
    lines = scan(TEXT)
    assert lines.line_of("ruleset") == 2
    assert lines.line_of("ruleset.version") == 7
    assert lines.line_of("activities.patrol") == 9
    assert lines.line_of("activities.patrol.caps.day_points") == 12
    assert lines.line_of("campaigns[0].id") == 15
    assert lines.line_of("campaigns[1].id") == 18
    assert lines.line_of("streak.tiers[0].weeks") == 24


def test_unseen_keys_fall_back_to_the_nearest_enclosing_line() -> None:
    """Keys inside inline tables and array items fall back to the line of what encloses them."""
    lines = scan(TEXT)
    assert lines.line_of("activities.patrol.duration.period_minutes") == 11
    assert lines.line_of("campaigns[1].activities[0]") == 19
    assert lines.line_of("activities.patrol.name_en") == 9
    assert lines.line_of("activities") == 9  # implied by its first sub-table


def test_unknown_paths_have_no_line() -> None:
    """A path with no recorded ancestor has no line."""
    assert scan(TEXT).line_of("levels[0].id") is None
    assert scan("").line_of("ruleset") is None
