"""Loading and validating a rule-set TOML file (the schema is in `rules/__init__.py`).

A file loads whole or not at all: it is parsed, checked for floats, then read key by key into
immutable objects, and the first problem raises `RulesetInvalid` naming the file, the line
when known, the dotted key and what is wrong. Nothing is cached or registered on the way, so
a failed load leaves no trace. This is the only module of `rules` that reads a file.
"""

# Chinese messages take full-width punctuation (commas, brackets), not confusables here.
# ruff: noqa: RUF001

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rules.errors import ruleset_invalid
from rules.model import (
    DEFAULT_LEVELS,
    DEFAULT_TIMEZONE,
    HUNDRED_PERCENT,
    ActivityRule,
    Approval,
    BadgeCriterion,
    BadgeRule,
    Campaign,
    Caps,
    DurationRule,
    Level,
    PeriodCount,
    RolePercents,
    RuleSet,
    StreakTier,
)
from rules.schema import Source, Table
from rules.toml_lines import scan

DEFAULT_PATH = Path(__file__).with_name("default.toml")
MAX_PERCENT = 1_000
MINUTES_PER_DAY = 1_440
MAX_WEEKS = 520
MAX_BADGE_THRESHOLD = 10_000_000  # a lifetime of points or minutes fits well below this
MAX_ENTRIES = 200  # activities, campaigns, levels or badges in one file
_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_POSITION = re.compile(r"\s*\(at line (\d+), column \d+\)$")
_CAP_KEYS = ("day_points", "week_points", "month_points")


