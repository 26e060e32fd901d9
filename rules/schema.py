"""Typed, path-aware reading of a parsed TOML table, failing with a precise `RulesetInvalid`.

A `Table` knows its dotted path and the keys it allows. It refuses unknown keys first (with a
suggestion for typos), so a misspelt optional key is reported as the typo rather than being
silently ignored, and a misspelt required key as the typo rather than as "missing".
"""

# Chinese messages take full-width punctuation (commas, brackets), not confusables here.
# ruff: noqa: RUF001

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from typing import NoReturn, TypeVar

from rules.errors import ruleset_invalid
from rules.toml_lines import KeyLines

MAX_POINTS = 100_000  # no single rule value needs more; larger values are typos
MAX_TEXT_CHARS = 200

E = TypeVar("E", bound=StrEnum)


def toml_type(value: object) -> str:
    """The TOML name of the type of a parsed value."""
    # datetime before date: a datetime is a date in Python, not in TOML.
    names: tuple[tuple[type, str], ...] = (
        (bool, "boolean"),
        (int, "integer"),
        (float, "float"),
        (str, "string"),
        (datetime, "date-time"),
        (date, "date"),
        (time, "time"),
        (list, "array"),
        (dict, "table"),
    )
    for kind, name in names:
        if isinstance(value, kind):
            return name
    return type(value).__name__


def a_or_an(noun: str) -> str:
    """`noun` with its indefinite article, for messages such as "not an integer"."""
    return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"


@dataclass(frozen=True)
class Source:
    """The file being loaded: its name for messages and the lines of its keys."""

    file: str
    key_lines: KeyLines

    def fail(self, key: str, *, en: str, zh: str) -> NoReturn:
        """Refuse the whole file because of `key`."""
        raise ruleset_invalid(
            file=self.file, key=key, line=self.key_lines.line_of(key), problem_en=en, problem_zh=zh
        )


