"""Small helpers for moments read back from either database."""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(moment: datetime) -> datetime:
    """`moment` as an aware UTC datetime (SQLite hands back naive datetimes, stored as UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def unix_seconds(moment: datetime) -> int:
    """Whole seconds since the epoch, rounded down."""
    return int(as_utc(moment).timestamp() // 1)


def bucket_of(moment: datetime, ttl_seconds: int) -> int:
    """The rotating code's time bucket at `moment`: floor(unix seconds / ttl_seconds)."""
    return unix_seconds(moment) // ttl_seconds


def seconds_until_rotation(moment: datetime, ttl_seconds: int) -> int:
    """Whole seconds (at least 1) until the next bucket starts."""
    return ttl_seconds - unix_seconds(moment) % ttl_seconds
