"""Small SVG charts for the admin dashboard: no JavaScript, no external fonts, phone-safe.

Each chart is a complete <svg> document string with a <title> and an aria-label, so the page
can inline it or serve it as an image. A chart is drawn for a `width` in user units; a page
that shows it about that wide shows its text at its natural size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 640
HEIGHT = 260
MARGIN_LEFT = 48
MARGIN_BOTTOM = 56
MARGIN_TOP = 28
MARGIN_RIGHT = 16
COLOURS = ("#c0392b", "#2471a3", "#1e8449", "#b9770e")
MAX_AXIS_LABELS = 8


@dataclass(frozen=True)
class Series:
    """One named row of values, one per label."""

    name: str
    values: Sequence[int]


def _scale_max(series: Sequence[Series]) -> int:
    peak: int = max((v for s in series for v in s.values), default=0)
    if peak <= 0:
        return 1
    magnitude = int("1" + "0" * (len(str(peak)) - 1))  # the leading digit's place value
    return ((peak + magnitude - 1) // magnitude) * magnitude


def _svg(title: str, width: int, height: int, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" font-family="sans-serif">'
        f"<title>{escape(title)}</title>"
        f'<text x="8" y="17" font-size="14" font-weight="bold">{escape(title)}</text>'
        + "".join(body)
        + "</svg>"
    )


def _frame(title: str, body: list[str], top: int, width: int, height: int) -> str:
    bottom = height - MARGIN_BOTTOM
    middle = (MARGIN_TOP + bottom) / 2
    axis = [
        f'<line x1="{MARGIN_LEFT}" y1="{middle:.1f}" x2="{width - 8}" y2="{middle:.1f}" '
        f'stroke="#e5e1dc" stroke-dasharray="4 3"/>',
        f'<line x1="{MARGIN_LEFT}" y1="{MARGIN_TOP}" x2="{width - 8}" y2="{MARGIN_TOP}" '
        f'stroke="#e5e1dc" stroke-dasharray="4 3"/>',
        f'<line x1="{MARGIN_LEFT}" y1="{MARGIN_TOP}" x2="{MARGIN_LEFT}" y2="{bottom}" '
        f'stroke="#999"/>',
        f'<line x1="{MARGIN_LEFT}" y1="{bottom}" x2="{width - 8}" y2="{bottom}" stroke="#999"/>',
        f'<text x="{MARGIN_LEFT - 6}" y="{MARGIN_TOP + 4}" text-anchor="end" '
        f'font-size="11">{top}</text>',
        f'<text x="{MARGIN_LEFT - 6}" y="{bottom}" text-anchor="end" font-size="11">0</text>',
    ]
    if top % 2 == 0:
        axis.append(
            f'<text x="{MARGIN_LEFT - 6}" y="{middle + 4:.1f}" text-anchor="end" '
            f'font-size="11">{top // 2}</text>'
        )
    return _svg(title, width, height, axis + body)


def _legend(series: Sequence[Series], width: int, height: int) -> list[str]:
    """The series' names in a row under the axis labels."""
    parts = []
    x = MARGIN_LEFT
    for index, one in enumerate(series):
        y = height - 12
        colour = COLOURS[index % len(COLOURS)]
        parts.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="{y}" font-size="12">{escape(one.name)}</text>')
        x += 28 + 13 * len(one.name)
        if x > width - 60:
            break
    return parts


