"""The dashboard's chart additions: horizontal bars for categories, narrower charts, and
axis labels that stay readable over a year of weeks."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from admin.charts import Series, bar_chart, hbar_chart, line_chart

SVG = "{http://www.w3.org/2000/svg}"


def texts(svg: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text")]


def test_horizontal_bars_draw_one_bar_per_row_with_its_value() -> None:
    """Each row is a bar whose tooltip names the whole label and its value, and whose
    length is in proportion to the largest."""
    svg = hbar_chart("按活动", [("老年人集体过生日", 8), ("安全巡逻", 4)], width=480)
    root = ET.fromstring(svg)
    bars = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert [b.find(f"{SVG}title").text for b in bars] == [  # type: ignore[union-attr]
        "老年人集体过生日: 8",
        "安全巡逻: 4",
    ]
    widths = [float(b.get("width", "0")) for b in bars]
    assert widths[0] == 2 * widths[1]
    assert root.get("viewBox", "").startswith("0 0 480 ")


def test_long_labels_are_cut_to_fit_and_kept_whole_in_the_tooltip() -> None:
    """A label wider than its column ends in an ellipsis; Latin text fits more characters
    than Chinese in the same width."""
    chinese = "一二三四五六七八九十一二三四五六"
    english = "Civilised-travel persuasion on the main road"
    svg = hbar_chart("t", [(chinese, 1), (english, 1)], label_width=136)
    shown = [t for t in texts(svg) if t.endswith("…")]
    assert len(shown) == 2
    assert len(shown[1]) > len(shown[0])
    assert chinese in svg
    assert english in svg


def test_an_empty_breakdown_says_so() -> None:
    """Without rows the chart writes its empty text and draws no bars."""
    svg = hbar_chart("按楼栋", [], empty="这段时间没有数据")
    assert "这段时间没有数据" in texts(svg)
    assert ET.fromstring(svg).find(f"{SVG}rect") is None


def test_a_year_of_weeks_gets_at_most_eight_axis_labels() -> None:
    """Fifty-two weekly bars or points are labelled every few weeks, not every week."""
    labels = [f"w{i:02d}" for i in range(52)]
    series = [Series("issued", list(range(52)))]
    for svg in (bar_chart("b", labels, series, width=480), line_chart("l", labels, series)):
        assert 1 < len([t for t in texts(svg) if t.startswith("w")]) <= 8
