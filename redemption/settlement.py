"""Settlement: a shop hands points back to the community (against whatever it is paid).

An admin records it with a reference of their choosing (for example "2026-03"); the ledger
gets a `settlement` entry from the shop account to the community's settlement account under
the reference `settle/{shop_id}/{reference}`, so recording the same reference twice records
it once, and the same reference with another amount is refused.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from ledger import errors as ledger_errors
from ledger import service as ledger_service
from ledger.keys import KeyStore
from ledger.types import Posting
from organisation.errors import InvalidInput
from organisation.models import Community, Shop
from organisation.pseudonyms import SETTLEMENT_ACCOUNT
from redemption.models import Settlement

SETTLEMENT_KIND = "settlement"
REFERENCE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
MAX_SETTLEMENTS_LISTED = 500


async def _by_reference(session: AsyncSession, shop_id: int, reference: str) -> Settlement | None:
    statement = select(Settlement).where(
        Settlement.shop_id == shop_id, Settlement.reference == reference
    )
    return (await session.execute(statement)).scalars().first()


def _same_or_refuse(found: Settlement, amount_points: int) -> Settlement:
    if found.amount_points != amount_points:
        raise ledger_errors.IdempotencyMismatch(field="amount_points", seq=found.entry_seq)
    return found


async def record_settlement(
    session: AsyncSession,
    *,
    keystore: KeyStore,
    community: Community,
    shop: Shop,
    amount_points: int,
    reference: str,
    note: str,
    admin_id: int,
    now: datetime,
) -> Settlement:
    """Move `amount_points` from the shop to the settlement account, once per reference."""
    assert shop.id is not None
    assert community.id is not None
    if REFERENCE_PATTERN.fullmatch(reference) is None:
        raise InvalidInput("reference: letters, digits, '.', '_' or '-'", field="reference")
    found = await _by_reference(session, shop.id, reference)
    if found is not None:
        return _same_or_refuse(found, amount_points)
    posting = Posting(
        SETTLEMENT_KIND,
        shop.account,
        SETTLEMENT_ACCOUNT,
        amount_points,
        f"settle/{shop.id}/{reference}",
        {"shop": shop.id},
    )
    appended = await ledger_service.append(
        session, keystore=keystore, ledger=community.ledger_id, posting=posting, now=now
    )
    if appended.replayed:  # recorded by a concurrent request since the read above
        again = await _by_reference(session, shop.id, reference)
        assert again is not None
        return _same_or_refuse(again, amount_points)
    row = Settlement(
        community_id=community.id,
        shop_id=shop.id,
        reference=reference,
        amount_points=amount_points,
        note=note,
        recorded_by=admin_id,
        recorded_at=now,
        entry_seq=appended.entry.seq,
    )
    session.add(row)
    await session.flush()
    return row


async def list_settlements(session: AsyncSession, *, shop_id: int) -> list[Settlement]:
    """A shop's settlements, newest first."""
    statement = (
        select(Settlement)
        .where(Settlement.shop_id == shop_id)
        .order_by(col(Settlement.id).desc())
        .limit(MAX_SETTLEMENTS_LISTED)
    )
    return list((await session.execute(statement)).scalars())


async def list_community_settlements(
    session: AsyncSession, *, community_id: int
) -> list[Settlement]:
    """The community's settlements of every shop, newest first."""
    statement = (
        select(Settlement)
        .where(Settlement.community_id == community_id)
        .order_by(col(Settlement.id).desc())
        .limit(MAX_SETTLEMENTS_LISTED)
    )
    return list((await session.execute(statement)).scalars())
