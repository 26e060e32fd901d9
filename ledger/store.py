"""Reading and writing the ledger's tables for one batch of operations.

The chain is serialised by locking the ledger's head row (SELECT ... FOR UPDATE on
PostgreSQL; on SQLite the connection already holds the database's write lock from BEGIN
IMMEDIATE). Every change to a ledger's entries, balances or holds happens under that lock.
Balances change by UPDATEs that add the batch's net deltas only where the result keeps
`balance >= held` (or the account may go negative), and the table's CHECK constraint refuses
anything else; a mismatch aborts the transaction.

Statements are built once at import and run on the session's connection through SQLAlchemy
Core: building and compiling them per call cost more than the database work itself.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    String,
    bindparam,
    cast,
    func,
    insert,
    or_,
    select,
    update,
    values,
)
from sqlalchemy import column as sql_column
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from ledger.engine import AccountState, Batch, HoldState
from ledger.tables import accounts, entries, heads, holds, nodes
from ledger.types import Entry

# Bound the IN lists and multi-row statements so no statement outgrows a driver's limits.
CHUNK_ROWS = 500
# Up to this many accounts are updated one statement each (cached, cheap); more go through
# one UPDATE ... FROM a VALUES list, which is compiled afresh but costs one round trip.
SINGLE_UPDATE_ACCOUNTS = 4

T = TypeVar("T")


class ConcurrentChangeError(RuntimeError):
    """The database disagreed with what the batch read under the head lock."""


@dataclass(frozen=True)
class Head:
    """The chain's tip as read under the lock."""

    size: int
    head_hash: str
    last_ts: str
    key_id: str
    frontier: bytes


_HEAD_COLUMNS = (heads.c.size, heads.c.head_hash, heads.c.last_ts, heads.c.key_id, heads.c.frontier)
LOCK_HEAD = select(*_HEAD_COLUMNS).where(heads.c.ledger == bindparam("ledger")).with_for_update()
ENTRIES_BY_REF = select(entries.c.ref, entries.c.canonical, entries.c.hash, entries.c.sig).where(
    entries.c.ledger == bindparam("ledger"), entries.c.ref.in_(bindparam("refs", expanding=True))
)
HOLDS_BY_SEQ = select(holds).where(
    holds.c.ledger == bindparam("ledger"),
    holds.c.hold_seq.in_(bindparam("seqs", expanding=True)),
)
_OVERDUE_POINTS = (
    select(cast(func.coalesce(func.sum(holds.c.amount), 0), BigInteger))
    .where(
        holds.c.ledger == accounts.c.ledger,
        holds.c.debit == accounts.c.account,
        holds.c.state == "pending",
        holds.c.expires_ts <= bindparam("ts"),
    )
    .scalar_subquery()
)
ACCOUNTS_BY_NAME = select(
    accounts.c.account,
    accounts.c.balance,
    accounts.c.held,
    accounts.c.allow_negative,
    _OVERDUE_POINTS,
).where(
    accounts.c.ledger == bindparam("ledger"),
    accounts.c.account.in_(bindparam("names", expanding=True)),
)
OVERDUE_HOLDS = (
    select(holds)
    .where(
        holds.c.ledger == bindparam("ledger"),
        holds.c.state == "pending",
        holds.c.expires_ts <= bindparam("ts"),
        holds.c.debit.in_(bindparam("names", expanding=True)),
    )
    .order_by(holds.c.hold_seq)
)
RESOLVE_HOLD = (
    update(holds)
    .where(
        holds.c.ledger == bindparam("b_ledger"),
        holds.c.hold_seq == bindparam("b_hold_seq"),
        holds.c.state == "pending",
    )
    .values(state=bindparam("b_state"), resolved_seq=bindparam("b_resolved_seq"))
)
MOVE_HEAD = (
    update(heads)
    .where(heads.c.ledger == bindparam("b_ledger"), heads.c.size == bindparam("b_old_size"))
    .values(
        size=bindparam("b_size"),
        head_hash=bindparam("b_head_hash"),
        last_ts=bindparam("b_last_ts"),
        frontier=bindparam("b_frontier"),
    )
)
_NEW_BALANCE = accounts.c.balance + bindparam("b_balance_delta", type_=BigInteger)
_NEW_HELD = accounts.c.held + bindparam("b_held_delta", type_=BigInteger)
ADJUST_ACCOUNT = (
    update(accounts)
    .where(
        accounts.c.ledger == bindparam("b_ledger"),
        accounts.c.account == bindparam("b_account"),
        or_(accounts.c.allow_negative, _NEW_BALANCE >= _NEW_HELD),
    )
    .values(balance=_NEW_BALANCE, held=_NEW_HELD)
    .returning(accounts.c.account)
)


def _chunks(items: Sequence[T]) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), CHUNK_ROWS):
        yield items[start : start + CHUNK_ROWS]


async def _connection(session: AsyncSession) -> AsyncConnection:
    return await session.connection()


async def lock_head(session: AsyncSession, ledger: str) -> Head | None:
    """The ledger's head row, locked until the transaction ends."""
    conn = await _connection(session)
    row = (await conn.execute(LOCK_HEAD, {"ledger": ledger})).one_or_none()
    return None if row is None else Head(*row)


async def entries_by_ref(
    session: AsyncSession, ledger: str, refs: Collection[str]
) -> dict[str, Entry]:
    """Existing entries with any of `refs`."""
    conn = await _connection(session)
    found: dict[str, Entry] = {}
    for part in _chunks(sorted(refs)):
        rows = await conn.execute(ENTRIES_BY_REF, {"ledger": ledger, "refs": list(part)})
        for ref, canonical, hash_hex, sig_hex in rows:
            found[ref] = Entry.from_canonical(canonical, hash_hex=hash_hex, sig_hex=sig_hex)
    return found


