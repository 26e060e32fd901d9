"""Scans: a volunteer scanning the venue's code, a captain scanning a member's personal code.

Checks run in this order, and the first that fails is the answer (so one code always gets the
same refusal): the code's form (`token_malformed`), its key (`token_unknown_key`, or
`token_expired` for a key replaced long ago), its signature (`token_bad_signature`), its
community (`wrong_community`), its time (`token_expired`, `token_not_yet_valid`), the event
(`not_found`, `event_cancelled`, `event_not_open`, `event_closed`), who may join
(`not_team_member`), an existing check-in (answered with that check-in and
`existing=True`, not refused), and last the places left (`capacity_reached`).

Recording is two statements that make it safe under any concurrency: an INSERT that does
nothing on the unique (event, member) pair, so the same scan sent a hundred times records
once; then one conditional UPDATE that takes a place only while the event is open and not
full, so concurrent scans never take more than `capacity` places. A refused scan raises,
and the caller rolls back, so the insert goes with it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from checkin import approval, keys, sql, tokens
from checkin.errors import (
    CapacityReached,
    CheckoutNotRequired,
    EventCancelled,
    EventClosed,
    EventNotOpen,
    NotCheckedIn,
    NotPending,
    NotTeamMember,
    TokenExpired,
    TokenNotYetValid,
    WrongCommunity,
)
from checkin.models import (
    CANCELLED,
    CLOSED,
    OPEN,
    OPEN_TO_TEAM,
    PENDING,
    SCHEDULED,
    Checkin,
    Event,
)
from checkin.times import as_utc, bucket_of
from ledger.errors import Refusal
from ledger.keys import KeyStore
from organisation.errors import NotFound

logger = logging.getLogger(__name__)

checkins_table = sql.checkins


@dataclass(frozen=True)
class ScanResult:
    """The check-in a scan recorded, or the one already there (`existing`)."""

    checkin: Checkin
    existing: bool


@dataclass(frozen=True)
class Verified:
    """A verified code: its claims and the community whose key signed it."""

    code: tokens.Verified
    community_id: int


async def verify_code(
    session: AsyncSession, text: str, kind: tokens.Kind, *, now: datetime, grace: timedelta
) -> Verified:
    """A code of `kind` whose signature checked out, and the community of its key."""
    parsed = tokens.parse(text, kind)
    key = await keys.verifying_key(
        session, key_id=parsed.key_id, purpose=kind.purpose, now=now, grace=grace
    )
    return Verified(tokens.verify(parsed, key.public_key), key.community_id)


@dataclass(frozen=True)
class CodeEvent:
    """The event a venue code names, and whether the scanning member is in its team."""

    event: Event
    in_team: bool


async def verify_event_code(
    session: AsyncSession,
    *,
    token: str,
    community_id: int | None,
    ttl_seconds: int,
    now: datetime,
    member_id: int | None = None,
) -> CodeEvent:
    """The event of a venue code scanned at `now` by `member_id` of `community_id` (None:
    by someone not logged in, for a preview)."""
    verified = await verify_code(
        session, token, tokens.Kind.EVENT, now=now, grace=timedelta(seconds=2 * ttl_seconds)
    )
    if community_id is not None and verified.community_id != community_id:
        raise WrongCommunity()
    claims = tokens.event_claims(verified.code)
    current = bucket_of(now, ttl_seconds)
    if claims.bucket > current:
        raise TokenNotYetValid()
    if claims.bucket < current - 1:
        raise TokenExpired()
    # One query for the event and the membership check that the scan will need.
    if member_id is None:
        found = (
            await session.execute(sql.EVENT_FOR_ANYONE, {"event_id": claims.event_id})
        ).one_or_none()
    else:
        parameters = {"event_id": claims.event_id, "member_id": member_id}
        found = (await session.execute(sql.EVENT_FOR_MEMBER, parameters)).one_or_none()
    if found is None or found[0].community_id != verified.community_id:
        raise NotFound(object="event", id=claims.event_id)
    return CodeEvent(found[0], bool(found[1]))


def check_event_accepts(event: Event, *, at: datetime) -> None:
    """Refuse a scan made at `at` unless the event was open then (and is not cancelled)."""
    details: dict[str, Any] = {"event_id": event.id}
    if event.state == CANCELLED:
        raise EventCancelled(**details)
    if event.state == SCHEDULED or (event.opened_at is not None and at < as_utc(event.opened_at)):
        raise EventNotOpen(**details)
    closed_at = as_utc(event.closed_at) if event.closed_at is not None else None
    if at >= as_utc(event.ends_at) or (
        event.state == CLOSED and (closed_at is None or at >= closed_at)
    ):
        raise EventClosed(**details)


def require_may_join(event: Event, *, in_team: bool) -> None:
    """Team-only events admit the team's members and captains."""
    if event.open_to == OPEN_TO_TEAM and not in_team:
        raise NotTeamMember(event_id=event.id or 0)


async def check_may_join(session: AsyncSession, event: Event, member_id: int) -> None:
    """`require_may_join`, reading the membership."""
    if event.open_to != OPEN_TO_TEAM:
        return
    parameters = {"event_id": event.id, "member_id": member_id}
    in_team = (await session.execute(sql.IN_TEAM_OF_EVENT, parameters)).scalar_one()
    require_may_join(event, in_team=bool(in_team))


async def _insert(session: AsyncSession, values: dict[str, Any]) -> Checkin | None:
    """Insert the check-in, or nothing if the member already has one for the event."""
    statement = sql.insert_checkin(session.get_bind().dialect.name)
    found: Checkin | None = (await session.scalars(statement, values)).one_or_none()
    return found