class Table:
    """A TOML table at `path`, read one typed key at a time."""

    def __init__(
        self, data: Mapping[str, object], *, path: str, source: Source, allowed: Iterable[str]
    ) -> None:
        self.data = data
        self.path = path
        self.source = source
        allowed_keys = sorted(allowed)
        for key in data:
            if key not in allowed_keys:
                near = difflib.get_close_matches(key, allowed_keys, n=1)
                hint_en = f"; did you mean '{near[0]}'?" if near else ""
                hint_zh = f"；是否应为 '{near[0]}'？" if near else ""
                source.fail(
                    self.key(key),
                    en=f"unknown key '{key}'{hint_en} (allowed: {', '.join(allowed_keys)})",
                    zh=f"未知的键 '{key}'{hint_zh}（允许：{', '.join(allowed_keys)}）",
                )

    def key(self, name: str) -> str:
        """The dotted path of `name` in this table."""
        return f"{self.path}.{name}" if self.path else name

    def fail(self, name: str, *, en: str, zh: str) -> NoReturn:
        """Refuse the file because of key `name` of this table."""
        self.source.fail(self.key(name), en=en, zh=zh)

    def _typed(self, name: str, kind: type, kind_name: str, kind_zh: str) -> object:
        value = self.data[name]
        is_bool = isinstance(value, bool)
        if not isinstance(value, kind) or (is_bool and kind is int) or isinstance(value, datetime):
            found = toml_type(value)
            self.fail(
                name,
                en=f"must be {kind_name}, not {a_or_an(found)}",
                zh=f"应为{kind_zh}，而不是 {found}",
            )
        return value

    def has(self, name: str) -> bool:
        """Whether the key is present."""
        return name in self.data

    def require(self, name: str) -> None:
        """Refuse the file if `name` is missing."""
        if name not in self.data:
            self.fail(name, en="is required but missing", zh="缺少必填项")

    def integer(self, name: str, *, minimum: int = 0, maximum: int = MAX_POINTS) -> int:
        """A required integer between `minimum` and `maximum`."""
        self.require(name)
        value = self._typed(name, int, "an integer", "整数")
        assert isinstance(value, int)
        if value < minimum:
            word = "negative" if value < 0 <= minimum else f"less than {minimum}"
            self.fail(
                name,
                en=f"must not be {word} (got {value})",
                zh=f"不能小于 {minimum}（实际为 {value}）",
            )
        if value > maximum:
            self.fail(
                name,
                en=f"must be at most {maximum} (got {value})",
                zh=f"不能大于 {maximum}（实际为 {value}）",
            )
        return value

    def integer_or(self, name: str, default: int, **bounds: int) -> int:
        """An optional integer, `default` when absent."""
        return self.integer(name, **bounds) if self.has(name) else default

    def integer_or_none(self, name: str, **bounds: int) -> int | None:
        """An optional integer, None when absent."""
        return self.integer(name, **bounds) if self.has(name) else None

    def text(self, name: str) -> str:
        """A required non-blank string of at most `MAX_TEXT_CHARS` characters."""
        self.require(name)
        value = self._typed(name, str, "a string", "字符串")
        assert isinstance(value, str)
        if not value.strip():
            self.fail(name, en="must not be empty", zh="不能为空")
        if len(value) > MAX_TEXT_CHARS:
            self.fail(
                name,
                en=f"must be at most {MAX_TEXT_CHARS} characters",
                zh=f"不能超过 {MAX_TEXT_CHARS} 个字符",
            )
        return value

    def text_or(self, name: str, default: str) -> str:
        """An optional string, `default` when absent."""
        return self.text(name) if self.has(name) else default

    def boolean_or(self, name: str, default: bool) -> bool:
        """An optional boolean, `default` when absent."""
        if not self.has(name):
            return default
        value = self._typed(name, bool, "a boolean (true or false)", "布尔值（true 或 false）")
        assert isinstance(value, bool)
        return value

    def local_date(self, name: str) -> date:
        """A required TOML local date such as 2027-03-01 (not a date-time)."""
        self.require(name)
        value = self._typed(name, date, "a local date such as 2027-03-01", "日期，例如 2027-03-01")
        assert isinstance(value, date)
        return value

    def choice(self, name: str, kind: type[E], default: E | None = None) -> E:
        """One of the values of `kind`; required unless `default` is given."""
        if default is not None and not self.has(name):
            return default
        options = ", ".join(f'"{member.value}"' for member in kind)
        value = self.text(name)
        try:
            return kind(value)
        except ValueError:
            self.fail(
                name,
                en=f'must be one of {options} (got "{value}")',
                zh=f'应为 {options} 之一（实际为 "{value}"）',
            )

    def texts(self, name: str) -> list[str]:
        """An optional array of strings, empty when absent."""
        if not self.has(name):
            return []
        values = self._typed(name, list, "an array of strings", "字符串数组")
        assert isinstance(values, list)
        for index, value in enumerate(values):
            if not isinstance(value, str):
                self.source.fail(
                    f"{self.key(name)}[{index}]",
                    en=f"must be a string, not {a_or_an(toml_type(value))}",
                    zh=f"应为字符串，而不是 {toml_type(value)}",
                )
        return values

    def table(self, name: str, allowed: Iterable[str]) -> Table | None:
        """An optional sub-table, None when absent."""
        if not self.has(name):
            return None
        value = self._typed(name, dict, "a table", "表")
        assert isinstance(value, dict)
        return Table(value, path=self.key(name), source=self.source, allowed=allowed)

    def tables(self, name: str, allowed: Iterable[str]) -> list[Table]:
        """An optional array of tables (`[[name]]`), empty when absent."""
        if not self.has(name):
            return []
        values = self._typed(name, list, "an array of tables", "表数组")
        assert isinstance(values, list)
        result = []
        for index, value in enumerate(values):
            path = f"{self.key(name)}[{index}]"
            if not isinstance(value, dict):
                self.source.fail(
                    path,
                    en=f"must be a table, not {a_or_an(toml_type(value))}",
                    zh=f"应为表，而不是 {toml_type(value)}",
                )
            result.append(Table(value, path=path, source=self.source, allowed=allowed))
        return result

    def named_tables(self, name: str, allowed: Iterable[str]) -> list[tuple[str, Table]]:
        """A table of tables keyed by id (`[name.<id>]`), in file order; empty when absent."""
        if not self.has(name):
            return []
        values = self._typed(name, dict, "a table", "表")
        assert isinstance(values, dict)
        result = []
        for key, value in values.items():
            path = f"{self.key(name)}.{key}"
            if not isinstance(value, dict):
                self.source.fail(
                    path,
                    en=f"must be a table, not {a_or_an(toml_type(value))}",
                    zh=f"应为表，而不是 {toml_type(value)}",
                )
            result.append((key, Table(value, path=path, source=self.source, allowed=allowed)))
        return result
