"""Running a scan so that its refusal is recorded and nothing else changes.

This is the one place in `checkin` that opens transactions itself, because a refused scan
needs two: the scan's own, rolled back when it is refused, and a second one that files the
refusal. Callers (the JSON API, the check-in page) pass the session factory and commit
nothing themselves. Offline uploads run each scan this way, one transaction per scan, and
remember each client nonce with its outcome so that an upload repeated any number of times
records once and answers the same.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import select

from checkin import personal, refusals
from checkin.models import Checkin, OfflineScan
from checkin.scans import ScanResult
from ledger.errors import Refusal
from ledger.keys import KeyStore
from organisation.auth import Principal

T = TypeVar("T")
MAX_OFFLINE_BATCH = 200


async def run_recorded(
    sessions: async_sessionmaker[AsyncSession],
    operation: Callable[[AsyncSession], Awaitable[T]],
    *,
    attempt: refusals.Attempt,
    now: datetime,
) -> T:
    """Run `operation` in a transaction; if it is refused, file the refusal and re-raise."""
    try:
        async with sessions.begin() as session:
            return await operation(session)
    except Refusal as refusal:
        async with sessions.begin() as session:
            await refusals.record(session, attempt=attempt, refusal=refusal, now=now)
        raise


@dataclass(frozen=True)
class OfflineScanIn:
    """One scan collected offline: the client's nonce, the member's code, when, what."""

    nonce: str
    code: str
    action: str
    scanned_at: datetime


@dataclass(frozen=True)
class OfflineOutcome:
    """A scan's outcome: the check-in (`existing` if it was already there) or a refusal."""

    nonce: str
    checkin: Checkin | None = None
    existing: bool = False
    replayed: bool = False  # this nonce was uploaded before; this is its first answer
    refusal_code: str | None = None


async def _prior(
    sessions: async_sessionmaker[AsyncSession], uploaded_by: int, nonce: str
) -> OfflineOutcome | None:
    async with sessions() as session:
        statement = select(OfflineScan).where(
            OfflineScan.uploaded_by == uploaded_by, OfflineScan.nonce == nonce
        )
        found = (await session.execute(statement)).scalar_one_or_none()
        if found is None:
            return None
        checkin = None
        if found.checkin_id is not None:
            checkin = await session.get(Checkin, found.checkin_id)
        return OfflineOutcome(
            nonce, checkin=checkin, existing=True, replayed=True, refusal_code=found.refusal_code
        )


async def _scan_offline(
    sessions: async_sessionmaker[AsyncSession],
    *,
    keystore: KeyStore,
    principal: Principal,
    event_id: int,
    item: OfflineScanIn,
    now: datetime,
) -> ScanResult:
    async with sessions.begin() as session:
        result = await personal.scan(
            session,
            keystore=keystore,
            principal=principal,
            event_id=event_id,
            code=item.code,
            action=item.action,
            at=item.scanned_at,
            now=now,
            offline=True,
        )
        session.add(
            OfflineScan(
                event_id=event_id,
                uploaded_by=principal.member_id,
                nonce=item.nonce,
                action=item.action,
                checkin_id=result.checkin.id,
                scanned_at=item.scanned_at,
                recorded_at=now,
            )
        )
        await session.flush()
    return result


async def _refused_offline(
    sessions: async_sessionmaker[AsyncSession],
    *,
    principal: Principal,
    event_id: int,
    item: OfflineScanIn,
    refusal: Refusal,
    now: datetime,
) -> None:
    attempt = refusals.Attempt(
        principal.community_id, principal.member_id, "offline", item.code, item.nonce
    )
    async with sessions.begin() as session:
        filed = await refusals.record(session, attempt=attempt, refusal=refusal, now=now)
        if filed.event_id != event_id:
            return  # outside the caller's events: nothing to remember it by
        session.add(
            OfflineScan(
                event_id=event_id,
                uploaded_by=principal.member_id,
                nonce=item.nonce,
                action=item.action,
                refusal_code=refusal.code,
                scanned_at=item.scanned_at,
                recorded_at=now,
            )
        )
        try:
            async with session.begin_nested():
                await session.flush()
        except IntegrityError:
            return  # a concurrent upload of the same nonce remembered it first


async def upload_offline(
    sessions: async_sessionmaker[AsyncSession],
    *,
    keystore: KeyStore,
    principal: Principal,
    event_id: int,
    items: Sequence[OfflineScanIn],
    now: datetime,
) -> list[OfflineOutcome]:
    """Record personal-code scans a captain collected offline; each once per nonce."""
    outcomes = []
    for item in items[:MAX_OFFLINE_BATCH]:
        prior = await _prior(sessions, principal.member_id, item.nonce)
        if prior is not None:
            outcomes.append(prior)
            continue
        try:
            result = await _scan_offline(
                sessions,
                keystore=keystore,
                principal=principal,
                event_id=event_id,
                item=item,
                now=now,
            )
        except IntegrityError:
            # The same nonce was recorded by a concurrent upload: answer as it was recorded.
            prior = await _prior(sessions, principal.member_id, item.nonce)
            if prior is None:
                raise
            outcomes.append(prior)
        except Refusal as refusal:
            await _refused_offline(
                sessions,
                principal=principal,
                event_id=event_id,
                item=item,
                refusal=refusal,
                now=now,
            )
            outcomes.append(OfflineOutcome(item.nonce, refusal_code=refusal.code))
        else:
            outcomes.append(OfflineOutcome(item.nonce, result.checkin, existing=result.existing))
    return outcomes
