"""Test helpers for the hash: meaning-preserving rewrites and single-value changes."""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator
from datetime import date, timedelta

from rules import RuleSet, RulesetInvalid, load_text
from rules.model import DEFAULT_LEVELS
from tests.rules.tomlgen import Doc, render

Path = tuple[str | int, ...]

# Other valid values for the keys whose strings are chosen from a fixed set.
CHOICES = {
    "approval": ["captain", "auto"],
    "count": ["completed", "started"],
    "criterion": ["weekly_streak", "year_minutes", "distinct_teams", "lifetime_points"],
    "timezone": ["Asia/Shanghai", "Asia/Chongqing", "UTC"],
}


def with_defaults(document: Doc) -> Doc:
    """`document` with every optional key written out at its documented default."""
    doc = copy.deepcopy(document)
    _dict(doc["ruleset"]).setdefault("timezone", "Asia/Shanghai")
    roles = _dict(doc.setdefault("role_percent", {}))
    for role in ("volunteer", "organiser", "captain"):
        roles.setdefault(role, 100)
    doc.setdefault("caps", {})
    doc.setdefault("streak", {"tiers": []})
    for activity in _dict(doc["activities"]).values():
        table = _dict(activity)
        defaults = {"base_points": 0, "first_time_bonus_points": 0, "approval": "captain"}
        for key, value in {**defaults, "requires_checkout": False, "caps": {}}.items():
            table.setdefault(key, value)
        if "duration" in table:
            _dict(table["duration"]).setdefault("count", "completed")
            _dict(table["duration"]).setdefault("min_minutes", 0)
    for campaign in _list(doc.setdefault("campaigns", [])):
        _dict(campaign).setdefault("activities", [])
    doc.setdefault(
        "levels",
        [
            {
                "id": lv.level_id,
                "min_points": lv.min_points,
                "name_zh": lv.name_zh,
                "name_en": lv.name_en,
            }
            for lv in DEFAULT_LEVELS
        ],
    )
    doc.setdefault("badges", [])
    return doc


def reordered(document: Doc, rnd: random.Random) -> Doc:
    """`document` with the lists whose order means nothing shuffled."""
    doc = copy.deepcopy(document)
    for key in ("campaigns", "levels", "badges"):
        if key in doc:
            rnd.shuffle(_list(doc[key]))
    for campaign in _list(doc.get("campaigns", [])):
        if "activities" in _dict(campaign):
            rnd.shuffle(_list(_dict(campaign)["activities"]))
    if "streak" in doc:
        rnd.shuffle(_list(_dict(doc["streak"])["tiers"]))
    return doc


def leaves(value: object, path: Path = ()) -> Iterator[Path]:
    """Paths to every value that could be changed: scalars and arrays of strings."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield from leaves(child, (*path, key))
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for index, child in enumerate(value):
            yield from leaves(child, (*path, index))
    else:
        yield path


def _alternatives(key: str | int, value: object, known: list[str]) -> list[object]:
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [value + 1, value - 1]
    if isinstance(value, date):
        return [value + timedelta(days=1), value - timedelta(days=1)]
    if isinstance(value, str):
        choices = known if key == "activity" else CHOICES.get(str(key), [])
        others: list[object] = [c for c in choices if c != value]
        return others or [value + "x"]
    assert isinstance(value, list)
    shorter: list[object] = [value[:-1]] if value else []
    return shorter + [[*value, a] for a in known if a not in value]


def changed(document: Doc, path: Path) -> tuple[Doc, RuleSet] | None:
    """`document` with the value at `path` changed to another valid value, and its rule set."""
    known = list(_dict(document["activities"]))
    for alternative in _alternatives(path[-1], _get(document, path), known):
        doc = copy.deepcopy(document)
        parent = _get(doc, path[:-1])
        assert isinstance(parent, dict)  # leaves end in a key: arrays of strings are leaves
        parent[path[-1]] = alternative
        try:
            return doc, load_text(render(doc))
        except RulesetInvalid:
            continue
    return None


def _get(document: object, path: Path) -> object:
    for step in path:
        if isinstance(document, dict):
            document = document[step]
        else:
            assert isinstance(document, list)
            assert isinstance(step, int)
            document = document[step]
    return document


def _dict(value: object) -> dict[str, object]:
    assert isinstance(value, dict)
    return value


def _list(value: object) -> list[object]:
    assert isinstance(value, list)
    return value
