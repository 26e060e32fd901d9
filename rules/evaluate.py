"""Evaluation: one approved check-in's facts and the member's history in, an `Award` out.

The steps, in order (each is one `AwardLine`; the award is the sum of the lines):

1. base: the activity's `base_points`.
2. duration: for timed activities, `points_per_period` per completed (or started) period of
   `period_minutes`, counting at most `max_counted_minutes`; below `min_minutes` it is zero
   and the line says so. Minutes are whole minutes, rounded down from the check-in times.
3. role: base + duration times the member's role percent (organiser, captain); the line is
   left out at 100%.
4. campaign: that result times the percent of the campaign whose inclusive date window holds
   the event's local date and which covers the activity; if several do, only the highest
   percent applies (ties: the smallest campaign id), so campaigns never compound.
5. first-time bonus: on the member's first approved check-in of the activity.
6. streak bonus: on the member's first approved activity of an ISO week (Monday to Sunday),
   the bonus of the highest tier whose `weeks` the streak ending that week reaches.
7. caps: the total is cut to the smallest allowance left under the activity's and the
   overall caps per day, week and month (cap minus points already earned in that period,
   never below zero); the line names the cap that binds (ties: activity before overall, then
   day, week, month).

Rounding: each multiplier step rounds down (floor) to whole points, immediately, i.e.
`floor(floor((base + duration) * role% / 100) * campaign% / 100)`. Bonuses are never
multiplied; caps apply to everything.

Evaluation reads no clock, no database and no file: the same facts, history and rule set
always give the same award, which is why a new rule set never changes a past credit.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from rules.award import Award
from rules.errors import InvalidFacts
from rules.facts import Facts, History
from rules.lines import AwardLine, CapScope, DurationStatus, LineKind
from rules.model import (
    HUNDRED_PERCENT,
    ActivityRule,
    Campaign,
    DurationRule,
    PeriodCount,
    Role,
    RuleSet,
)
from rules.periods import Period, local_date_of, run_ending, week_start, weeks_of

ONE_MINUTE = timedelta(minutes=1)


def evaluate(facts: Facts, history: History, ruleset: RuleSet) -> Award:
    """The award for one approved check-in under `ruleset`, given the member's `history`."""
    rule = ruleset.activity(facts.activity_id)
    role = _role(facts)
    local_date = event_local_date(facts, ruleset)
    minutes = _minutes(facts)
    lines = [AwardLine(LineKind.BASE, rule.base_points)]
    if rule.duration is not None:
        lines.append(_duration_line(rule.duration, minutes))
    subtotal_points = sum(x.points for x in lines)
    lines.extend(_multiplier_lines(role, rule, ruleset, local_date, subtotal_points))
    first_time = facts.is_first_for_activity
    if first_time is None:
        first_time = not history.has_done(rule.activity_id)
    if first_time and rule.first_time_bonus_points:
        lines.append(AwardLine(LineKind.FIRST_TIME, rule.first_time_bonus_points))
    streak = _streak_line(ruleset, history, local_date)
    if streak is not None:
        lines.append(streak)
    cap = _cap_line(sum(x.points for x in lines), rule, ruleset, history, local_date)
    if cap is not None:
        lines.append(cap)
    return Award(
        activity_id=rule.activity_id,
        local_date=local_date,
        duration_minutes=minutes,
        points=sum(x.points for x in lines),
        ruleset_hash=ruleset.hash,
        lines=tuple(lines),
    )


def _role(facts: Facts) -> Role:
    try:
        return Role(facts.role)  # callers outside the type checker may pass a plain string
    except ValueError:
        raise InvalidFacts(
            f"unknown role {facts.role!r}", message_zh=f"未知的角色 {facts.role!r}", field="role"
        ) from None


def _aware(moment: datetime | None, name: str) -> None:
    if moment is not None and moment.utcoffset() is None:
        raise InvalidFacts(
            f"{name} must be timezone-aware", message_zh=f"{name} 必须带时区", field=name
        )


def event_local_date(facts: Facts, ruleset: RuleSet) -> date:
    """The event's local date: `facts.local_date`, else `started_at` in the rule set's zone."""
    if facts.local_date is not None:
        return facts.local_date
    if facts.started_at is None:
        raise InvalidFacts(
            "local_date or started_at is required",
            message_zh="需要提供 local_date 或 started_at",
            field="local_date",
        )
    _aware(facts.started_at, "started_at")
    return local_date_of(facts.started_at, ruleset.zone)