async def take_place(session: AsyncSession, event: Event, *, states: tuple[str, ...]) -> None:
    """Take one of the event's places while it is in `states` and not full, or refuse."""
    parameters = {"event_id_": event.id}
    if (await session.execute(sql.TAKE_PLACE[states], parameters)).rowcount == 1:  # type: ignore[attr-defined]  # CursorResult
        return
    await session.refresh(event)
    if event.state not in states:
        # Closed, cancelled or not open since it was read: refuse for the state it is in.
        check_event_accepts(event, at=as_utc(event.ends_at))
    raise CapacityReached(event_id=event.id or 0, capacity=event.capacity)


async def _existing(session: AsyncSession, event_id: int, member_id: int) -> Checkin | None:
    statement = select(Checkin).where(
        col(Checkin.event_id) == event_id, col(Checkin.member_id) == member_id
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def record(
    session: AsyncSession,
    *,
    keystore: KeyStore,
    event: Event,
    member_id: int,
    method: str,
    token_sha256: str,
    scanned_by: int | None,
    at: datetime,
    now: datetime,
    late: bool = False,
) -> ScanResult:
    """Record a check-in of `member_id` at `at`; the existing one if there is one.

    `late` uploads (offline scans) may land after the event closed, if scanned before.
    """
    assert event.id is not None
    values = {
        "event_id": event.id,
        "community_id": event.community_id,
        "team_id": event.team_id,
        "member_id": member_id,
        "method": method,
        "state": PENDING,
        "token_sha256": token_sha256,
        "scanned_by": scanned_by,
        "checked_in_at": at,
        "auto_closed": False,
        "auto_approved": False,
        "reason": "",
        "explanation_zh": "",
        "explanation_en": "",
        "reversal_reason": "",
    }
    inserted = await _insert(session, values)
    if inserted is None:
        existing = await _existing(session, event.id, member_id)
        assert existing is not None  # the insert met this very row
        return ScanResult(existing, existing=True)
    states = (OPEN, CLOSED) if late else (OPEN,)
    await take_place(session, event, states=states)
    if event.auto_approve and not event.checkout_required:
        inserted = await _approve_at_once(session, keystore, inserted, now)
    return ScanResult(inserted, existing=False)


async def _approve_at_once(
    session: AsyncSession, keystore: KeyStore, checkin: Checkin, now: datetime
) -> Checkin:
    """Credit an auto-approved activity now; if the rules refuse, leave it for a captain."""
    assert checkin.id is not None
    try:
        async with session.begin_nested():
            return await approval.approve_automatically(
                session, keystore=keystore, checkin_id=checkin.id, now=now
            )
    except Refusal as refusal:
        logger.info("auto-approval of check-in %s left pending: %s", checkin.id, refusal.code)
        return checkin


async def check_in(
    session: AsyncSession,
    *,
    keystore: KeyStore,
    token: str,
    member_id: int,
    community_id: int,
    ttl_seconds: int,
    now: datetime,
    seen_at: datetime | None = None,
) -> ScanResult:
    """A member scanned the venue's code: check them in (pending, or credited if auto).

    `seen_at`: when this member's browser opened the code before they logged in (the
    check-in page remembers it in the signed session); the code's freshness is judged then,
    the event's state now. None: the code is judged now.
    """
    scanned = await verify_event_code(
        session,
        token=token,
        community_id=community_id,
        ttl_seconds=ttl_seconds,
        now=seen_at or now,
        member_id=member_id,
    )
    event = scanned.event
    check_event_accepts(event, at=now)
    require_may_join(event, in_team=scanned.in_team)
    return await record(
        session,
        keystore=keystore,
        event=event,
        member_id=member_id,
        method="qr",
        token_sha256=tokens.sha256_hex(token),
        scanned_by=None,
        at=now,
        now=now,
    )


async def record_checkout(
    session: AsyncSession,
    *,
    keystore: KeyStore,
    event: Event,
    member_id: int,
    at: datetime,
    now: datetime,
) -> ScanResult:
    """Record the member's check-out at `at`; a repeated check-out shows the first one."""
    if not event.checkout_required:
        raise CheckoutNotRequired(event_id=event.id or 0)
    statement = (
        update(checkins_table)
        .where(
            checkins_table.c.event_id == event.id,
            checkins_table.c.member_id == member_id,
            checkins_table.c.state == PENDING,
            checkins_table.c.checked_out_at.is_(None),
        )
        .values(checked_out_at=at)
        .returning(*checkins_table.c)
    )
    row = (await session.execute(statement)).mappings().one_or_none()
    if row is None:
        existing = await _existing(session, event.id or 0, member_id)
        if existing is None:
            raise NotCheckedIn(event_id=event.id or 0)
        if existing.checked_out_at is None:
            raise NotPending(event_id=event.id or 0, checkin_id=existing.id or 0)
        return ScanResult(existing, existing=True)
    checkin = Checkin(**row)
    if event.auto_approve:
        checkin = await _approve_at_once(session, keystore, checkin, now)
    return ScanResult(checkin, existing=False)


async def check_out(
    session: AsyncSession,
    *,
    keystore: KeyStore,
    token: str,
    member_id: int,
    community_id: int,
    ttl_seconds: int,
    now: datetime,
    seen_at: datetime | None = None,
) -> ScanResult:
    """A member scanned the venue's code to check out of a check-out (patrol) event
    (`seen_at` as for `check_in`)."""
    scanned = await verify_event_code(
        session,
        token=token,
        community_id=community_id,
        ttl_seconds=ttl_seconds,
        now=seen_at or now,
    )
    event = scanned.event
    check_event_accepts(event, at=now)
    return await record_checkout(
        session, keystore=keystore, event=event, member_id=member_id, at=now, now=now
    )
