"""Badges: declarative criteria from the rule set, earned once, dated by the record that
first satisfied them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from rules.facts import History, PastAward
from rules.model import BadgeCriterion, BadgeRule, RuleSet
from rules.periods import run_ending, week_start


@dataclass(frozen=True)
class EarnedBadge:
    """A badge and the local date on which the member earned it."""

    badge_id: str
    name_zh: str
    name_en: str
    earned_on: date


@dataclass
class _Progress:
    """Running counts over a member's records, taken in date order."""

    activity_counts: Counter[str] = field(default_factory=Counter)
    weeks: set[date] = field(default_factory=set)
    streak_weeks: int = 0
    minutes_by_year: Counter[int] = field(default_factory=Counter)
    teams: set[str] = field(default_factory=set)
    lifetime_points: int = 0

    def add(self, local_date: date, award: PastAward | None) -> None:
        self.weeks.add(week_start(local_date))
        self.streak_weeks = run_ending(frozenset(self.weeks), local_date)
        if award is None:
            return
        self.activity_counts[award.activity_id] += 1
        self.minutes_by_year[local_date.year] += award.duration_minutes or 0
        if award.team_id is not None:
            self.teams.add(award.team_id)
        self.lifetime_points += award.points

    def count(self, badge: BadgeRule, local_date: date) -> int:
        match badge.criterion:
            case BadgeCriterion.ACTIVITY_COUNT:
                return self.activity_counts[badge.activity_id or ""]
            case BadgeCriterion.WEEKLY_STREAK:
                return self.streak_weeks
            case BadgeCriterion.YEAR_MINUTES:
                return self.minutes_by_year[local_date.year]
            case BadgeCriterion.DISTINCT_TEAMS:
                return len(self.teams)
            case BadgeCriterion.LIFETIME_POINTS:
                return self.lifetime_points


def badges_earned(history: History, ruleset: RuleSet) -> list[EarnedBadge]:
    """Every badge of `ruleset` that `history` satisfies, once each, in the order earned.

    Records are taken in local-date order (records of one date in the order given); a badge
    is dated by the record after which its count first reached `at_least`. `approved_dates`
    count towards streaks only. Pass reversed check-ins with their remaining points, or leave
    them out if they no longer count as approved.
    """
    records: list[tuple[date, PastAward | None]] = [(a.local_date, a) for a in history.awards]
    records.extend((d, None) for d in history.approved_dates)
    records.sort(key=lambda record: record[0])  # stable: same-date records keep their order
    progress = _Progress()
    earned: list[EarnedBadge] = []
    pending = list(ruleset.badges)
    for local_date, award in records:
        progress.add(local_date, award)
        for badge in list(pending):
            if progress.count(badge, local_date) >= badge.at_least:
                earned.append(EarnedBadge(badge.badge_id, badge.name_zh, badge.name_en, local_date))
                pending.remove(badge)
    return earned
