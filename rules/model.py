"""The rule set as immutable data.

A `RuleSet` is what `rules.loading` builds from a TOML file after validation; everything in it
is an integer, a string, a date, a boolean or a tuple of those, with every default filled in.
Its `hash` identifies its meaning (see `rules.canonical`): two files that say the same thing
hash alike however they are formatted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cached_property
from zoneinfo import ZoneInfo

from rules.canonical import ruleset_hash
from rules.errors import UnknownActivity
from rules.periods import Period

DEFAULT_TIMEZONE = "Asia/Shanghai"
HUNDRED_PERCENT = 100


class Role(StrEnum):
    """The member's role at the event."""

    VOLUNTEER = "volunteer"
    ORGANISER = "organiser"
    CAPTAIN = "captain"


class Approval(StrEnum):
    """Who approves a check-in before it earns points."""

    CAPTAIN = "captain"
    AUTO = "auto"


class PeriodCount(StrEnum):
    """Whether a period earns points once completed or as soon as it is started."""

    COMPLETED = "completed"
    STARTED = "started"


class BadgeCriterion(StrEnum):
    """What a badge counts; the badge is earned when the count reaches `at_least`."""

    ACTIVITY_COUNT = "activity_count"  # approved check-ins of one activity
    WEEKLY_STREAK = "weekly_streak"  # consecutive ISO weeks with an approved activity
    YEAR_MINUTES = "year_minutes"  # minutes served within one calendar year
    DISTINCT_TEAMS = "distinct_teams"  # different teams served with
    LIFETIME_POINTS = "lifetime_points"  # points earned in all


@dataclass(frozen=True)
class Caps:
    """Most points a member may earn per day, week and month; None means no cap."""

    day_points: int | None = None
    week_points: int | None = None
    month_points: int | None = None

    def for_period(self, period: Period) -> int | None:
        """The cap for `period`, or None."""
        if period is Period.DAY:
            return self.day_points
        if period is Period.WEEK:
            return self.week_points
        return self.month_points


@dataclass(frozen=True)
class DurationRule:
    """Points per period of time served, counted between a minimum and a maximum."""

    period_minutes: int
    points_per_period: int
    count: PeriodCount = PeriodCount.COMPLETED
    min_minutes: int = 0
    max_counted_minutes: int | None = None


@dataclass(frozen=True)
class ActivityRule:
    """How one activity earns points."""

    activity_id: str
    name_zh: str
    name_en: str
    base_points: int = 0
    duration: DurationRule | None = None
    first_time_bonus_points: int = 0
    approval: Approval = Approval.CAPTAIN
    requires_checkout: bool = False
    caps: Caps = Caps()

    @property
    def needs_captain_approval(self) -> bool:
        """Whether a captain must approve a check-in (otherwise it is approved at once)."""
        return self.approval is Approval.CAPTAIN


@dataclass(frozen=True)
class Campaign:
    """A multiplier for events on local dates from `starts_on` to `ends_on`, both included."""

    campaign_id: str
    name_zh: str
    name_en: str
    starts_on: date
    ends_on: date
    percent: int
    activity_ids: tuple[str, ...] = ()  # empty: every activity

    def applies(self, activity_id: str, local_date: date) -> bool:
        """Whether an event of `activity_id` on `local_date` falls under this campaign."""
        in_window = self.starts_on <= local_date <= self.ends_on
        return in_window and (not self.activity_ids or activity_id in self.activity_ids)


@dataclass(frozen=True)
class RolePercents:
    """Multiplier per role, in integer percent (100 = unchanged)."""

    volunteer: int = HUNDRED_PERCENT
    organiser: int = HUNDRED_PERCENT
    captain: int = HUNDRED_PERCENT

    def for_role(self, role: Role) -> int:
        """The percent that applies to `role`."""
        if role is Role.ORGANISER:
            return self.organiser
        if role is Role.CAPTAIN:
            return self.captain
        return self.volunteer


@dataclass(frozen=True)
class StreakTier:
    """A bonus for the first approved activity of a week that makes a streak of `weeks`."""

    weeks: int
    bonus_points: int


@dataclass(frozen=True)
class Level:
    """A level reached at `min_points` lifetime points earned."""

    level_id: str
    min_points: int
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class BadgeRule:
    """A badge earned once its criterion's count reaches `at_least`."""

    badge_id: str
    name_zh: str
    name_en: str
    criterion: BadgeCriterion
    at_least: int
    activity_id: str | None = None  # only for ACTIVITY_COUNT


DEFAULT_LEVELS = (
    Level("newcomer", 0, "志愿新星", "New volunteer"),
    Level("neighbour", 100, "热心邻居", "Helpful neighbour"),
    Level("mainstay", 500, "社区骨干", "Community mainstay"),
    Level("champion", 1500, "公益达人", "Community champion"),
    Level("exemplar", 5000, "德行楷模", "Model of virtue"),
)


@dataclass(frozen=True)
class RuleSet:
    """A community's complete, validated rule set; sequences are sorted by id or threshold."""

    ruleset_id: str
    version: int
    name_zh: str
    name_en: str
    activities: tuple[ActivityRule, ...]
    timezone: str = DEFAULT_TIMEZONE
    role_percent: RolePercents = RolePercents()
    caps: Caps = Caps()
    streak_tiers: tuple[StreakTier, ...] = ()
    campaigns: tuple[Campaign, ...] = ()
    levels: tuple[Level, ...] = DEFAULT_LEVELS
    badges: tuple[BadgeRule, ...] = ()

    @cached_property
    def hash(self) -> str:
        """Lowercase hex SHA-256 of the canonical form of this rule set's meaning."""
        return ruleset_hash(self)

    @property
    def zone(self) -> ZoneInfo:
        """The timezone in which local dates and ISO weeks are reckoned."""
        return ZoneInfo(self.timezone)

    def activity(self, activity_id: str) -> ActivityRule:
        """The rule for `activity_id`; refused with `unknown_activity` when there is none."""
        for rule in self.activities:
            if rule.activity_id == activity_id:
                return rule
        raise UnknownActivity(activity_id=activity_id, ruleset_hash=self.hash)
