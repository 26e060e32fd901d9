"""Reversal: an admin corrects a mistaken credit with a new entry, never an edit.

The entry moves the credited points back (`reversal`, member -> issuance) with ref
`reversal/{seq}` and meta naming the original seq, the check-in and the admin's
pseudonymous account; the reason stays on the check-in row, out of the chain (it may name
people). A credit is reversed at most once: the check-in moves from `approved` to `reversed`
by a conditional UPDATE, and the ref is unique in the ledger. If the member has already
spent the points, the ledger refuses with `insufficient_points` and nothing changes: the
admin settles it another way (a partial reversal would misstate what was credited).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table, update
from sqlalchemy.ext.asyncio import AsyncSession

from checkin.errors import NotReversible
from checkin.models import APPROVED, REVERSED, Checkin
from ledger import service as ledger_service
from ledger.keys import KeyStore
from ledger.types import Posting
from organisation.auth import Principal
from organisation.errors import NotFound
from organisation.models import Community, Member
from organisation.pseudonyms import ISSUANCE_ACCOUNT

REVERSAL_KIND = "reversal"

checkins_table: Table = Checkin.__table__  # type: ignore[attr-defined]


def reversal_ref(seq: int) -> str:
    return f"reversal/{seq}"


async def reverse(
    session: AsyncSession,
    *,
    keystore: KeyStore,
    principal: Principal,
    checkin_id: int,
    reason: str,
    now: datetime,
) -> Checkin:
    """An admin reverses a check-in's credit with a new entry that names the original."""
    checkin = await session.get(Checkin, checkin_id)
    if checkin is None or checkin.community_id not in principal.admin_of:
        raise NotFound(object="checkin", id=checkin_id)
    seq = checkin.ledger_seq
    if checkin.state != APPROVED or seq is None or not checkin.points:
        raise NotReversible(checkin_id=checkin_id, state=checkin.state)
    statement = (
        update(checkins_table)
        .where(
            checkins_table.c.id == checkin_id,
            checkins_table.c.state == APPROVED,
            checkins_table.c.reversal_seq.is_(None),
        )
        .values(
            state=REVERSED, reversed_by=principal.member_id, reversed_at=now, reversal_reason=reason
        )
    )
    if (await session.execute(statement)).rowcount != 1:  # type: ignore[attr-defined]  # CursorResult
        raise NotReversible(checkin_id=checkin_id, state=REVERSED)
    member = await session.get(Member, checkin.member_id)
    community = await session.get(Community, checkin.community_id)
    assert member is not None
    assert community is not None
    posting = Posting(
        kind=REVERSAL_KIND,
        debit=member.account,
        credit=ISSUANCE_ACCOUNT,
        amount=checkin.points,
        ref=reversal_ref(seq),
        meta={"reverses": seq, "checkin": checkin_id, "admin": principal.account},
    )
    appended = await ledger_service.append(
        session, keystore=keystore, ledger=community.ledger_id, posting=posting, now=now
    )
    await session.execute(
        update(checkins_table)
        .where(checkins_table.c.id == checkin_id)
        .values(reversal_seq=appended.entry.seq)
    )
    refreshed = await session.get(Checkin, checkin_id, populate_existing=True)
    assert refreshed is not None
    return refreshed
