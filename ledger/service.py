"""The ledger's operations. Each takes the caller's session and never commits.

The use case that calls these commits once (or rolls back), so a credit and whatever caused
it (an approval, a redemption) land together or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import BigInteger, cast, func, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from ledger import errors, store
from ledger.canonical import ZERO_HASH_HEX, format_ts
from ledger.engine import Batch, Operation, PlaceHold, ResolveHold, Transfer, expiry_ref
from ledger.keyring import LEDGER_PURPOSE, next_created_ts
from ledger.keys import KeyStore
from ledger.merkle import CompactRange
from ledger.models import LedgerAccount, LedgerEntry, LedgerHead, LedgerHold, SigningKey
from ledger.types import (
    Appended,
    Balance,
    Entry,
    HoldAction,
    MetaValue,
    Posting,
    validate_account,
    validate_ledger_id,
)

MAX_EXPIRIES_PER_CALL = 1000


async def open_ledger(
    session: AsyncSession,
    *,
    keystore: KeyStore,
    ledger: str,
    now: datetime,
    first_key: Ed25519PrivateKey | None = None,
) -> None:
    """Create the ledger's head and its first signing key; nothing if it exists.

    `first_key` brings an existing private key (restored from a backup, or the fixed key of
    the format's worked example); by default a new one is generated.
    """
    validate_ledger_id(ledger)
    if await session.get(LedgerHead, ledger) is not None:
        return
    signer = keystore.generate() if first_key is None else keystore.import_key(first_key)
    session.add(
        SigningKey(
            key_id=signer.key_id,
            scope=ledger,
            purpose=LEDGER_PURPOSE,
            public_key=signer.public_key,
            created_ts=format_ts(now),
            from_seq=1,
        )
    )
    session.add(
        LedgerHead(
            ledger=ledger,
            size=0,
            head_hash=ZERO_HASH_HEX,
            last_ts=format_ts(now),
            key_id=signer.key_id,
            frontier=b"",
        )
    )
    await session.flush()


async def open_account(
    session: AsyncSession, *, ledger: str, account: str, allow_negative: bool = False
) -> None:
    """Create an account with a zero balance; nothing if it exists."""
    validate_account(account)
    row = {"ledger": ledger, "account": account, "balance": 0, "held": 0}
    row["allow_negative"] = allow_negative
    table = LedgerAccount.__table__  # type: ignore[attr-defined]
    dialect_insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.execute(dialect_insert(table).values(row).on_conflict_do_nothing())


async def execute(
    session: AsyncSession,
    *,
    keystore: KeyStore,
    ledger: str,
    operations: Sequence[Operation],
    now: datetime,
) -> list[Appended | errors.Refusal]:
    """Apply operations in order under the chain lock; each succeeds or is refused alone."""
    results, _ = await execute_with_state(
        session, keystore=keystore, ledger=ledger, operations=operations, now=now
    )
    return results


async def execute_with_state(
    session: AsyncSession,
    *,
    keystore: KeyStore,
    ledger: str,
    operations: Sequence[Operation],
    now: datetime,
) -> tuple[list[Appended | errors.Refusal], Batch]:
    """`execute`, also returning the batch: the chain's head and the touched accounts as
    they stand when the transaction commits."""
    now_ts = format_ts(now)
    hold_seqs = {op.hold_seq for op in operations if isinstance(op, ResolveHold)}
    refs = {op.ref if isinstance(op, ResolveHold) else op.posting.ref for op in operations}
    names: set[str] = set()
    for op in operations:
        if not isinstance(op, ResolveHold):
            names |= {op.posting.debit, op.posting.credit}
    wanted = store.Wanted(refs=refs, hold_seqs=hold_seqs, names=names, ts=now_ts)
    # The lock reads what the batch needs in the same statement, when that is safe.
    head = await store.lock_head(session, ledger, wanted)
    if head is None:
        raise errors.LedgerNotFound(ledger=ledger)
    ts = max(now_ts, head.last_ts)
    loaded = head.loaded
    if loaded is None or ts != now_ts:
        loaded = await store.load(session, ledger, replace(wanted, ts=ts))
    batch = Batch(
        ledger=ledger,
        size=head.size,
        head_hash=head.head_hash,
        frontier=CompactRange.from_bytes(head.size, head.frontier),
        ts=ts,
        signer=keystore.load(head.key_id),
        existing=loaded.existing,
        accounts=loaded.accounts,
        holds=loaded.holds,
    )
    results: list[Appended | errors.Refusal] = []
    for op in operations:
        try:
            results.append(batch.apply(op))
        except errors.Refusal as refusal:
            results.append(refusal)
    signed = batch.sign_entries()
    await store.write_batch(session, batch, head.size)
    return [_signed(r, signed) for r in results], batch


def _signed(
    result: Appended | errors.Refusal, signed: dict[int, Entry]
) -> Appended | errors.Refusal:
    """The result with its entry as signed, when the entry is one the batch emitted."""
    if isinstance(result, errors.Refusal) or result.entry.seq not in signed:
        return result
    return Appended(signed[result.entry.seq], replayed=result.replayed)


async def _one(
    session: AsyncSession, keystore: KeyStore, ledger: str, op: Operation, now: datetime
) -> Appended:
    [result] = await execute(session, keystore=keystore, ledger=ledger, operations=[op], now=now)
    if isinstance(result, errors.Refusal):
        raise result
    return result


async def append(
    session: AsyncSession, *, keystore: KeyStore, ledger: str, posting: Posting, now: datetime
) -> Appended:
    """Append one transfer, or return the entry already recorded under its `ref`."""
    return await _one(session, keystore, ledger, Transfer(posting), now)


async def append_batch(
    session: AsyncSession,
    *,
    keystore: KeyStore,
    ledger: str,
    postings: Sequence[Posting],
    now: datetime,
) -> list[Appended | errors.Refusal]:
    """Append many transfers in one transaction (group commit); refusals are per posting."""
    operations = [Transfer(p) for p in postings]
    return await execute(session, keystore=keystore, ledger=ledger, operations=operations, now=now)


async def place_hold(
    session: AsyncSession,
    *,
    keystore: KeyStore,
    ledger: str,
    posting: Posting,
    ttl_seconds: int,
    now: datetime,
) -> Appended:
    """Reserve points: a pending transfer that commits, voids or expires after the TTL."""
    return await _one(session, keystore, ledger, PlaceHold(posting, ttl_seconds), now)


async def resolve_hold(
    session: AsyncSession,
    *,
    keystore: KeyStore,
    ledger: str,
    hold_seq: int,
    action: HoldAction,
    ref: str,
    now: datetime,
    meta: dict[str, MetaValue] | None = None,
) -> Appended:
    """Commit or void a pending hold (or expire an overdue one)."""
    operation = ResolveHold(hold_seq, action, ref, meta or {})
    return await _one(session, keystore, ledger, operation, now)


async def expire_due_holds(
    session: AsyncSession, *, keystore: KeyStore, ledger: str, now: datetime
) -> list[Appended]:
    """Expire up to MAX_EXPIRIES_PER_CALL overdue holds, oldest first."""
    statement = (
        select(LedgerHold.hold_seq)
        .where(
            LedgerHold.ledger == ledger,
            LedgerHold.state == "pending",
            col(LedgerHold.expires_ts) <= format_ts(now),
        )
        .order_by(col(LedgerHold.hold_seq))
        .limit(MAX_EXPIRIES_PER_CALL)
    )
    seqs = (await session.execute(statement)).scalars().all()
    if not seqs:
        return []
    operations: list[Operation] = [ResolveHold(s, "expire", expiry_ref(s)) for s in seqs]
    results = await execute(
        session, keystore=keystore, ledger=ledger, operations=operations, now=now
    )
    # A hold resolved between the read above and the lock is simply skipped.
    return [r for r in results if isinstance(r, Appended) and not r.replayed]


async def balance(session: AsyncSession, *, ledger: str, account: str, now: datetime) -> Balance:
    """An account's balance and held points; holds past their expiry do not count as held."""
    overdue = (
        select(cast(func.coalesce(func.sum(LedgerHold.amount), 0), BigInteger))
        .where(
            LedgerHold.ledger == ledger,
            LedgerHold.debit == account,
            LedgerHold.state == "pending",
            col(LedgerHold.expires_ts) <= format_ts(now),
        )
        .scalar_subquery()
    )
    statement = select(LedgerAccount.balance, LedgerAccount.held, overdue).where(
        LedgerAccount.ledger == ledger, LedgerAccount.account == account
    )
    row = (await session.execute(statement)).one_or_none()
    if row is None:
        raise errors.AccountNotFound(account=account)
    balance_points, held_points, overdue_points = row
    return Balance(balance_points=balance_points, held_points=held_points - overdue_points)


def _entries_query(ledger: str):  # type: ignore[no-untyped-def]
    return select(LedgerEntry.canonical, LedgerEntry.hash, LedgerEntry.sig).where(
        LedgerEntry.ledger == ledger
    )


async def entries(session: AsyncSession, *, ledger: str, start_seq: int, limit: int) -> list[Entry]:
    """Entries with seq >= start_seq in seq order, at most `limit`."""
    statement = (
        _entries_query(ledger)
        .where(col(LedgerEntry.seq) >= start_seq)
        .order_by(col(LedgerEntry.seq))
        .limit(limit)
    )
    rows = await session.execute(statement)
    return [Entry.from_canonical(c, hash_hex=h, sig_hex=s) for c, h, s in rows]


async def account_entries(
    session: AsyncSession, *, ledger: str, account: str, before_seq: int | None, limit: int
) -> list[Entry]:
    """An account's entries, newest first, with seq < before_seq when given."""
    statement = _entries_query(ledger).where(
        or_(col(LedgerEntry.debit) == account, col(LedgerEntry.credit) == account)
    )
    if before_seq is not None:
        statement = statement.where(col(LedgerEntry.seq) < before_seq)
    statement = statement.order_by(col(LedgerEntry.seq).desc()).limit(limit)
    rows = await session.execute(statement)
    return [Entry.from_canonical(c, hash_hex=h, sig_hex=s) for c, h, s in rows]


async def account_entries_from(
    session: AsyncSession, *, ledger: str, account: str, start_seq: int, limit: int
) -> list[Entry]:
    """An account's entries with seq >= start_seq, oldest first."""
    statement = (
        _entries_query(ledger)
        .where(
            or_(col(LedgerEntry.debit) == account, col(LedgerEntry.credit) == account),
            col(LedgerEntry.seq) >= start_seq,
        )
        .order_by(col(LedgerEntry.seq))
        .limit(limit)
    )
    rows = await session.execute(statement)
    return [Entry.from_canonical(c, hash_hex=h, sig_hex=s) for c, h, s in rows]


async def rotate_key(
    session: AsyncSession, *, keystore: KeyStore, ledger: str, now: datetime
) -> str:
    """Start signing with a new key from the next entry on; returns its key id."""
    head = await store.lock_head(session, ledger)
    if head is None:
        raise errors.LedgerNotFound(ledger=ledger)
    signer = keystore.generate()
    created_ts = await next_created_ts(session, scope=ledger, purpose=LEDGER_PURPOSE, now=now)
    session.add(
        SigningKey(
            key_id=signer.key_id,
            scope=ledger,
            purpose=LEDGER_PURPOSE,
            public_key=signer.public_key,
            created_ts=created_ts,
            from_seq=head.size + 1,
        )
    )
    await session.flush()
    await session.execute(
        update(LedgerHead).where(col(LedgerHead.ledger) == ledger).values(key_id=signer.key_id)
    )
    return signer.key_id
