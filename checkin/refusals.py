"""The record of refused scans, for the event's captains and the community's admins.

A refusal is written in a transaction of its own after the refused one rolled back (see
`checkin.recording`), so the record is kept and the refused scan changed nothing else. The
record names who sent the scan, whose personal code it was (when known), the event (only an
event of the community the record is filed in), the refusal code, the SHA-256 of the code
text that was scanned (never the code itself) and when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from checkin import tokens
from checkin.models import Event, ScanRefusal
from ledger.errors import Refusal

MAX_CODE_CHARS = 40


@dataclass(frozen=True)
class Attempt:
    """What was tried: by whom (and their community), which action, with which code."""

    community_id: int
    actor_id: int
    action: str
    code: str = ""
    nonce: str = ""


def _detail_int(refusal: Refusal, name: str) -> int | None:
    value = refusal.details.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


async def record(
    session: AsyncSession, *, attempt: Attempt, refusal: Refusal, now: datetime
) -> ScanRefusal:
    """File a refused scan in the event's community (or the sender's when there is none)."""
    community_id = attempt.community_id
    event_id = _detail_int(refusal, "event_id")
    if event_id is not None:
        event = await session.get(Event, event_id)
        if event is None:
            event_id = None
        else:
            community_id = event.community_id
    row = ScanRefusal(
        community_id=community_id,
        event_id=event_id,
        actor_id=attempt.actor_id,
        subject_id=_detail_int(refusal, "member_id"),
        action=attempt.action,
        code=refusal.code[:MAX_CODE_CHARS],
        token_sha256=tokens.sha256_hex(attempt.code) if attempt.code else "",
        nonce=attempt.nonce[:64],
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def for_event(
    session: AsyncSession, *, event_id: int, before_id: int | None, limit: int
) -> list[ScanRefusal]:
    """Refusals at one event, newest first."""
    statement = select(ScanRefusal).where(ScanRefusal.event_id == event_id)
    if before_id is not None:
        statement = statement.where(col(ScanRefusal.id) < before_id)
    statement = statement.order_by(col(ScanRefusal.id).desc()).limit(limit)
    return list((await session.execute(statement)).scalars())


async def for_community(
    session: AsyncSession, *, community_id: int, before_id: int | None, limit: int
) -> list[ScanRefusal]:
    """Refusals filed in a community, newest first (including those naming no event)."""
    statement = select(ScanRefusal).where(ScanRefusal.community_id == community_id)
    if before_id is not None:
        statement = statement.where(col(ScanRefusal.id) < before_id)
    statement = statement.order_by(col(ScanRefusal.id).desc()).limit(limit)
    return list((await session.execute(statement)).scalars())
