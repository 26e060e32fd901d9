"""Reading and writing the ledger's tables for one batch of operations.

The chain is serialised by locking the ledger's head row (SELECT ... FOR UPDATE on
PostgreSQL; on SQLite the connection already holds the database's write lock from BEGIN
IMMEDIATE). Every change to a ledger's entries, balances or holds happens under that lock.
Balances change by one UPDATE that adds the batch's net deltas only where the result keeps
`balance >= held` (or the account may go negative), and the table's CHECK constraint refuses
anything else; a mismatch aborts the transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import column as sql_column
from sqlalchemy import func, update, values
from sqlalchemy import select as sa_select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import BigInteger, String
from sqlmodel import col, insert, select

from ledger.engine import AccountState, Batch, HoldState
from ledger.models import (
    LedgerAccount,
    LedgerEntry,
    LedgerHead,
    LedgerHold,
    LedgerNode,
)
from ledger.types import Entry

# Bound the IN lists and multi-row statements so no statement outgrows a driver's limits.
CHUNK_ROWS = 500


class ConcurrentChangeError(RuntimeError):
    """The database disagreed with what the batch read under the head lock."""


T = TypeVar("T")


def _chunks(items: list[T]) -> Iterable[list[T]]:
    for start in range(0, len(items), CHUNK_ROWS):
        yield items[start : start + CHUNK_ROWS]


@dataclass(frozen=True)
class Head:
    """The chain's tip as read under the lock."""

    size: int
    head_hash: str
    last_ts: str
    key_id: str
    frontier: bytes


async def lock_head(session: AsyncSession, ledger: str) -> Head | None:
    """The ledger's head row, locked until the transaction ends."""
    statement = (
        sa_select(
            col(LedgerHead.size),
            col(LedgerHead.head_hash),
            col(LedgerHead.last_ts),
            col(LedgerHead.key_id),
            col(LedgerHead.frontier),
        )
        .where(col(LedgerHead.ledger) == ledger)
        .with_for_update()
    )
    row = (await session.execute(statement)).one_or_none()
    return None if row is None else Head(*row)


async def entries_by_ref(
    session: AsyncSession, ledger: str, refs: Collection[str]
) -> dict[str, Entry]:
    """Existing entries with any of `refs`."""
    found: dict[str, Entry] = {}
    for part in _chunks(sorted(refs)):
        statement = select(
            LedgerEntry.ref, LedgerEntry.canonical, LedgerEntry.hash, LedgerEntry.sig
        ).where(LedgerEntry.ledger == ledger, col(LedgerEntry.ref).in_(part))
        for ref, canonical, hash_hex, sig_hex in await session.execute(statement):
            found[ref] = Entry.from_canonical(canonical, hash_hex=hash_hex, sig_hex=sig_hex)
    return found


async def load_holds(
    session: AsyncSession, ledger: str, hold_seqs: Collection[int]
) -> dict[int, HoldState]:
    """Holds by seq (any state)."""
    holds: dict[int, HoldState] = {}
    for part in _chunks(sorted(hold_seqs)):
        statement = select(LedgerHold).where(
            LedgerHold.ledger == ledger, col(LedgerHold.hold_seq).in_(part)
        )
        for row in (await session.execute(statement)).scalars():
            holds[row.hold_seq] = _hold_state(row)
    return holds


def _hold_state(row: LedgerHold) -> HoldState:
    return HoldState(
        hold_seq=row.hold_seq,
        debit=row.debit,
        credit=row.credit,
        amount=row.amount,
        expires_ts=row.expires_ts,
        state=row.state,
        resolved_seq=row.resolved_seq,
    )


async def load_accounts(
    session: AsyncSession, ledger: str, names: Collection[str], ts: str, holds: dict[int, HoldState]
) -> dict[str, AccountState]:
    """Accounts by name, each with its overdue pending holds (added to `holds` too)."""
    accounts: dict[str, AccountState] = {}
    for part in _chunks(sorted(names)):
        statement = select(
            LedgerAccount.account,
            LedgerAccount.balance,
            LedgerAccount.held,
            LedgerAccount.allow_negative,
        ).where(LedgerAccount.ledger == ledger, col(LedgerAccount.account).in_(part))
        for account, balance, held, allow_negative in await session.execute(statement):
            accounts[account] = AccountState(balance, held, allow_negative)
    overdue = select(LedgerHold).where(
        LedgerHold.ledger == ledger,
        LedgerHold.state == "pending",
        col(LedgerHold.expires_ts) <= ts,
        col(LedgerHold.debit).in_(sorted(accounts)),
    )
    for row in (await session.execute(overdue.order_by(col(LedgerHold.hold_seq)))).scalars():
        hold = holds.setdefault(row.hold_seq, _hold_state(row))
        accounts[row.debit].overdue.append(hold)
    return accounts


