"""Refunds: a shop's clerk asks, a community admin approves, the ledger gets a new entry.

A refund never edits anything in the ledger: approval appends a `refund` entry from the shop
account back to the member, whose meta names the redemption and the seq of its original
commit. One refund per redemption at most: one request row per redemption (unique) and one
ledger reference per redemption (`refund/{code_id}`). The clerk asks within the community's
refund window counted from the confirmation; the admin decides later at any time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ledger import service as ledger_service
from ledger.keys import KeyStore
from ledger.types import Posting
from organisation.models import Community, Shop
from redemption import errors
from redemption.models import APPROVED, COMMITTED, REJECTED, REQUESTED, Redemption, RefundRequest
from redemption.periods import as_utc
from redemption.policy import community_policy
from redemption.tables import dialect_insert, refunds

REFUND_KIND = "refund"


def refund_ref(code_id: str) -> str:
    return f"refund/{code_id}"


async def _existing(session: AsyncSession, redemption_id: int) -> RefundRequest | None:
    statement = select(RefundRequest).where(RefundRequest.redemption_id == redemption_id)  # type: ignore[arg-type]
    return (await session.execute(statement)).scalars().first()


def _refuse_existing(found: RefundRequest) -> None:
    if found.state == APPROVED:
        raise errors.RefundAlreadyMade(refund=found.id or 0)
    if found.state == REQUESTED:
        raise errors.RefundAlreadyRequested(refund=found.id or 0)


async def request_refund(
    session: AsyncSession,
    *,
    redemption: Redemption,
    clerk_id: int,
    reason: str,
    now: datetime,
) -> RefundRequest:
    """Ask for a committed redemption's points to go back to the member (again after a
    rejection); refused once refunded, while a request waits, or after the window."""
    assert redemption.id is not None
    if redemption.state != COMMITTED or redemption.resolved_at is None:
        raise errors.NotCommitted(redemption=redemption.id, state=redemption.state)
    found = await _existing(session, redemption.id)
    if found is not None:
        _refuse_existing(found)
    policy = await community_policy(session, redemption.community_id)
    deadline = as_utc(redemption.resolved_at) + timedelta(days=policy.refund_window_days)
    if now > deadline:
        raise errors.RefundWindowPassed(days=policy.refund_window_days)
    fields = {
        "state": REQUESTED,
        "reason": reason,
        "requested_by": clerk_id,
        "requested_at": now,
        "decided_by": None,
        "decided_at": None,
        "decision_note": "",
    }
    if found is None:
        row = {
            "redemption_id": redemption.id,
            "community_id": redemption.community_id,
            "shop_id": redemption.shop_id,
            "amount_points": redemption.amount_points,
            **fields,
        }
        statement = dialect_insert(session, refunds).values(row).on_conflict_do_nothing()
        inserted = await session.execute(statement.returning(refunds.c.id))
        if inserted.scalar_one_or_none() is None:  # a concurrent request got there first
            raise errors.RefundAlreadyRequested(redemption=redemption.id)
    else:
        reopened = await session.execute(
            update(refunds)
            .where(refunds.c.id == found.id, refunds.c.state == REJECTED)
            .values(fields)
        )
        if reopened.rowcount != 1:  # type: ignore[attr-defined]  # DML results carry a rowcount
            raise errors.RefundAlreadyRequested(redemption=redemption.id)
    result = await _existing(session, redemption.id)
    assert result is not None
    await session.refresh(result)
    return result


async def approve_refund(
    session: AsyncSession,
    *,
    keystore: KeyStore,
    community: Community,
    refund: RefundRequest,
    admin_id: int,
    note: str,
    now: datetime,
) -> RefundRequest:
    """Append the refund entry (shop -> member). Approving again returns the first outcome."""
    if refund.state == APPROVED:
        return refund
    if refund.state != REQUESTED:
        raise errors.RefundNotPending(refund=refund.id or 0, state=refund.state)
    redemption = await session.get(Redemption, refund.redemption_id)
    shop = await session.get(Shop, refund.shop_id)
    assert redemption is not None
    assert shop is not None
    assert redemption.resolved_seq is not None
    posting = Posting(
        REFUND_KIND,
        shop.account,
        redemption.member_account,
        refund.amount_points,
        refund_ref(redemption.code_id),
        {"redemption": redemption.id or 0, "commit_seq": redemption.resolved_seq},
    )
    appended = await ledger_service.append(
        session, keystore=keystore, ledger=community.ledger_id, posting=posting, now=now
    )
    if not appended.replayed:
        changed = await session.execute(
            update(refunds)
            .where(refunds.c.id == refund.id, refunds.c.state == REQUESTED)
            .values(
                state=APPROVED,
                decided_by=admin_id,
                decided_at=now,
                decision_note=note,
                entry_seq=appended.entry.seq,
            )
        )
        if changed.rowcount != 1:  # type: ignore[attr-defined]  # DML results carry a rowcount
            # Rejected meanwhile: refusing rolls the refund entry back with everything else.
            await session.refresh(refund)
            raise errors.RefundNotPending(refund=refund.id or 0, state=refund.state)
    await session.refresh(refund)
    return refund


async def reject_refund(
    session: AsyncSession, *, refund: RefundRequest, admin_id: int, note: str, now: datetime
) -> RefundRequest:
    """Decline a waiting request; rejecting again returns the first outcome."""
    if refund.state == REJECTED:
        return refund
    if refund.state != REQUESTED:
        raise errors.RefundNotPending(refund=refund.id or 0, state=refund.state)
    changed = await session.execute(
        update(refunds)
        .where(refunds.c.id == refund.id, refunds.c.state == REQUESTED)
        .values(state=REJECTED, decided_by=admin_id, decided_at=now, decision_note=note)
    )
    await session.refresh(refund)
    if changed.rowcount != 1 and refund.state != REJECTED:  # type: ignore[attr-defined]  # DML results carry a rowcount
        raise errors.RefundNotPending(refund=refund.id or 0, state=refund.state)
    return refund


async def list_refunds(
    session: AsyncSession, *, community_id: int, state: str | None, limit: int, offset: int
) -> list[RefundRequest]:
    """The community's refund requests, newest first."""
    statement = select(RefundRequest).where(RefundRequest.community_id == community_id)  # type: ignore[arg-type]
    if state is not None:
        statement = statement.where(RefundRequest.state == state)  # type: ignore[arg-type]
    statement = statement.order_by(RefundRequest.id.desc()).limit(limit).offset(offset)  # type: ignore[union-attr]
    return list((await session.execute(statement)).scalars())
