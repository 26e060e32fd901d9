"""Approval: a captain or admin approves or rejects a check-in; approval credits it.

One decision per check-in: approve and reject each claim it with a conditional UPDATE
(`... WHERE state = 'pending'`), so when they race exactly one succeeds and the other gets
`not_pending`. Nobody decides on their own check-in (`self_approval`). Approval evaluates
the rules and appends the credit (`checkin.credit`) in the same transaction as the decision
(see `checkin.credit`).

Approvals of one member are serialised by a row lock on the member, taken before the
check-in is claimed, so caps and streaks see every earlier award; locks are taken in
member-id order and before any check-in row, so bulk approvals cannot deadlock each other
or single approvals. Activities the rules approve automatically are credited by the scan
itself (`approve_automatically`, with "auto" as the approver in the entry's meta).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from checkin import credit
from checkin.credit import Approver
from checkin.errors import NotPending, SelfApproval
from checkin.models import APPROVED, PENDING, REJECTED, Checkin
from checkin.scope import managed_checkin
from checkin.times import as_utc
from ledger.errors import Refusal
from ledger.keys import KeyStore
from organisation.auth import Principal
from organisation.errors import NotFound
from organisation.models import Member

AUTO_APPROVER = "auto"
MAX_BULK = 200

checkins_table: Table = Checkin.__table__  # type: ignore[attr-defined]
members_table: Table = Member.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Outcome:
    """One check-in of a bulk decision: the check-in as decided, or why it was refused."""

    checkin_id: int
    checkin: Checkin | None = None
    refusal: Refusal | None = None


async def lock_members(session: AsyncSession, member_ids: Iterable[int]) -> None:
    """Serialise approvals per member (a no-op on SQLite, whose writers are serialised)."""
    for member_id in sorted(set(member_ids)):
        statement = select(members_table.c.id).where(members_table.c.id == member_id)
        await session.execute(statement.with_for_update())


async def claim(
    session: AsyncSession,
    checkin_id: int,
    *,
    to: str,
    decided_by: int | None,
    now: datetime,
    reason: str = "",
) -> None:
    """Move a pending check-in to `to`; not_pending if it was decided meanwhile."""
    statement = (
        update(checkins_table)
        .where(checkins_table.c.id == checkin_id, checkins_table.c.state == PENDING)
        .values(state=to, decided_by=decided_by, decided_at=now, reason=reason)
    )
    if (await session.execute(statement)).rowcount != 1:  # type: ignore[attr-defined]  # CursorResult
        raise NotPending(checkin_id=checkin_id)


async def _approve_locked(
    session: AsyncSession, *, keystore: KeyStore, checkin_id: int, approver: Approver, now: datetime
) -> Checkin:
    """Approve and credit a check-in whose member is locked by this transaction."""
    checkin = await session.get(Checkin, checkin_id, populate_existing=True)
    assert checkin is not None
    if checkin.state != PENDING:
        raise NotPending(checkin_id=checkin_id)
    award, role, ended, auto_closed = await credit.evaluate(session, checkin=checkin, now=now)
    await claim(session, checkin_id, to=APPROVED, decided_by=approver.member_id, now=now)
    seq = await credit.credit(
        session, keystore=keystore, checkin=checkin, approver=approver, award=award, now=now
    )
    await credit.keep_award(
        session,
        checkin=checkin,
        award=award,
        role=role,
        ended=ended,
        auto_closed=auto_closed,
        automatic=approver.member_id is None,
        seq=seq,
    )
    refreshed = await session.get(Checkin, checkin_id, populate_existing=True)
    assert refreshed is not None
    return refreshed


async def approve(
    session: AsyncSession,
    *,
    keystore: KeyStore,
    principal: Principal,
    checkin_id: int,
    now: datetime,
) -> Checkin:
    """A captain of the event's team or an admin approves a check-in and credits it."""
    checkin = await managed_checkin(session, principal, checkin_id)
    if checkin.member_id == principal.member_id:
        raise SelfApproval(checkin_id=checkin_id)
    await lock_members(session, [checkin.member_id])
    approver = Approver(principal.member_id, principal.account)
    return await _approve_locked(
        session, keystore=keystore, checkin_id=checkin_id, approver=approver, now=now
    )


