"""Best-effort map from dotted key paths to the line of a TOML file that defines them.

`tomllib` returns plain values without positions, so to tell an admin *where* a bad value
is, we scan the text once for table headers (`[a.b]`, `[[a.b]]`) and `key = value` lines and
record the line of each path in the loader's notation (`campaigns[1].percent`). Keys inside
inline tables and multi-line arrays are not seen; `line_of` then falls back to the nearest
enclosing path that was seen, and to None if there is none. The error always names the key,
so a missing line costs convenience, never correctness.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PART = r'(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|\'[^\']*\')'
_KEY = rf"{_PART}(?:\s*\.\s*{_PART})*"
_ARRAY_HEADER = re.compile(rf"^\s*\[\[\s*({_KEY})\s*\]\]")
_TABLE_HEADER = re.compile(rf"^\s*\[\s*({_KEY})\s*\]")
_ASSIGNMENT = re.compile(rf"^\s*({_KEY})\s*=(.*)$")
_PART_RE = re.compile(_PART)
_LAST_STEP = re.compile(r"(\[\d+\]|\.[^.\[]+)$")


def _parts(key: str) -> list[str]:
    """The components of a dotted TOML key, unquoted."""
    parts = []
    for match in _PART_RE.finditer(key):
        part = match.group(0)
        if part[0] in "\"'":
            part = part[1:-1]
        parts.append(part)
    return parts


@dataclass(frozen=True)
class KeyLines:
    """Line numbers (1-based) of the paths a TOML text defines."""

    lines: dict[str, int]

    def line_of(self, path: str) -> int | None:
        """The line of `path`, else of its nearest recorded ancestor, else None."""
        while path:
            if path in self.lines:
                return self.lines[path]
            stripped = _LAST_STEP.sub("", path)
            if stripped == path:
                return None
            path = stripped
        return None


class _Scanner:
    def __init__(self) -> None:
        self.lines: dict[str, int] = {}
        self.array_counts: dict[str, int] = {}
        self.table = ""

    def resolve(self, parts: list[str], prefix: str = "") -> str:
        """Join `parts` below `prefix`, indexing into arrays of tables already seen."""
        path = prefix
        for part in parts:
            path = f"{path}.{part}" if path else part
            if path in self.array_counts:
                path = f"{path}[{self.array_counts[path]}]"
        return path

    def record(self, path: str, line: int) -> None:
        """Remember `line` for `path` and, where not yet known, for its ancestors."""
        self.lines.setdefault(path, line)
        ancestor = _LAST_STEP.sub("", path)
        while ancestor and ancestor != path:
            self.lines.setdefault(ancestor, line)
            path, ancestor = ancestor, _LAST_STEP.sub("", ancestor)

    def header(self, text: str, line: int) -> bool:
        """Handle a table or array-of-tables header; False if `text` is neither."""
        if array := _ARRAY_HEADER.match(text):
            parts = _parts(array.group(1))
            parent = self.resolve(parts[:-1])
            path = f"{parent}.{parts[-1]}" if parent else parts[-1]
            self.array_counts[path] = self.array_counts.get(path, -1) + 1
            self.table = f"{path}[{self.array_counts[path]}]"
        elif table := _TABLE_HEADER.match(text):
            self.table = self.resolve(_parts(table.group(1)))
        else:
            return False
        self.record(self.table, line)
        return True


def scan(text: str) -> KeyLines:
    """Scan `text` for the lines of its table headers and keys."""
    scanner = _Scanner()
    in_multiline: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        if in_multiline is not None:
            if raw.count(in_multiline) % 2 == 1:
                in_multiline = None
            continue
        if scanner.header(raw, number):
            continue
        if assignment := _ASSIGNMENT.match(raw):
            path = scanner.resolve(_parts(assignment.group(1)), scanner.table)
            scanner.record(path, number)
            value = assignment.group(2)
            for quote in ('"""', "'''"):
                if value.count(quote) % 2 == 1:
                    in_multiline = quote
    return KeyLines(scanner.lines)
