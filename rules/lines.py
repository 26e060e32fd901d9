"""The steps of an evaluation, as structured lines that explanations are rendered from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class LineKind(StrEnum):
    """One step of an evaluation, in the order the steps are applied."""

    BASE = "base"
    DURATION = "duration"
    ROLE = "role"
    CAMPAIGN = "campaign"
    FIRST_TIME = "first_time"
    STREAK = "streak"
    CAP = "cap"


class DurationStatus(StrEnum):
    """How the duration step treated the minutes served."""

    COUNTED = "counted"
    BELOW_MINIMUM = "below_minimum"
    OVER_MAXIMUM = "over_maximum"  # counted only up to max_counted_minutes
    NOT_RECORDED = "not_recorded"


class CapScope(StrEnum):
    """Whether a cap counts one activity or all activities together."""

    ACTIVITY = "activity"
    OVERALL = "overall"


@dataclass(frozen=True)
class AwardLine:
    """One step: its kind, the points it added (negative for a cap) and its particulars.

    `detail` keys by kind: duration: status, duration_minutes, counted_minutes, min_minutes,
    max_counted_minutes; role: role, percent; campaign: campaign_id, name_zh, name_en,
    percent; streak: streak_weeks; cap: scope, period, cap_points, used_points,
    allowed_points. Base and first-time lines need no detail.
    """

    kind: LineKind
    points: int
    detail: Mapping[str, int | str] = field(default_factory=dict, hash=False)
