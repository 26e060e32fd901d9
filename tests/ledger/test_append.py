"""Appending postings: chaining, balances, idempotency and refusals."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ledger import errors, service
from ledger.canonical import ZERO_HASH_HEX, canonical_bytes, sha256_hex
from ledger.models import LedgerEntry
from ledger.types import Appended, Posting
from tests.ledger.conftest import ISSUANCE, LedgerFixture


async def _count(fx: LedgerFixture) -> int:
    async with fx.db.sessions() as session:
        statement = select(func.count()).where(LedgerEntry.ledger == fx.ledger)  # type: ignore[arg-type]
        return int((await session.execute(statement)).scalar_one())


async def _append(fx: LedgerFixture, posting: Posting) -> Appended:
    async with fx.db.sessions.begin() as session:
        return await service.append(
            session, keystore=fx.keystore, ledger=fx.ledger, posting=posting, now=fx.now
        )


async def test_entries_chain_from_zero_hash(opened: LedgerFixture) -> None:
    """The first entry links to 64 zeros and each later entry to the hash of the one before."""
    await opened.open_accounts("m-a")
    first = (await _append(opened, Posting("credit", ISSUANCE, "m-a", 5, "r1"))).entry
    second = (await _append(opened, Posting("credit", ISSUANCE, "m-a", 7, "r2"))).entry
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev == ZERO_HASH_HEX
    assert second.prev == first.hash == sha256_hex(first.canonical)
    assert canonical_bytes(second.body()) == second.canonical


async def test_balances_move_and_sum_to_zero(opened: LedgerFixture) -> None:
    """A transfer moves points from debit to credit and the ledger sums to zero."""
    await opened.open_accounts("m-a", "shop-1")
    await opened.credit("m-a", 30, "c1")
    await _append(opened, Posting("spend", "m-a", "shop-1", 12, "s1"))
    assert await opened.balance("m-a") == (18, 0)
    assert await opened.balance("shop-1") == (12, 0)
    assert await opened.balance(ISSUANCE) == (-30, 0)


async def test_same_ref_same_content_returns_first_entry(opened: LedgerFixture) -> None:
    """Repeating a posting with its ref returns the first entry, marked replayed."""
    await opened.open_accounts("m-a")
    posting = Posting("credit", ISSUANCE, "m-a", 5, "once", {"checkin": "17"})
    first = await _append(opened, posting)
    again = await _append(opened, posting)
    assert again.replayed
    assert not first.replayed
    assert again.entry == first.entry
    assert await _count(opened) == 1
    assert await opened.balance("m-a") == (5, 0)


@pytest.mark.parametrize(
    ("changed", "field"),
    [
        (Posting("other", ISSUANCE, "m-a", 5, "once"), "kind"),
        (Posting("credit", "m-b", "m-a", 5, "once"), "debit"),
        (Posting("credit", ISSUANCE, "m-b", 5, "once"), "credit"),
        (Posting("credit", ISSUANCE, "m-a", 6, "once"), "amount"),
        (Posting("credit", ISSUANCE, "m-a", 5, "once", {"x": 1}), "meta"),
    ],
)
async def test_same_ref_different_content_is_refused_naming_the_field(
    opened: LedgerFixture, changed: Posting, field: str
) -> None:
    """A ref reused with different content is refused, naming the field, and changes nothing."""
    await opened.open_accounts("m-a", "m-b")
    await _append(opened, Posting("credit", ISSUANCE, "m-a", 5, "once"))
    with pytest.raises(errors.IdempotencyMismatch) as refused:
        await _append(opened, changed)
    assert refused.value.code == "idempotency_mismatch"
    assert refused.value.details["field"] == field
    assert await _count(opened) == 1
    assert await opened.balance("m-a") == (5, 0)


async def test_overdraft_is_refused_and_changes_nothing(opened: LedgerFixture) -> None:
    """Spending more than the available points is refused with insufficient_points."""
    await opened.open_accounts("m-a", "shop-1")
    await opened.credit("m-a", 10, "c1")
    with pytest.raises(errors.InsufficientPoints) as refused:
        await _append(opened, Posting("spend", "m-a", "shop-1", 11, "s1"))
    assert refused.value.code == "insufficient_points"
    assert await _count(opened) == 1
    assert await opened.balance("m-a") == (10, 0)
    assert await opened.balance("shop-1") == (0, 0)


@pytest.mark.parametrize(
    ("posting", "code", "field"),
    [
        (Posting("credit", ISSUANCE, "m-a", 0, "r"), "invalid_posting", "amount"),
        (Posting("credit", ISSUANCE, "m-a", -3, "r"), "invalid_posting", "amount"),
        (Posting("credit", ISSUANCE, "m a", 1, "r"), "invalid_posting", "credit"),
        (Posting("Credit", ISSUANCE, "m-a", 1, "r"), "invalid_posting", "kind"),
        (Posting("hold", ISSUANCE, "m-a", 1, "r"), "invalid_posting", "kind"),
        (Posting("credit", ISSUANCE, "m-a", 1, ""), "invalid_posting", "ref"),
        (Posting("credit", ISSUANCE, "m-a", 1, "r", {"A": 1}), "invalid_posting", "meta"),
        (Posting("credit", ISSUANCE, "m-a", 1, "r", {"hold": 1}), "invalid_posting", "meta"),
        (Posting("credit", ISSUANCE, ISSUANCE, 1, "r"), "same_account", "credit"),
        (Posting("credit", ISSUANCE, "m-nobody", 1, "r"), "account_not_found", "credit"),
        (Posting("credit", "m-nobody", "m-a", 1, "r"), "account_not_found", "debit"),
    ],
)
async def test_malformed_postings_are_refused_with_their_code(
    opened: LedgerFixture, posting: Posting, code: str, field: str
) -> None:
    """Each malformed posting is refused with a stable code naming the field; nothing is written."""
    await opened.open_accounts("m-a")
    with pytest.raises(errors.Refusal) as refused:
        await _append(opened, posting)
    assert refused.value.code == code
    assert refused.value.details["field"] == field
    assert await _count(opened) == 0


async def test_unknown_ledger_is_refused(opened: LedgerFixture) -> None:
    """Appending to a ledger that was never opened is refused with ledger_not_found."""
    with pytest.raises(errors.LedgerNotFound):
        async with opened.db.sessions.begin() as session:
            await service.append(
                session,
                keystore=opened.keystore,
                ledger="no-such-ledger",
                posting=Posting("credit", ISSUANCE, "m-a", 1, "r"),
                now=opened.now,
            )


async def test_batch_refuses_per_posting_and_appends_the_rest(opened: LedgerFixture) -> None:
    """In a batch each posting succeeds or is refused alone, in order."""
    await opened.open_accounts("m-a", "shop-1")
    postings = [
        Posting("credit", ISSUANCE, "m-a", 5, "b1"),
        Posting("spend", "m-a", "shop-1", 6, "b2"),
        Posting("spend", "m-a", "shop-1", 5, "b3"),
        Posting("credit", ISSUANCE, "m-a", 5, "b1"),
    ]
    async with opened.db.sessions.begin() as session:
        results = await service.append_batch(
            session,
            keystore=opened.keystore,
            ledger=opened.ledger,
            postings=postings,
            now=opened.now,
        )
    kinds = [r.code if isinstance(r, errors.Refusal) else r.replayed for r in results]
    assert kinds == [False, "insufficient_points", False, True]
    assert await _count(opened) == 2
    assert await opened.balance("m-a") == (0, 0)
