"""Rules: activities to points, and the game around them (levels, badges, streaks, boards).

The package is pure: no database, no HTTP, no clock (time is passed in) and no file I/O
except `load_file`, which reads one rule-set file. It takes facts in and returns decisions.
The only project import is `ledger.errors.Refusal`.

Rule-set file schema (TOML; integers only, floats are refused; unknown keys are refused):

    [ruleset]            id (a-z0-9_), version (>= 1), name_zh, name_en,
                         timezone = "Asia/Shanghai" (IANA; the default)
    [role_percent]       volunteer, organiser, captain: integer percent, default 100
    [caps]               day_points, week_points, month_points: overall caps per member;
                         absent means no cap
    [[streak.tiers]]     weeks, bonus_points: bonus on the first approved activity of a week
                         whose streak reaches `weeks` (highest tier reached applies)
    [activities.<id>]    name_zh, name_en, base_points = 0, first_time_bonus_points = 0,
                         approval = "captain" | "auto", requires_checkout = false
      .duration          period_minutes, points_per_period, count = "completed" | "started",
                         min_minutes = 0, max_counted_minutes (absent: no maximum)
      .caps              day_points, week_points, month_points for this activity
    [[campaigns]]        id, name_zh, name_en, starts_on, ends_on (local dates, inclusive),
                         percent, activities = [ids] (absent or empty: all activities)
    [[levels]]           id, min_points, name_zh, name_en (one at 0; default ladder if absent)
    [[badges]]           id, name_zh, name_en, criterion, at_least, and `activity` for
                         criterion "activity_count"; other criteria: "weekly_streak",
                         "year_minutes", "distinct_teams", "lifetime_points"

Evaluation order and rounding are documented in `rules.evaluate`; the hash in
`rules.canonical`; ranking and tie-breaks in `rules.leaderboard`.
"""

from rules.award import Award
from rules.badges import EarnedBadge, badges_earned
from rules.errors import InvalidFacts, RulesetInvalid, UnknownActivity
from rules.evaluate import evaluate, event_local_date
from rules.facts import Facts, History, PastAward
from rules.leaderboard import (
    EarningKind,
    EarningRecord,
    Standing,
    Window,
    building_leaderboard,
    member_leaderboard,
    team_leaderboard,
    window_start,
)
from rules.levels import LevelProgress, level_for
from rules.lines import AwardLine, CapScope, DurationStatus, LineKind
from rules.loading import load_default, load_file, load_text
from rules.model import (
    ActivityRule,
    Approval,
    BadgeCriterion,
    BadgeRule,
    Campaign,
    Caps,
    DurationRule,
    Level,
    PeriodCount,
    Role,
    RolePercents,
    RuleSet,
    StreakTier,
)
from rules.periods import Period
from rules.simulate import PastRecord, Simulation, SimulationRow, simulate
from rules.streaks import StreakStatus, weekly_streak

__all__ = [
    "ActivityRule",
    "Approval",
    "Award",
    "AwardLine",
    "BadgeCriterion",
    "BadgeRule",
    "Campaign",
    "CapScope",
    "Caps",
    "DurationRule",
    "DurationStatus",
    "EarnedBadge",
    "EarningKind",
    "EarningRecord",
    "Facts",
    "History",
    "InvalidFacts",
    "Level",
    "LevelProgress",
    "LineKind",
    "PastAward",
    "PastRecord",
    "Period",
    "PeriodCount",
    "Role",
    "RolePercents",
    "RuleSet",
    "RulesetInvalid",
    "Simulation",
    "SimulationRow",
    "Standing",
    "StreakStatus",
    "StreakTier",
    "UnknownActivity",
    "Window",
    "badges_earned",
    "building_leaderboard",
    "evaluate",
    "event_local_date",
    "level_for",
    "load_default",
    "load_file",
    "load_text",
    "member_leaderboard",
    "simulate",
    "team_leaderboard",
    "weekly_streak",
    "window_start",
]