def _minutes(facts: Facts) -> int | None:
    """Whole minutes served, or None when the check-in carries no duration."""
    started, ended = facts.started_at, facts.ended_at
    _aware(started, "started_at")
    _aware(ended, "ended_at")
    if facts.duration_minutes is not None:
        if ended is not None:
            raise InvalidFacts(
                "give ended_at or duration_minutes, not both",
                message_zh="ended_at 与 duration_minutes 只能提供一个",
                field="duration_minutes",
            )
        if facts.duration_minutes < 0:
            raise InvalidFacts(
                "duration_minutes is negative", message_zh="时长不能为负", field="duration_minutes"
            )
        return facts.duration_minutes
    if ended is None:
        return None  # checked in, never checked out: no time to count
    if started is None:
        raise InvalidFacts(
            "ended_at without started_at",
            message_zh="有 ended_at 却没有 started_at",
            field="started_at",
        )
    if ended < started:
        raise InvalidFacts(
            "ended_at is before started_at", message_zh="结束时间早于开始时间", field="ended_at"
        )
    return (ended - started) // ONE_MINUTE


def _duration_line(rule: DurationRule, minutes: int | None) -> AwardLine:
    if minutes is None:
        return AwardLine(LineKind.DURATION, 0, {"status": DurationStatus.NOT_RECORDED.value})
    detail: dict[str, int | str] = {"duration_minutes": minutes, "min_minutes": rule.min_minutes}
    if minutes < rule.min_minutes:
        detail.update(status=DurationStatus.BELOW_MINIMUM.value, counted_minutes=0)
        return AwardLine(LineKind.DURATION, 0, detail)
    counted = minutes
    status = DurationStatus.COUNTED
    if rule.max_counted_minutes is not None and minutes > rule.max_counted_minutes:
        counted = rule.max_counted_minutes
        status = DurationStatus.OVER_MAXIMUM
        detail["max_counted_minutes"] = rule.max_counted_minutes
    if rule.count is PeriodCount.COMPLETED:
        periods = counted // rule.period_minutes
    else:
        periods = -(-counted // rule.period_minutes)  # ceiling division, in integers
    detail.update(status=status.value, counted_minutes=counted)
    return AwardLine(LineKind.DURATION, periods * rule.points_per_period, detail)


def _campaign(ruleset: RuleSet, activity_id: str, local_date: date) -> Campaign | None:
    best: Campaign | None = None
    for campaign in ruleset.campaigns:  # sorted by id, so ">" keeps the smallest id on ties
        if campaign.applies(activity_id, local_date) and (
            best is None or campaign.percent > best.percent
        ):
            best = campaign
    return best


def _multiplier_lines(
    role: Role, rule: ActivityRule, ruleset: RuleSet, local_date: date, subtotal_points: int
) -> list[AwardLine]:
    lines = []
    percent = ruleset.role_percent.for_role(role)
    if percent != HUNDRED_PERCENT:
        scaled = subtotal_points * percent // HUNDRED_PERCENT
        detail: dict[str, int | str] = {"role": role.value, "percent": percent}
        lines.append(AwardLine(LineKind.ROLE, scaled - subtotal_points, detail))
        subtotal_points = scaled
    campaign = _campaign(ruleset, rule.activity_id, local_date)
    if campaign is not None:
        scaled = subtotal_points * campaign.percent // HUNDRED_PERCENT
        detail = {
            "campaign_id": campaign.campaign_id,
            "name_zh": campaign.name_zh,
            "name_en": campaign.name_en,
            "percent": campaign.percent,
        }
        lines.append(AwardLine(LineKind.CAMPAIGN, scaled - subtotal_points, detail))
    return lines


def _streak_line(ruleset: RuleSet, history: History, local_date: date) -> AwardLine | None:
    if not ruleset.streak_tiers:
        return None
    dates = history.activity_dates()
    this_week = week_start(local_date)
    if this_week in weeks_of(dates):
        return None  # the week's first approved activity already had its chance
    streak_weeks = run_ending(weeks_of(dates) | {this_week}, local_date)
    reached = [tier for tier in ruleset.streak_tiers if tier.weeks <= streak_weeks]
    if not reached or reached[-1].bonus_points == 0:  # tiers are sorted by weeks
        return None
    return AwardLine(LineKind.STREAK, reached[-1].bonus_points, {"streak_weeks": streak_weeks})


def _cap_line(
    total_points: int, rule: ActivityRule, ruleset: RuleSet, history: History, local_date: date
) -> AwardLine | None:
    binding: dict[str, int | str] | None = None
    scopes = (
        (CapScope.ACTIVITY, rule.caps, rule.activity_id),
        (CapScope.OVERALL, ruleset.caps, None),
    )
    for scope, caps, activity_id in scopes:
        for period in Period:
            cap_points = caps.for_period(period)
            if cap_points is None:
                continue
            used_points = history.points_in(period, local_date, activity_id)
            allowed_points = max(0, cap_points - used_points)
            if binding is None or allowed_points < int(binding["allowed_points"]):
                binding = {
                    "scope": scope.value,
                    "period": period.value,
                    "cap_points": cap_points,
                    "used_points": used_points,
                    "allowed_points": allowed_points,
                }
    if binding is None or int(binding["allowed_points"]) >= total_points:
        return None
    return AwardLine(LineKind.CAP, int(binding["allowed_points"]) - total_points, binding)