def load_file(path: str | os.PathLike[str]) -> RuleSet:
    """Load and validate the rule set in the TOML file at `path`."""
    name = os.fspath(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise ruleset_invalid(
            file=name,
            problem_en=f"cannot read the file: {error.strerror}",
            problem_zh=f"无法读取文件：{error.strerror}",
        ) from error
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ruleset_invalid(
            file=name,
            problem_en=f"is not UTF-8 text (bad byte at offset {error.start})",
            problem_zh=f"不是 UTF-8 文本（第 {error.start} 字节无效）",
        ) from error
    return load_text(text, file=name)


def load_default() -> RuleSet:
    """The rule set that ships with Jifen, `rules/default.toml`."""
    return load_file(DEFAULT_PATH)


def load_text(text: str, *, file: str = "<text>") -> RuleSet:
    """Load and validate a rule set from TOML `text`; `file` names it in errors."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        position = _POSITION.search(message)
        raise ruleset_invalid(
            file=file,
            line=int(position.group(1)) if position else None,
            problem_en=f"is not valid TOML: {_POSITION.sub('', message)}",
            problem_zh=f"不是有效的 TOML：{_POSITION.sub('', message)}",
        ) from error
    source = Source(file=file, key_lines=scan(text))
    _refuse_floats(document, "", source)
    return _ruleset(document, source)


def _refuse_floats(value: object, path: str, source: Source) -> None:
    """Refuse the first float anywhere in the document: every rule value is an integer."""
    if isinstance(value, float):
        source.fail(
            path,
            en=f"floats are not allowed (got {value}); use an integer, e.g. percent = 150",
            zh=f"不允许使用小数（实际为 {value}）；请使用整数，例如 percent = 150",
        )
    children: Iterable[tuple[str, object]] = ()
    if isinstance(value, dict):
        children = ((f"{path}.{k}" if path else k, v) for k, v in value.items())
    elif isinstance(value, list):
        children = ((f"{path}[{i}]", v) for i, v in enumerate(value))
    for child_path, child in children:
        _refuse_floats(child, child_path, source)


def _identifier(table: Table, name: str, value: str) -> str:
    if not _ID.match(value):
        table.fail(
            name,
            en=f'"{value}" is not a valid id (lowercase ASCII letters, digits and _)',
            zh=f'"{value}" 不是有效的标识（小写英文字母、数字和下划线）',
        )
    return value


def _unique(table: Table, name: str, seen: set[object], value: object) -> None:
    if value in seen:
        table.fail(name, en=f"duplicates {value!r}", zh=f"与前面的 {value!r} 重复")
    seen.add(value)


def _ruleset(document: Mapping[str, object], source: Source) -> RuleSet:
    top = Table(
        document,
        path="",
        source=source,
        allowed=(
            "ruleset",
            "role_percent",
            "caps",
            "streak",
            "activities",
            "campaigns",
            "levels",
            "badges",
        ),
    )
    top.require("ruleset")
    header = top.table("ruleset", ("id", "version", "name_zh", "name_en", "timezone"))
    assert header is not None
    timezone = _timezone(header)
    ruleset_id = _identifier(header, "id", header.text("id"))
    version = header.integer("version", minimum=1)
    name_zh, name_en = header.text("name_zh"), header.text("name_en")
    activities = _activities(top)
    known = frozenset(rule.activity_id for rule in activities)
    return RuleSet(
        ruleset_id=ruleset_id,
        version=version,
        name_zh=name_zh,
        name_en=name_en,
        timezone=timezone,
        role_percent=_role_percent(top),
        caps=_caps(top.table("caps", _CAP_KEYS)),
        streak_tiers=_streak_tiers(top),
        activities=activities,
        campaigns=_campaigns(top, known),
        levels=_levels(top),
        badges=_badges(top, known),
    )


def _timezone(header: Table) -> str:
    timezone = header.text_or("timezone", DEFAULT_TIMEZONE)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        header.fail(
            "timezone",
            en=f'"{timezone}" is not a known IANA timezone',
            zh=f'"{timezone}" 不是已知的 IANA 时区',
        )
    return timezone


def _role_percent(top: Table) -> RolePercents:
    table = top.table("role_percent", ("volunteer", "organiser", "captain"))
    if table is None:
        return RolePercents()
    bounds = {"maximum": MAX_PERCENT}
    return RolePercents(
        volunteer=table.integer_or("volunteer", HUNDRED_PERCENT, **bounds),
        organiser=table.integer_or("organiser", HUNDRED_PERCENT, **bounds),
        captain=table.integer_or("captain", HUNDRED_PERCENT, **bounds),
    )


def _caps(table: Table | None) -> Caps:
    if table is None:
        return Caps()
    return Caps(*(table.integer_or_none(key) for key in _CAP_KEYS))


def _streak_tiers(top: Table) -> tuple[StreakTier, ...]:
    streak = top.table("streak", ("tiers",))
    if streak is None:
        return ()
    tiers: list[StreakTier] = []
    seen: set[object] = set()
    for tier in streak.tables("tiers", ("weeks", "bonus_points")):
        weeks = tier.integer("weeks", minimum=1, maximum=MAX_WEEKS)
        _unique(tier, "weeks", seen, weeks)
        tiers.append(StreakTier(weeks=weeks, bonus_points=tier.integer("bonus_points")))
    return tuple(sorted(tiers, key=lambda t: t.weeks))


def _duration(table: Table | None) -> DurationRule | None:
    if table is None:
        return None
    minutes = {"maximum": MINUTES_PER_DAY}
    rule = DurationRule(
        period_minutes=table.integer("period_minutes", minimum=1, **minutes),
        points_per_period=table.integer("points_per_period"),
        count=table.choice("count", PeriodCount, PeriodCount.COMPLETED),
        min_minutes=table.integer_or("min_minutes", 0, **minutes),
        max_counted_minutes=table.integer_or_none("max_counted_minutes", minimum=1, **minutes),
    )
    if rule.max_counted_minutes is not None and rule.max_counted_minutes < rule.min_minutes:
        table.fail(
            "max_counted_minutes",
            en=f"must be at least min_minutes ({rule.min_minutes})",
            zh=f"不能小于 min_minutes（{rule.min_minutes}）",
        )
    return rule


_ACTIVITY_KEYS = (
    "name_zh",
    "name_en",
    "base_points",
    "duration",
    "first_time_bonus_points",
    "approval",
    "requires_checkout",
    "caps",
)
_DURATION_KEYS = (
    "period_minutes",
    "points_per_period",
    "count",
    "min_minutes",
    "max_counted_minutes",
)


def _activities(top: Table) -> tuple[ActivityRule, ...]:
    top.require("activities")
    entries = top.named_tables("activities", _ACTIVITY_KEYS)
    if not entries or len(entries) > MAX_ENTRIES:
        top.fail(
            "activities",
            en=f"must define 1 to {MAX_ENTRIES} activities",
            zh=f"应定义 1 到 {MAX_ENTRIES} 项活动",
        )
    rules = []
    for activity_id, table in entries:
        if not _ID.match(activity_id):
            table.source.fail(
                table.path,
                en=f'"{activity_id}" is not a valid activity id (lowercase a-z, 0-9 and _)',
                zh=f'"{activity_id}" 不是有效的活动标识（小写字母、数字和下划线）',
            )
        rules.append(
            ActivityRule(
                activity_id=activity_id,
                name_zh=table.text("name_zh"),
                name_en=table.text("name_en"),
                base_points=table.integer_or("base_points", 0),
                duration=_duration(table.table("duration", _DURATION_KEYS)),
                first_time_bonus_points=table.integer_or("first_time_bonus_points", 0),
                approval=table.choice("approval", Approval, Approval.CAPTAIN),
                requires_checkout=table.boolean_or("requires_checkout", default=False),
                caps=_caps(table.table("caps", _CAP_KEYS)),
            )
        )
    return tuple(sorted(rules, key=lambda r: r.activity_id))


def _known_activity(table: Table, key: str, known: frozenset[str], activity_id: str) -> str:
    if activity_id not in known:
        table.source.fail(
            key,
            en=f'refers to unknown activity "{activity_id}" (known: {", ".join(sorted(known))})',
            zh=f'引用了未定义的活动 "{activity_id}"（已定义：{", ".join(sorted(known))}）',
        )
    return activity_id


def _campaigns(top: Table, known: frozenset[str]) -> tuple[Campaign, ...]:
    keys = ("id", "name_zh", "name_en", "starts_on", "ends_on", "percent", "activities")
    campaigns: list[Campaign] = []
    seen_ids: set[object] = set()
    for table in _bounded(top, "campaigns", keys):
        campaign_id = _identifier(table, "id", table.text("id"))
        _unique(table, "id", seen_ids, campaign_id)
        activity_ids: list[str] = []
        seen_activities: set[object] = set()
        for index, activity_id in enumerate(table.texts("activities")):
            key = f"{table.key('activities')}[{index}]"
            _known_activity(table, key, known, activity_id)
            if activity_id in seen_activities:
                table.source.fail(
                    key, en=f'lists "{activity_id}" twice', zh=f'重复列出 "{activity_id}"'
                )
            seen_activities.add(activity_id)
            activity_ids.append(activity_id)
        campaign = Campaign(
            campaign_id=campaign_id,
            name_zh=table.text("name_zh"),
            name_en=table.text("name_en"),
            starts_on=table.local_date("starts_on"),
            ends_on=table.local_date("ends_on"),
            percent=table.integer("percent", maximum=MAX_PERCENT),
            activity_ids=tuple(sorted(activity_ids)),
        )
        if campaign.ends_on < campaign.starts_on:
            table.fail(
                "ends_on",
                en=f"is before starts_on ({campaign.starts_on})",
                zh=f"早于 starts_on（{campaign.starts_on}）",
            )
        campaigns.append(campaign)
    return tuple(sorted(campaigns, key=lambda c: c.campaign_id))


def _bounded(top: Table, name: str, keys: Iterable[str]) -> list[Table]:
    tables = top.tables(name, keys)
    if len(tables) > MAX_ENTRIES:
        top.fail(name, en=f"must have at most {MAX_ENTRIES} entries", zh=f"最多 {MAX_ENTRIES} 项")
    return tables


def _levels(top: Table) -> tuple[Level, ...]:
    if not top.has("levels"):
        return DEFAULT_LEVELS
    levels: list[Level] = []
    seen_ids: set[object] = set()
    seen_points: set[object] = set()
    for table in _bounded(top, "levels", ("id", "min_points", "name_zh", "name_en")):
        level_id = _identifier(table, "id", table.text("id"))
        _unique(table, "id", seen_ids, level_id)
        min_points = table.integer("min_points", maximum=MAX_BADGE_THRESHOLD)
        _unique(table, "min_points", seen_points, min_points)
        levels.append(Level(level_id, min_points, table.text("name_zh"), table.text("name_en")))
    if 0 not in seen_points:
        top.fail(
            "levels",
            en="must include a level with min_points = 0",
            zh="必须包含 min_points = 0 的等级",
        )
    return tuple(sorted(levels, key=lambda lv: lv.min_points))


def _badges(top: Table, known: frozenset[str]) -> tuple[BadgeRule, ...]:
    keys = ("id", "name_zh", "name_en", "criterion", "at_least", "activity")
    badges: list[BadgeRule] = []
    seen_ids: set[object] = set()
    for table in _bounded(top, "badges", keys):
        badge_id = _identifier(table, "id", table.text("id"))
        _unique(table, "id", seen_ids, badge_id)
        criterion = table.choice("criterion", BadgeCriterion)
        activity_id = None
        if criterion is BadgeCriterion.ACTIVITY_COUNT:
            activity_id = _known_activity(
                table, table.key("activity"), known, table.text("activity")
            )
        elif table.has("activity"):
            table.fail(
                "activity",
                en=f'is only allowed with criterion = "activity_count" (not with "{criterion}")',
                zh=f'仅在 criterion = "activity_count" 时允许（当前为 "{criterion}"）',
            )
        badges.append(
            BadgeRule(
                badge_id=badge_id,
                name_zh=table.text("name_zh"),
                name_en=table.text("name_en"),
                criterion=criterion,
                at_least=table.integer("at_least", minimum=1, maximum=MAX_BADGE_THRESHOLD),
                activity_id=activity_id,
            )
        )
    return tuple(sorted(badges, key=lambda b: b.badge_id))