async def write_batch(session: AsyncSession, batch: Batch, old_size: int) -> None:
    """Insert the batch's entries, nodes and holds; apply balances; move the head."""
    if not batch.entries:
        return
    await _insert_rows(session, LedgerEntry, [_entry_row(e) for e in batch.entries])
    node_rows = [
        {"ledger": batch.ledger, "level": level, "idx": idx, "hash": digest}
        for (level, idx), digest in batch.nodes
    ]
    await _insert_rows(session, LedgerNode, node_rows)
    await _write_holds(session, batch)
    await _apply_balances(session, batch)
    moved = await session.execute(
        update(LedgerHead)
        .where(col(LedgerHead.ledger) == batch.ledger, col(LedgerHead.size) == old_size)
        .values(
            size=batch.size,
            head_hash=batch.head_hash,
            last_ts=batch.ts,
            frontier=batch.frontier.to_bytes(),
        )
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise ConcurrentChangeError(f"head of {batch.ledger} moved while locked")


async def _insert_rows(
    session: AsyncSession,
    table: type[LedgerEntry | LedgerNode | LedgerHold],
    rows: list[dict[str, object]],
) -> None:
    for part in _chunks(rows):
        await session.execute(insert(table), part)


def _entry_row(entry: Entry) -> dict[str, object]:
    return {
        "ledger": entry.ledger,
        "seq": entry.seq,
        "ref": entry.ref,
        "kind": entry.kind,
        "debit": entry.debit,
        "credit": entry.credit,
        "amount": entry.amount,
        "ts": entry.ts,
        "key_id": entry.key,
        "hash": entry.hash,
        "sig": entry.sig,
        "canonical": entry.canonical,
    }


async def _write_holds(session: AsyncSession, batch: Batch) -> None:
    new_rows: list[dict[str, object]] = []
    for hold in batch.holds.values():
        if hold.is_new:
            new_rows.append(
                {
                    "ledger": batch.ledger,
                    "hold_seq": hold.hold_seq,
                    "debit": hold.debit,
                    "credit": hold.credit,
                    "amount": hold.amount,
                    "expires_ts": hold.expires_ts,
                    "state": hold.state,
                    "resolved_seq": hold.resolved_seq,
                }
            )
        elif hold.resolved_now:
            await _resolve_hold_row(session, batch.ledger, hold)
    await _insert_rows(session, LedgerHold, new_rows)


async def _resolve_hold_row(session: AsyncSession, ledger: str, hold: HoldState) -> None:
    result = await session.execute(
        update(LedgerHold)
        .where(
            col(LedgerHold.ledger) == ledger,
            col(LedgerHold.hold_seq) == hold.hold_seq,
            col(LedgerHold.state) == "pending",
        )
        .values(state=hold.state, resolved_seq=hold.resolved_seq)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise ConcurrentChangeError(f"hold {hold.hold_seq} of {ledger} was resolved concurrently")


async def _apply_balances(session: AsyncSession, batch: Batch) -> None:
    deltas = [
        (name, state.balance_delta, state.held_delta)
        for name, state in batch.accounts.items()
        if state.balance_delta or state.held_delta
    ]
    for part in _chunks(deltas):
        changes = (
            values(
                sql_column("account", String),
                sql_column("balance_delta", BigInteger),
                sql_column("held_delta", BigInteger),
                name="changes",
            )
            .data(part)
            .cte("changes")
        )
        # A CTE rather than an inline VALUES list: SQLite cannot alias VALUES columns in FROM.
        table = LedgerAccount.__table__  # type: ignore[attr-defined]
        new_balance = table.c.balance + changes.c.balance_delta
        new_held = table.c.held + changes.c.held_delta
        statement = (
            update(table)
            .where(
                table.c.ledger == batch.ledger,
                table.c.account == changes.c.account,
                table.c.allow_negative | (new_balance >= new_held),
            )
            .values(balance=new_balance, held=new_held)
            .returning(table.c.account)
        )
        updated = (await session.execute(statement)).scalars().all()
        if len(updated) != len(part):
            raise ConcurrentChangeError(f"balances of {batch.ledger} changed while locked")


async def count_entries(session: AsyncSession, ledger: str) -> int:
    """Number of stored entries of a ledger (for tests and verification)."""
    statement = select(func.count()).select_from(LedgerEntry).where(LedgerEntry.ledger == ledger)
    return int((await session.execute(statement)).scalar_one())