def _hold_state(row: Any) -> HoldState:
    return HoldState(
        hold_seq=row.hold_seq,
        debit=row.debit,
        credit=row.credit,
        amount=row.amount,
        expires_ts=row.expires_ts,
        state=row.state,
        resolved_seq=row.resolved_seq,
    )


async def load_holds(
    session: AsyncSession, ledger: str, hold_seqs: Collection[int]
) -> dict[int, HoldState]:
    """Holds by seq (any state)."""
    conn = await _connection(session)
    found: dict[int, HoldState] = {}
    for part in _chunks(sorted(hold_seqs)):
        for row in await conn.execute(HOLDS_BY_SEQ, {"ledger": ledger, "seqs": list(part)}):
            found[row.hold_seq] = _hold_state(row)
    return found


async def load_accounts(
    session: AsyncSession, ledger: str, names: Collection[str], ts: str, known: dict[int, HoldState]
) -> dict[str, AccountState]:
    """Accounts by name, each with its overdue pending holds (added to `known` too)."""
    conn = await _connection(session)
    found: dict[str, AccountState] = {}
    with_overdue: list[str] = []
    for part in _chunks(sorted(names)):
        params = {"ledger": ledger, "names": list(part), "ts": ts}
        for account, balance, held, allow_negative, overdue in await conn.execute(
            ACCOUNTS_BY_NAME, params
        ):
            found[account] = AccountState(balance, held, allow_negative)
            if overdue:
                with_overdue.append(account)
    for part in _chunks(with_overdue):
        params = {"ledger": ledger, "names": list(part), "ts": ts}
        for row in await conn.execute(OVERDUE_HOLDS, params):
            hold = known.setdefault(row.hold_seq, _hold_state(row))
            found[row.debit].overdue.append(hold)
    return found


async def write_batch(session: AsyncSession, batch: Batch, old_size: int) -> None:
    """Insert the batch's entries, nodes and holds; apply balances; move the head."""
    if not batch.entries:
        return
    conn = await _connection(session)
    await _insert_rows(conn, entries, [_entry_row(e) for e in batch.entries])
    node_rows = [
        {"ledger": batch.ledger, "level": level, "idx": idx, "hash": digest}
        for (level, idx), digest in batch.nodes
    ]
    await _insert_rows(conn, nodes, node_rows)
    await _write_holds(conn, batch)
    await _apply_balances(conn, batch)
    moved = await conn.execute(
        MOVE_HEAD,
        {
            "b_ledger": batch.ledger,
            "b_old_size": old_size,
            "b_size": batch.size,
            "b_head_hash": batch.head_hash,
            "b_last_ts": batch.ts,
            "b_frontier": batch.frontier.to_bytes(),
        },
    )
    if moved.rowcount != 1:
        raise ConcurrentChangeError(f"head of {batch.ledger} moved while locked")


async def _insert_rows(conn: AsyncConnection, table: Any, rows: Sequence[dict[str, Any]]) -> None:
    for part in _chunks(rows):
        await conn.execute(insert(table), list(part))


def _entry_row(entry: Entry) -> dict[str, Any]:
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


async def _write_holds(conn: AsyncConnection, batch: Batch) -> None:
    new_rows: list[dict[str, Any]] = []
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
            result = await conn.execute(
                RESOLVE_HOLD,
                {
                    "b_ledger": batch.ledger,
                    "b_hold_seq": hold.hold_seq,
                    "b_state": hold.state,
                    "b_resolved_seq": hold.resolved_seq,
                },
            )
            if result.rowcount != 1:
                raise ConcurrentChangeError(f"hold {hold.hold_seq} was resolved concurrently")
    await _insert_rows(conn, holds, new_rows)


async def _apply_balances(conn: AsyncConnection, batch: Batch) -> None:
    deltas = [
        (name, state.balance_delta, state.held_delta)
        for name, state in batch.accounts.items()
        if state.balance_delta or state.held_delta
    ]
    if len(deltas) <= SINGLE_UPDATE_ACCOUNTS:
        for account, balance_delta, held_delta in deltas:
            params = {
                "b_ledger": batch.ledger,
                "b_account": account,
                "b_balance_delta": balance_delta,
                "b_held_delta": held_delta,
            }
            if (await conn.execute(ADJUST_ACCOUNT, params)).one_or_none() is None:
                raise ConcurrentChangeError(f"balance of {account} changed while locked")
        return
    for part in _chunks(deltas):
        updated = (await conn.execute(_adjust_many(batch.ledger, part))).scalars().all()
        if len(updated) != len(part):
            raise ConcurrentChangeError(f"balances of {batch.ledger} changed while locked")


def _adjust_many(ledger: str, deltas: Sequence[tuple[str, int, int]]) -> Any:
    # A CTE rather than an inline VALUES list: SQLite cannot alias VALUES columns in FROM.
    changes = (
        values(
            sql_column("account", String),
            sql_column("balance_delta", BigInteger),
            sql_column("held_delta", BigInteger),
            name="changes",
        )
        .data(list(deltas))
        .cte("changes")
    )
    new_balance = accounts.c.balance + changes.c.balance_delta
    new_held = accounts.c.held + changes.c.held_delta
    return (
        update(accounts)
        .where(
            accounts.c.ledger == ledger,
            accounts.c.account == changes.c.account,
            or_(accounts.c.allow_negative, new_balance >= new_held),
        )
        .values(balance=new_balance, held=new_held)
        .returning(accounts.c.account)
    )
