"""Levels by lifetime points earned.

A level depends on points earned, never on the balance: spending does not demote, a reversal
does (pass the lifetime earned total after reversals), and expiry does not.
"""

from __future__ import annotations

from dataclasses import dataclass

from rules.model import Level, RuleSet


@dataclass(frozen=True)
class LevelProgress:
    """The level reached, the next one and how many points are still needed for it."""

    earned_points: int
    level: Level
    next_level: Level | None  # None at the top level
    points_to_next: int | None  # None at the top level


def level_for(earned_points: int, ruleset: RuleSet) -> LevelProgress:
    """The level for `earned_points` lifetime points under `ruleset`'s level ladder."""
    if earned_points < 0:
        msg = f"lifetime earned points are never negative, got {earned_points}"
        raise ValueError(msg)
    levels = sorted(ruleset.levels, key=lambda lv: lv.min_points)
    reached = [lv for lv in levels if lv.min_points <= earned_points]
    ahead = [lv for lv in levels if lv.min_points > earned_points]
    next_level = ahead[0] if ahead else None
    return LevelProgress(
        earned_points=earned_points,
        level=reached[-1],  # the loader guarantees a level at 0 points
        next_level=next_level,
        points_to_next=None if next_level is None else next_level.min_points - earned_points,
    )
