"""Test helpers: valid rule-set documents as data, and a TOML writer with many styles.

`documents()` draws the parsed shape of a valid rule-set file; `render()` writes one as
TOML, plainly or, given a `random.Random`, with shuffled keys, comments, blank lines,
quoted keys, inline tables, dotted keys and other integer and string literal styles, which
all mean the same thing to a TOML parser.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from functools import partial
from typing import TypeVar

from hypothesis import strategies as st

T = TypeVar("T")
Doc = dict[str, object]

ACTIVITY_IDS = ("patrol", "birthday", "banquet", "cleanup")
HEADER = """\
[ruleset]
id = "test"
version = 1
name_zh = "测试规则"
name_en = "Test rules"
"""

PATROL = """
[activities.patrol]
name_zh = "安全巡逻"
name_en = "Safety patrol"
base_points = 20
"""


def _is_table_array(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


class _Writer:
    def __init__(self, rnd: random.Random | None) -> None:
        self.rnd = rnd
        self.lines: list[str] = []

    def pick(self, *options: T) -> T:
        return options[0] if self.rnd is None else self.rnd.choice(options)

    def shuffled(self, items: Sequence[T]) -> list[T]:
        return list(items) if self.rnd is None else self.rnd.sample(list(items), len(items))

    def key(self, name: str) -> str:
        return self.pick(name, f'"{name}"', f"'{name}'")

    def integer(self, value: int) -> str:
        plain = str(value)
        if value < 0:
            return plain
        grouped = f"{value:_}"
        return self.pick(plain, grouped, f"+{value}", hex(value), oct(value), bin(value))

    def string(self, value: str) -> str:
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        if "'" in value or not value.isprintable():
            return f'"{escaped}"'
        return self.pick(f'"{escaped}"', f"'{value}'")

    def value(self, value: object, *, inline: bool) -> str:
        if isinstance(value, (dict, list)):
            return self.compound(value, inline=inline)
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int):
            return self.integer(value)
        if isinstance(value, str):
            return self.string(value)
        assert isinstance(value, date)
        return value.isoformat()

    def compound(self, value: dict[str, object] | list[object], *, inline: bool) -> str:
        if isinstance(value, dict):
            pairs = [f"{self.key(k)} = {self.value(v, inline=True)}" for k, v in value.items()]
            return "{ " + ", ".join(self.shuffled(pairs)) + " }" if pairs else "{}"
        items = [self.value(v, inline=True) for v in value]
        if not inline and items and self.pick(False, True):
            return "[\n" + "".join(f"    {item},\n" for item in items) + "]"
        trailing = self.pick("", ",") if items else ""
        return "[" + self.pick(", ", ",", " , ").join(items) + trailing + "]"

    def noise(self) -> None:
        if self.rnd is not None and self.rnd.random() < 0.3:
            self.lines.append(self.pick("", "# 备注 a comment", "   # indented = comment"))

    def emit(self, text: str) -> None:
        self.noise()
        indent = self.pick("", "  ")
        trailing = self.pick("", "", "  # trailing comment, 注释")
        self.lines.append(f"{indent}{text}{trailing}")

    def table(
        self,
        path: list[str],
        data: Mapping[str, object],
        header: str | None,
        *,
        implicit: bool = False,
    ) -> None:
        """Write a table; with `implicit`, its header may be left out if no key needs it."""
        keyed: list[str] = []
        deferred: list[Callable[[], None]] = []
        for name, value in data.items():
            sub = [*path, name]
            dotted = ".".join(self.key(p) for p in sub)
            if isinstance(value, dict):
                all_scalar = value and not any(isinstance(v, (dict, list)) for v in value.values())
                modes = ("header", "inline", "dotted") if all_scalar else ("header", "inline")
                mode = self.pick(*modes)
                if mode == "inline":
                    keyed.append(f"{self.key(name)} = {self.value(value, inline=False)}")
                elif mode == "dotted":
                    keyed.extend(
                        f"{self.key(name)}.{self.key(k)} = {self.value(v, inline=False)}"
                        for k, v in value.items()
                    )
                else:
                    deferred.append(partial(self.table, sub, value, f"[{dotted}]", implicit=True))
            elif _is_table_array(value) and self.pick(True, False):
                assert isinstance(value, list)
                deferred.append(partial(self.table_array, sub, value, f"[[{dotted}]]"))
            else:
                keyed.append(f"{self.key(name)} = {self.value(value, inline=False)}")
        if header is not None and (keyed or not implicit or self.pick(True, False)):
            self.emit(header)
        for line in self.shuffled(keyed):
            self.emit(line)
        for write in self.shuffled(deferred):  # tables in any order; array items keep theirs
            self.lines.append(self.pick("", "\n"))
            write()

    def table_array(self, path: list[str], items: list[dict[str, object]], header: str) -> None:
        for item in items:
            self.table(path, item, header)


def render(document: Mapping[str, object], rnd: random.Random | None = None) -> str:
    """`document` as TOML text: plain without `rnd`, in a random style with it."""
    writer = _Writer(rnd)
    writer.table([], document, None)
    return "\n".join(writer.lines) + "\n"


# Strategies for valid documents ----------------------------------------------------------

NAMES = st.text(alphabet="abXY 巡逻文明积分-'\"", min_size=1, max_size=6).filter(str.strip)
POINTS = st.integers(0, 60)
DATES = st.dates(date(2027, 1, 1), date(2027, 3, 31))


def _optional(**fields: st.SearchStrategy[object]) -> st.SearchStrategy[dict[str, object]]:
    return st.fixed_dictionaries({}, optional=fields)


CAPS = _optional(
    day_points=st.integers(0, 120),
    week_points=st.integers(0, 300),
    month_points=st.integers(0, 600),
)


@st.composite
def durations(draw: st.DrawFn) -> dict[str, object]:
    """A valid `[activities.<id>.duration]` table."""
    table: dict[str, object] = {
        "period_minutes": draw(st.integers(1, 90)),
        "points_per_period": draw(st.integers(0, 20)),
    }
    table.update(draw(_optional(count=st.sampled_from(["completed", "started"]))))
    minimum = draw(st.none() | st.integers(0, 60))
    if minimum is not None:
        table["min_minutes"] = minimum
    if draw(st.booleans()):
        table["max_counted_minutes"] = draw(st.integers(max(minimum or 0, 1), 240))
    return table


@st.composite
def activities(draw: st.DrawFn) -> dict[str, object]:
    """A valid `[activities.<id>]` table."""
    table: dict[str, object] = {"name_zh": draw(NAMES), "name_en": draw(NAMES)}
    optional = _optional(
        base_points=POINTS,
        first_time_bonus_points=POINTS,
        approval=st.sampled_from(["captain", "auto"]),
        requires_checkout=st.booleans(),
        duration=durations(),
        caps=CAPS,
    )
    table.update(draw(optional))
    return table


@st.composite
def campaigns(draw: st.DrawFn, campaign_id: str, activity_ids: Sequence[str]) -> dict[str, object]:
    """A valid `[[campaigns]]` entry over some of `activity_ids`."""
    starts_on = draw(DATES)
    table: dict[str, object] = {
        "id": campaign_id,
        "name_zh": draw(NAMES),
        "name_en": draw(NAMES),
        "starts_on": starts_on,
        "ends_on": starts_on + timedelta(days=draw(st.integers(0, 40))),
        "percent": draw(st.integers(0, 300)),
    }
    if draw(st.booleans()):
        chosen = draw(st.lists(st.sampled_from(list(activity_ids)), unique=True, max_size=3))
        table["activities"] = chosen
    return table


@st.composite
def levels(draw: st.DrawFn) -> list[dict[str, object]]:
    """A valid `[[levels]]` array: one level at 0 and others above it."""
    thresholds = draw(st.lists(st.integers(1, 5000), unique=True, max_size=3))
    return [
        {"id": f"level_{i}", "min_points": points, "name_zh": draw(NAMES), "name_en": draw(NAMES)}
        for i, points in enumerate([0, *thresholds])
    ]


@st.composite
def badges(draw: st.DrawFn, badge_id: str, activity_ids: Sequence[str]) -> dict[str, object]:
    """A valid `[[badges]]` entry."""
    criterion = draw(
        st.sampled_from(
            ["activity_count", "weekly_streak", "year_minutes", "distinct_teams", "lifetime_points"]
        )
    )
    table: dict[str, object] = {
        "id": badge_id,
        "name_zh": draw(NAMES),
        "name_en": draw(NAMES),
        "criterion": criterion,
    }
    if criterion == "activity_count":
        table["activity"] = draw(st.sampled_from(list(activity_ids)))
    table["at_least"] = draw(st.integers(1, 100))
    return table


@st.composite
def documents(draw: st.DrawFn) -> Doc:
    """The parsed form of a valid rule-set file, optional parts present or not."""
    header: dict[str, object] = {
        "id": "test",
        "version": draw(st.integers(1, 3)),
        "name_zh": draw(NAMES),
        "name_en": draw(NAMES),
    }
    header.update(
        draw(_optional(timezone=st.sampled_from(["Asia/Shanghai", "Asia/Chongqing", "UTC"])))
    )
    acts = draw(
        st.dictionaries(st.sampled_from(ACTIVITY_IDS), activities(), min_size=1, max_size=3)
    )
    ids = sorted(acts)
    document: Doc = {"ruleset": header}
    percent = st.integers(0, 300)
    document.update(
        draw(
            _optional(
                role_percent=_optional(volunteer=percent, organiser=percent, captain=percent),
                caps=CAPS,
            )
        )
    )
    tiers = st.lists(
        st.fixed_dictionaries({"weeks": st.integers(1, 12), "bonus_points": POINTS}),
        max_size=3,
        unique_by=lambda t: t["weeks"],
    )
    document.update(draw(_optional(streak=st.fixed_dictionaries({"tiers": tiers}))))
    document["activities"] = acts
    count = draw(st.integers(0, 2))
    if count:
        document["campaigns"] = [draw(campaigns(f"campaign_{i}", ids)) for i in range(count)]
    if draw(st.booleans()):
        document["levels"] = draw(levels())
    count = draw(st.integers(0, 2))
    if count:
        document["badges"] = [draw(badges(f"badge_{i}", ids)) for i in range(count)]
    return document
