"""The canonical form of a rule set's meaning, and the hash that identifies it.

The meaning is the validated rule set with every default filled in, written as a JSON value
whose keys mirror the TOML keys. Activities are a JSON object keyed by id; campaigns, levels
and badges are lists sorted by id, threshold and id; campaign activity lists and streak tiers
are sorted too, because their order in a file means nothing. The bytes are
`json.dumps(meaning, sort_keys=True, separators=(",", ":"), ensure_ascii=False)` in UTF-8;
there are no floats, so the bytes are unambiguous. Dates are ISO 8601 strings; a cap that is
absent is `null`. The hash is the lowercase hex SHA-256 of those bytes.

Comments, key order, whitespace and literal style (`1_000`, `0x10`) therefore never change
the hash, and every value the loader keeps does. This module is the only place that computes
canonical bytes; `tests/rules/test_canonical.py` pins them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from rules.model import ActivityRule, Caps, RuleSet

FORMAT = "jifen-ruleset/1"  # bumped if the shape of the meaning itself ever changes

# Sequence and Mapping rather than list and dict: they are covariant, so list[str] fits.
Json: TypeAlias = "bool | int | str | Sequence[Json] | Mapping[str, Json] | None"


def _caps(caps: Caps) -> Json:
    return {
        "day_points": caps.day_points,
        "week_points": caps.week_points,
        "month_points": caps.month_points,
    }


def _activity(rule: ActivityRule) -> Json:
    duration: Json = None
    if rule.duration is not None:
        duration = {
            "period_minutes": rule.duration.period_minutes,
            "points_per_period": rule.duration.points_per_period,
            "count": rule.duration.count.value,
            "min_minutes": rule.duration.min_minutes,
            "max_counted_minutes": rule.duration.max_counted_minutes,
        }
    return {
        "name_zh": rule.name_zh,
        "name_en": rule.name_en,
        "base_points": rule.base_points,
        "duration": duration,
        "first_time_bonus_points": rule.first_time_bonus_points,
        "approval": rule.approval.value,
        "requires_checkout": rule.requires_checkout,
        "caps": _caps(rule.caps),
    }


def _game(ruleset: RuleSet) -> dict[str, Json]:
    return {
        "levels": [
            {
                "id": lv.level_id,
                "min_points": lv.min_points,
                "name_zh": lv.name_zh,
                "name_en": lv.name_en,
            }
            for lv in sorted(ruleset.levels, key=lambda lv: lv.min_points)
        ],
        "badges": [
            {
                "id": b.badge_id,
                "name_zh": b.name_zh,
                "name_en": b.name_en,
                "criterion": b.criterion.value,
                "at_least": b.at_least,
                "activity": b.activity_id,
            }
            for b in sorted(ruleset.badges, key=lambda b: b.badge_id)
        ],
    }


def meaning(ruleset: RuleSet) -> dict[str, Json]:
    """The normalised meaning of `ruleset` as a JSON-ready value."""
    return {
        "format": FORMAT,
        "ruleset": {
            "id": ruleset.ruleset_id,
            "version": ruleset.version,
            "name_zh": ruleset.name_zh,
            "name_en": ruleset.name_en,
            "timezone": ruleset.timezone,
        },
        "role_percent": {
            "volunteer": ruleset.role_percent.volunteer,
            "organiser": ruleset.role_percent.organiser,
            "captain": ruleset.role_percent.captain,
        },
        "caps": _caps(ruleset.caps),
        "streak": {
            "tiers": [
                {"weeks": t.weeks, "bonus_points": t.bonus_points}
                for t in sorted(ruleset.streak_tiers, key=lambda t: t.weeks)
            ]
        },
        "activities": {rule.activity_id: _activity(rule) for rule in ruleset.activities},
        "campaigns": [
            {
                "id": c.campaign_id,
                "name_zh": c.name_zh,
                "name_en": c.name_en,
                "starts_on": c.starts_on.isoformat(),
                "ends_on": c.ends_on.isoformat(),
                "percent": c.percent,
                "activities": sorted(c.activity_ids),
            }
            for c in sorted(ruleset.campaigns, key=lambda c: c.campaign_id)
        ],
        **_game(ruleset),
    }


def canonical_bytes(ruleset: RuleSet) -> bytes:
    """The canonical UTF-8 JSON bytes of `ruleset`'s meaning."""
    text = json.dumps(meaning(ruleset), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def ruleset_hash(ruleset: RuleSet) -> str:
    """Lowercase hex SHA-256 of `canonical_bytes(ruleset)`."""
    return hashlib.sha256(canonical_bytes(ruleset)).hexdigest()
