"""Small SVG charts for the admin dashboard: no JavaScript, no external fonts, phone-safe.

Each chart is a complete <svg> document string with a <title> and an aria-label, so the page
can inline it or serve it as an image.
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
COLOURS = ("#c0392b", "#2471a3", "#1e8449", "#b9770e")


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


def _frame(title: str, body: list[str], top: int) -> str:
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    axis = [
        f'<line x1="{MARGIN_LEFT}" y1="{MARGIN_TOP}" x2="{MARGIN_LEFT}" '
        f'y2="{MARGIN_TOP + plot_height}" stroke="#999"/>',
        f'<line x1="{MARGIN_LEFT}" y1="{MARGIN_TOP + plot_height}" x2="{WIDTH - 8}" '
        f'y2="{MARGIN_TOP + plot_height}" stroke="#999"/>',
        f'<text x="{MARGIN_LEFT - 6}" y="{MARGIN_TOP + 4}" text-anchor="end" '
        f'font-size="11">{top}</text>',
        f'<text x="{MARGIN_LEFT - 6}" y="{MARGIN_TOP + plot_height}" text-anchor="end" '
        f'font-size="11">0</text>',
    ]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" font-family="sans-serif">'
        f"<title>{escape(title)}</title>"
        f'<text x="{MARGIN_LEFT}" y="16" font-size="14" font-weight="bold">{escape(title)}</text>'
        + "".join(axis + body)
        + "</svg>"
    )


def _legend(series: Sequence[Series]) -> list[str]:
    parts = []
    for index, one in enumerate(series):
        x = WIDTH - 150
        y = 14 + index * 14
        colour = COLOURS[index % len(COLOURS)]
        parts.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="{y}" font-size="11">{escape(one.name)}</text>')
    return parts


def bar_chart(title: str, labels: Sequence[str], series: Sequence[Series]) -> str:
    """Grouped vertical bars: one group per label, one bar per series."""
    top = _scale_max(series)
    plot_width = WIDTH - MARGIN_LEFT - 16
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    group_width = plot_width / max(len(labels), 1)
    bar_width = max(group_width * 0.8 / max(len(series), 1), 1)
    body: list[str] = []
    for group, label in enumerate(labels):
        left = MARGIN_LEFT + group * group_width + group_width * 0.1
        for index, one in enumerate(series):
            value = one.values[group] if group < len(one.values) else 0
            height = plot_height * value / top
            x = left + index * bar_width
            y = MARGIN_TOP + plot_height - height
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_width:.1f}" height="{height:.1f}" '
                f'fill="{COLOURS[index % len(COLOURS)]}"><title>{escape(one.name)} '
                f"{escape(label)}: {value}</title></rect>"
            )
        body.append(
            f'<text x="{left + group_width * 0.4:.1f}" y="{HEIGHT - MARGIN_BOTTOM + 16}" '
            f'font-size="10" text-anchor="middle">{escape(label)}</text>'
        )
    return _frame(title, body + _legend(series), top)


def line_chart(title: str, labels: Sequence[str], series: Sequence[Series]) -> str:
    """Lines over labels (weeks, for instance)."""
    top = _scale_max(series)
    plot_width = WIDTH - MARGIN_LEFT - 16
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    step = plot_width / max(len(labels) - 1, 1)
    body: list[str] = []
    for index, one in enumerate(series):
        points = " ".join(
            f"{MARGIN_LEFT + i * step:.1f},{MARGIN_TOP + plot_height - plot_height * v / top:.1f}"
            for i, v in enumerate(one.values)
        )
        colour = COLOURS[index % len(COLOURS)]
        body.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
    every = max(len(labels) // 8, 1)
    for i, label in enumerate(labels):
        if i % every == 0:
            body.append(
                f'<text x="{MARGIN_LEFT + i * step:.1f}" y="{HEIGHT - MARGIN_BOTTOM + 16}" '
                f'font-size="10" text-anchor="middle">{escape(label)}</text>'
            )
    return _frame(title, body + _legend(series), top)
