"""Personal codes: a signed member code that a captain scans for a neighbour without a phone.

A member code (layout in `checkin.tokens`) is signed with the community's "member-code" key
and is valid from `not_before` until just before `not_after`: minutes by default, up to
`MAX_CODE_TTL_SECONDS` for a printed card. A scan is checked at the moment it was made,
which for an offline captain is the `scanned_at` their device recorded (at most
`CLOCK_SKEW` ahead of the server's clock), so a code valid at the venue stays valid in an
upload made after the captain is back online.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from checkin import scans, tokens
from checkin.errors import TokenExpired, TokenNotYetValid, WrongCommunity
from checkin.models import METHOD_OFFLINE, METHOD_PERSONAL, Event
from checkin.scope import managed_event
from checkin.times import unix_seconds
from ledger import keyring
from ledger.errors import Refusal
from ledger.keys import KeyStore
from organisation.auth import Principal
from organisation.errors import InvalidInput, NotFound
from organisation.models import Community, Member
from organisation.service import team_ids_of

DEFAULT_CODE_TTL_SECONDS = 300
MAX_CODE_TTL_SECONDS = 30 * 24 * 3600
CLOCK_SKEW = timedelta(seconds=60)
CHECK_IN = "check_in"
CHECK_OUT = "check_out"
ACTIONS = (CHECK_IN, CHECK_OUT)


@dataclass(frozen=True)
class MemberCode:
    """A personal code and its validity."""

    code: str
    member_id: int
    not_before: datetime
    not_after: datetime


async def issue(
    session: AsyncSession, *, keystore: KeyStore, member: Member, ttl_seconds: int, now: datetime
) -> MemberCode:
    """A personal code for `member`, valid for `ttl_seconds` from now."""
    if not 1 <= ttl_seconds <= MAX_CODE_TTL_SECONDS:
        raise InvalidInput(f"ttl_seconds must be 1 to {MAX_CODE_TTL_SECONDS}", field="ttl_seconds")
    community = await session.get(Community, member.community_id)
    assert community is not None
    assert member.id is not None
    signer = await keyring.purpose_signer(
        session,
        keystore=keystore,
        scope=community.ledger_id,
        purpose=tokens.Kind.MEMBER.purpose,
        now=now,
    )
    not_before = unix_seconds(now)
    not_after = not_before + ttl_seconds
    code = tokens.sign_member_code(
        signer,
        member_id=member.id,
        not_before=not_before,
        not_after=not_after,
        nonce=secrets.token_bytes(tokens.NONCE_BYTES),
    )
    return MemberCode(
        code=code,
        member_id=member.id,
        not_before=datetime.fromtimestamp(not_before, UTC),
        not_after=datetime.fromtimestamp(not_after, UTC),
    )


async def issue_for(
    session: AsyncSession,
    *,
    keystore: KeyStore,
    principal: Principal,
    member_id: int,
    ttl_seconds: int,
    now: datetime,
) -> MemberCode:
    """A captain of one of the member's teams, or an admin, prints a member's code."""
    member = await session.get(Member, member_id)
    allowed = (
        member is not None
        and member.active
        and (
            member.community_id in principal.admin_of
            or bool(set(await team_ids_of(session, member_id)) & principal.captain_of)
        )
    )
    if member is None or not allowed:
        raise NotFound(object="member", id=member_id)
    return await issue(session, keystore=keystore, member=member, ttl_seconds=ttl_seconds, now=now)


async def member_of_code(
    session: AsyncSession, *, code: str, event: Event, at: datetime, now: datetime
) -> Member:
    """The member whose personal code was scanned at `at` for `event`."""
    verified = await scans.verify_code(
        session,
        code,
        tokens.Kind.MEMBER,
        now=now,
        grace=timedelta(seconds=MAX_CODE_TTL_SECONDS),
    )
    event_id = event.id or 0
    if verified.community_id != event.community_id:
        raise WrongCommunity(event_id=event_id)
    claims = tokens.member_claims(verified.code)
    seconds = unix_seconds(at)
    if seconds >= claims.not_after:
        raise TokenExpired(event_id=event_id, member_id=claims.member_id)
    if seconds < claims.not_before - CLOCK_SKEW.total_seconds():
        raise TokenNotYetValid(event_id=event_id, member_id=claims.member_id)
    member = await session.get(Member, claims.member_id)
    if member is None or not member.active or member.community_id != event.community_id:
        raise NotFound(object="member", id=claims.member_id, event_id=event_id)
    return member


async def scan(
    session: AsyncSession,
    *,
    keystore: KeyStore,
    principal: Principal,
    event_id: int,
    code: str,
    action: str,
    at: datetime,
    now: datetime,
    offline: bool = False,
) -> scans.ScanResult:
    """A captain of the event's team (or an admin) scanned a member's personal code."""
    event = await managed_event(session, principal, event_id)
    if action not in ACTIONS:
        raise InvalidInput("action must be check_in or check_out", field="action")
    if at > now + CLOCK_SKEW:
        raise InvalidInput("scanned_at is in the future", field="scanned_at", event_id=event_id)
    member = await member_of_code(session, code=code, event=event, at=at, now=now)
    assert member.id is not None
    try:
        return await _record(
            session,
            keystore=keystore,
            principal=principal,
            event=event,
            member_id=member.id,
            code=code,
            action=action,
            at=at,
            now=now,
            offline=offline,
        )
    except Refusal as refusal:
        # Name whose code it was in the refusal record: the captain scanned it in person.
        refusal.details = {**refusal.details, "member_id": member.id}
        raise


async def _record(
    session: AsyncSession,
    *,
    keystore: KeyStore,
    principal: Principal,
    event: Event,
    member_id: int,
    code: str,
    action: str,
    at: datetime,
    now: datetime,
    offline: bool,
) -> scans.ScanResult:
    scans.check_event_accepts(event, at=at)
    if action == CHECK_OUT:
        return await scans.record_checkout(
            session, keystore=keystore, event=event, member_id=member_id, at=at, now=now
        )
    await scans.check_may_join(session, event, member_id)
    return await scans.record(
        session,
        keystore=keystore,
        event=event,
        member_id=member_id,
        method=METHOD_OFFLINE if offline else METHOD_PERSONAL,
        token_sha256=tokens.sha256_hex(code),
        scanned_by=principal.member_id,
        at=at,
        now=now,
        late=offline,
    )