def _every(labels: Sequence[str]) -> int:
    """Label every n-th point so that at most MAX_AXIS_LABELS labels show."""
    return max(-(-len(labels) // MAX_AXIS_LABELS), 1)


def bar_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> str:
    """Grouped vertical bars: one group per label, one bar per series."""
    top = _scale_max(series)
    plot_width = width - MARGIN_LEFT - MARGIN_RIGHT
    plot_height = height - MARGIN_TOP - MARGIN_BOTTOM
    group_width = plot_width / max(len(labels), 1)
    bar_width = max(group_width * 0.8 / max(len(series), 1), 1)
    every = _every(labels)
    body: list[str] = []
    for group, label in enumerate(labels):
        left = MARGIN_LEFT + group * group_width + group_width * 0.1
        for index, one in enumerate(series):
            value = one.values[group] if group < len(one.values) else 0
            bar_height = plot_height * value / top
            x = left + index * bar_width
            y = MARGIN_TOP + plot_height - bar_height
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_width:.1f}" '
                f'height="{bar_height:.1f}" fill="{COLOURS[index % len(COLOURS)]}">'
                f"<title>{escape(one.name)} {escape(label)}: {value}</title></rect>"
            )
        if group % every == 0:
            body.append(
                f'<text x="{left + group_width * 0.4:.1f}" y="{height - MARGIN_BOTTOM + 16}" '
                f'font-size="11" text-anchor="middle">{escape(label)}</text>'
            )
    return _frame(title, body + _legend(series, width, height), top, width, height)


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> str:
    """Lines over labels (weeks, for instance), with a dot and a tooltip per value."""
    top = _scale_max(series)
    plot_width = width - MARGIN_LEFT - MARGIN_RIGHT
    plot_height = height - MARGIN_TOP - MARGIN_BOTTOM
    step = plot_width / max(len(labels) - 1, 1)
    body: list[str] = []
    for index, one in enumerate(series):
        colour = COLOURS[index % len(COLOURS)]
        spots = [
            (MARGIN_LEFT + i * step, MARGIN_TOP + plot_height - plot_height * v / top, v)
            for i, v in enumerate(one.values)
        ]
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in spots)
        body.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        for (x, y, value), label in zip(spots, labels, strict=False):
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}">'
                f"<title>{escape(one.name)} {escape(label)}: {value}</title></circle>"
            )
    every = _every(labels)
    for i, label in enumerate(labels):
        if i % every == 0:
            body.append(
                f'<text x="{MARGIN_LEFT + i * step:.1f}" y="{height - MARGIN_BOTTOM + 16}" '
                f'font-size="11" text-anchor="middle">{escape(label)}</text>'
            )
    return _frame(title, body + _legend(series, width, height), top, width, height)


def _text_width(text: str) -> float:
    """Roughly how wide `text` is at 12 units: CJK characters are square, Latin narrower."""
    return sum(12.0 if ord(c) > 0x2E7F else 6.8 for c in text)


def _fit(label: str, width: float) -> str:
    """`label`, cut with an ellipsis to fit `width` units at 12 units a line."""
    if _text_width(label) <= width:
        return label
    while label and _text_width(label + "…") > width:
        label = label[:-1]
    return label + "…"


HBAR_ROW_HEIGHT = 26
HBAR_BAR_HEIGHT = 16


def hbar_chart(
    title: str,
    rows: Sequence[tuple[str, int]],
    *,
    empty: str = "",
    width: int = WIDTH,
    label_width: int = 150,
    colour: str = COLOURS[0],
) -> str:
    """Horizontal bars in one colour, one row per (label, value): for categories with long
    names (activities, teams, buildings). Labels wider than `label_width` are cut, whole in
    the tooltip; with no rows, `empty` is written where the bars would be."""
    top = _scale_max([Series("", [value for _, value in rows])])
    height = MARGIN_TOP + 8 + max(len(rows), 1) * HBAR_ROW_HEIGHT + 8
    left = label_width + 8
    plot_width = width - left - 48
    body: list[str] = []
    for index, (label, value) in enumerate(rows):
        y = MARGIN_TOP + 8 + index * HBAR_ROW_HEIGHT
        bar = plot_width * value / top
        short = _fit(label, label_width - 8)
        body.append(
            f'<text x="{label_width}" y="{y + 13}" font-size="12" text-anchor="end">'
            f"{escape(short)}<title>{escape(label)}</title></text>"
            f'<rect x="{left}" y="{y + 1}" width="{bar:.1f}" height="{HBAR_BAR_HEIGHT}" '
            f'fill="{colour}"><title>{escape(label)}: {value}</title></rect>'
            f'<text x="{left + bar + 6:.1f}" y="{y + 13}" font-size="12">{value}</text>'
        )
    if not rows:
        body.append(
            f'<text x="{width / 2:.0f}" y="{MARGIN_TOP + 26}" font-size="12" fill="#6b6b6b" '
            f'text-anchor="middle">{escape(empty)}</text>'
        )
    else:
        body.append(
            f'<line x1="{left}" y1="{MARGIN_TOP + 6}" x2="{left}" y2="{height - 8}" stroke="#999"/>'
        )
    return _svg(title, width, height, body)
