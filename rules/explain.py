"""Rendering an evaluation's lines as a sentence, in Chinese or in English.

Additive steps (base, duration, bonuses) are joined with " + "; multipliers and caps follow
after a comma, and the total closes the sentence:
"20 base + 10 for 60 minutes, capped at 25 today by the overall daily cap of 25; total 25
points" / "基础 20 分 + 60 分钟 10 分，今日总上限 25 分，计 25 分；共 25 分".
"""

# Chinese text takes full-width punctuation (commas, brackets) and English the multiplication
# sign; neither is a confusable here, so the ambiguous-character checks are off for this file.
# ruff: noqa: RUF001, RUF002

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from rules.lines import AwardLine, CapScope, DurationStatus, LineKind

_ADDITIVE = frozenset({LineKind.BASE, LineKind.DURATION, LineKind.FIRST_TIME, LineKind.STREAK})
_ROLE_ZH = {"volunteer": "志愿者", "organiser": "组织者", "captain": "队长"}
_WHEN_EN = {"day": "today", "week": "this week", "month": "this month"}
_WHEN_ZH = {"day": "今日", "week": "本周", "month": "本月"}
_PERIOD_EN = {"day": "daily", "week": "weekly", "month": "monthly"}


def _int(detail: Mapping[str, int | str], key: str) -> int:
    value = detail[key]
    assert isinstance(value, int)
    return value


def _str(detail: Mapping[str, int | str], key: str) -> str:
    return str(detail[key])


def _duration_en(line: AwardLine) -> str:
    d, points = line.detail, line.points
    status = DurationStatus(_str(d, "status"))
    if status is DurationStatus.NOT_RECORDED:
        return "0 for time (no duration recorded)"
    minutes = _int(d, "duration_minutes")
    if status is DurationStatus.BELOW_MINIMUM:
        return f"0 for {minutes} minutes (below the {_int(d, 'min_minutes')}-minute minimum)"
    if status is DurationStatus.OVER_MAXIMUM:
        return f"{points} for {minutes} minutes (at most {_int(d, 'max_counted_minutes')} counted)"
    return f"{points} for {minutes} minutes"


def _duration_zh(line: AwardLine) -> str:
    d, points = line.detail, line.points
    status = DurationStatus(_str(d, "status"))
    if status is DurationStatus.NOT_RECORDED:
        return "未记录时长，时长 0 分"
    minutes = _int(d, "duration_minutes")
    if status is DurationStatus.BELOW_MINIMUM:
        return f"{minutes} 分钟不足最低 {_int(d, 'min_minutes')} 分钟，时长 0 分"
    if status is DurationStatus.OVER_MAXIMUM:
        return f"{minutes} 分钟（最多计 {_int(d, 'max_counted_minutes')} 分钟）{points} 分"
    return f"{minutes} 分钟 {points} 分"


def _cap_en(line: AwardLine) -> str:
    d = line.detail
    period = _str(d, "period")
    whose = "the overall" if d["scope"] == CapScope.OVERALL else "this activity's"
    text = (
        f"capped at {_int(d, 'allowed_points')} {_WHEN_EN[period]} by {whose} "
        f"{_PERIOD_EN[period]} cap of {_int(d, 'cap_points')}"
    )
    used = _int(d, "used_points")
    return f"{text} ({used} already earned)" if used else text


def _cap_zh(line: AwardLine) -> str:
    d = line.detail
    whose = "总" if d["scope"] == CapScope.OVERALL else "本活动"
    used = _int(d, "used_points")
    earned = f"（已得 {used} 分）" if used else ""
    when = _WHEN_ZH[_str(d, "period")]
    return (
        f"{when}{whose}上限 {_int(d, 'cap_points')} 分{earned}，计 {_int(d, 'allowed_points')} 分"
    )


_EN: dict[LineKind, Callable[[AwardLine], str]] = {
    LineKind.BASE: lambda line: f"{line.points} base",
    LineKind.DURATION: _duration_en,
    LineKind.ROLE: lambda line: (
        f"×{_int(line.detail, 'percent')}% as {_str(line.detail, 'role')} ({line.points:+d})"
    ),
    LineKind.CAMPAIGN: lambda line: (
        f"×{_int(line.detail, 'percent')}% for {_str(line.detail, 'name_en')} ({line.points:+d})"
    ),
    LineKind.FIRST_TIME: lambda line: f"{line.points} first-time bonus",
    LineKind.STREAK: lambda line: (
        f"{line.points} for a {_int(line.detail, 'streak_weeks')}-week streak"
    ),
    LineKind.CAP: _cap_en,
}

_ZH: dict[LineKind, Callable[[AwardLine], str]] = {
    LineKind.BASE: lambda line: f"基础 {line.points} 分",
    LineKind.DURATION: _duration_zh,
    LineKind.ROLE: lambda line: (
        f"{_ROLE_ZH[_str(line.detail, 'role')]} ×{_int(line.detail, 'percent')}%"
        f"（{line.points:+d} 分）"
    ),
    LineKind.CAMPAIGN: lambda line: (
        f"{_str(line.detail, 'name_zh')} ×{_int(line.detail, 'percent')}%（{line.points:+d} 分）"
    ),
    LineKind.FIRST_TIME: lambda line: f"首次参加奖励 {line.points} 分",
    LineKind.STREAK: lambda line: (
        f"连续 {_int(line.detail, 'streak_weeks')} 周奖励 {line.points} 分"
    ),
    LineKind.CAP: _cap_zh,
}


def explain(lines: Iterable[AwardLine], *, total_points: int, language: str = "zh") -> str:
    """`lines` and their total as one sentence; English if `language` starts with "en"."""
    english = language.startswith("en")
    text = ""
    for line in lines:
        segment = (_EN if english else _ZH)[line.kind](line)
        if not text:
            text = segment
        elif line.kind in _ADDITIVE:
            text += f" + {segment}"
        else:
            text += f", {segment}" if english else f"，{segment}"
    if english:
        unit = "point" if total_points == 1 else "points"
        return f"{text}; total {total_points} {unit}"
    return f"{text}；共 {total_points} 分"
