"""Calendar periods in a community's time zone, as UTC moments.

Limits count per local day and month; statements cover local dates; points expire at the end
of a local year or month. Everything stored is UTC; these helpers translate.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from organisation.errors import InvalidInput

PERIOD_UNITS = ("year", "month")


def as_utc(moment: datetime) -> datetime:
    """`moment` in UTC; naive moments (as SQLite returns them) are taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def zone(name: str) -> ZoneInfo:
    """The IANA time zone `name`, or InvalidInput."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput("timezone: unknown time zone", field="timezone") from exc


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The UTC moment at which local `day` begins."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def day_start(now: datetime, tz: ZoneInfo) -> datetime:
    """The UTC moment at which the local day containing `now` began."""
    return local_midnight(now.astimezone(tz).date(), tz)


def month_start(now: datetime, tz: ZoneInfo) -> datetime:
    """The UTC moment at which the local month containing `now` began."""
    return local_midnight(now.astimezone(tz).date().replace(day=1), tz)


def dates_span(first: date, last: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) in UTC covering local dates `first` to `last` inclusive."""
    return local_midnight(first, tz), local_midnight(last + timedelta(days=1), tz)


def period_key(moment: datetime, tz: ZoneInfo, unit: str) -> str:
    """The local period containing `moment`: "2026" for a year, "2026-03" for a month."""
    local = moment.astimezone(tz)
    return f"{local.year:04d}" if unit == "year" else f"{local.year:04d}-{local.month:02d}"


def _shift(key: str, unit: str, periods: int) -> tuple[int, int]:
    """(year, month) of the period `periods` after `key` (month 1 for years)."""
    if unit == "year":
        return int(key) + periods, 1
    year, month = (int(part) for part in key.split("-"))
    index = year * 12 + (month - 1) + periods
    return index // 12, index % 12 + 1


def period_end(key: str, unit: str, after_periods: int, tz: ZoneInfo) -> datetime:
    """The UTC moment at which the period `after_periods` after `key` ends."""
    year, month = _shift(key, unit, after_periods + 1)
    return local_midnight(date(year, month, 1), tz)


def latest_expired_period(now: datetime, unit: str, after_periods: int, tz: ZoneInfo) -> str:
    """The newest earning period whose points have expired by `now`."""
    current = period_key(now, tz, unit)
    year, month = _shift(current, unit, -(after_periods + 1))
    return f"{year:04d}" if unit == "year" else f"{year:04d}-{month:02d}"