async def approve_automatically(
    session: AsyncSession, *, keystore: KeyStore, checkin_id: int, now: datetime
) -> Checkin:
    """Approve a check-in of an auto-approved activity (no person approves it)."""
    checkin = await session.get(Checkin, checkin_id)
    assert checkin is not None
    await lock_members(session, [checkin.member_id])
    approver = Approver(None, AUTO_APPROVER)
    return await _approve_locked(
        session, keystore=keystore, checkin_id=checkin_id, approver=approver, now=now
    )


async def reject(
    session: AsyncSession, *, principal: Principal, checkin_id: int, reason: str, now: datetime
) -> Checkin:
    """A captain of the event's team or an admin rejects a pending check-in, with a reason."""
    checkin = await managed_checkin(session, principal, checkin_id)
    if checkin.member_id == principal.member_id:
        raise SelfApproval(checkin_id=checkin_id)
    if checkin.state != PENDING:
        raise NotPending(checkin_id=checkin_id)
    await claim(
        session, checkin_id, to=REJECTED, decided_by=principal.member_id, now=now, reason=reason
    )
    refreshed = await session.get(Checkin, checkin_id, populate_existing=True)
    assert refreshed is not None
    return refreshed


async def _in_scope(
    session: AsyncSession, principal: Principal, checkin_ids: Iterable[int]
) -> tuple[list[Outcome], list[Checkin]]:
    refused, found = [], []
    for checkin_id in sorted(set(checkin_ids))[:MAX_BULK]:
        try:
            checkin = await managed_checkin(session, principal, checkin_id)
        except NotFound as refusal:
            refused.append(Outcome(checkin_id, refusal=refusal))
            continue
        if checkin.member_id == principal.member_id:
            refused.append(Outcome(checkin_id, refusal=SelfApproval(checkin_id=checkin_id)))
        else:
            found.append(checkin)
    return refused, found


async def approve_many(
    session: AsyncSession,
    *,
    keystore: KeyStore,
    principal: Principal,
    checkin_ids: Iterable[int],
    now: datetime,
) -> list[Outcome]:
    """Approve several check-ins; each is approved or refused on its own."""
    outcomes, found = await _in_scope(session, principal, checkin_ids)
    await lock_members(session, [c.member_id for c in found])
    approver = Approver(principal.member_id, principal.account)
    for checkin in sorted(found, key=lambda c: (as_utc(c.checked_in_at), c.id or 0)):
        assert checkin.id is not None
        try:
            async with session.begin_nested():
                decided = await _approve_locked(
                    session, keystore=keystore, checkin_id=checkin.id, approver=approver, now=now
                )
        except Refusal as refusal:
            outcomes.append(Outcome(checkin.id, refusal=refusal))
        else:
            outcomes.append(Outcome(checkin.id, checkin=decided))
    return sorted(outcomes, key=lambda o: o.checkin_id)


async def reject_many(
    session: AsyncSession,
    *,
    principal: Principal,
    checkin_ids: Iterable[int],
    reason: str,
    now: datetime,
) -> list[Outcome]:
    """Reject several check-ins with one reason; each is rejected or refused on its own."""
    outcomes, found = await _in_scope(session, principal, checkin_ids)
    for checkin in found:
        assert checkin.id is not None
        try:
            await claim(
                session,
                checkin.id,
                to=REJECTED,
                decided_by=principal.member_id,
                now=now,
                reason=reason,
            )
        except NotPending as refusal:
            outcomes.append(Outcome(checkin.id, refusal=refusal))
        else:
            refreshed = await session.get(Checkin, checkin.id, populate_existing=True)
            outcomes.append(Outcome(checkin.id, checkin=refreshed))
    return sorted(outcomes, key=lambda o: o.checkin_id)
