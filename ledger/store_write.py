"""Writing what a batch produced: entries, Merkle nodes, holds, balances, the head.

On PostgreSQL the write is one statement of data-modifying CTEs over arrays (one array
parameter per column, so the statement's text never depends on the batch's size). SQLite has
no data-modifying CTEs, so there the same rows go in one statement per table. Either way the
balance UPDATEs add the batch's net deltas only where the result keeps `balance >= held` (or
the account may go negative), the head moves only from the size that was locked, and any
disagreement aborts the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    LargeBinary,
    String,
    Table,
    and_,
    any_,
    bindparam,
    case,
    cast,
    exists,
    func,
    insert,
    literal_column,
    not_,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from ledger.engine import Batch
from ledger.sql import POSTGRESQL, Prebuilt, Runner, Statement
from ledger.tables import accounts, entries, heads, holds, nodes


class ConcurrentChangeError(RuntimeError):
    """The database disagreed with what the batch read under the head lock."""


@dataclass(frozen=True)
class _Rows:
    """Rows for one table: tuples in the order of `columns`."""

    name: str
    columns: tuple[str, ...]
    values: list[tuple[Any, ...]]

    def arrays(self) -> dict[str, list[Any]]:
        """One array parameter per column, as the PostgreSQL write takes them."""
        by_column = zip(*self.values, strict=True) if self.values else [()] * len(self.columns)
        return {f"{self.name}_{c}": list(v) for c, v in zip(self.columns, by_column, strict=True)}

    def dicts(self, prefix: str, **common: Any) -> list[dict[str, Any]]:
        """One parameter set per row, keys prefixed, as an executemany takes them."""
        keys = [prefix + c for c in self.columns]
        return [{**common, **dict(zip(keys, row, strict=True))} for row in self.values]


_ENTRY_COLUMNS = (
    *("seq", "ref", "kind", "debit", "credit", "amount", "ts", "key_id", "hash", "sig"),
    "canonical",
)
_NODE_COLUMNS = ("level", "idx", "hash")
_HOLD_COLUMNS = ("hold_seq", "debit", "credit", "amount", "expires_ts", "state", "resolved_seq")
_RESOLVED_COLUMNS = ("hold_seq", "state", "resolved_seq")
_DELTA_COLUMNS = ("account", "balance_delta", "held_delta")


@dataclass(frozen=True)
class _Writes:
    entries: _Rows
    nodes: _Rows
    new_holds: _Rows
    resolved: _Rows
    deltas: _Rows
    head: dict[str, Any]


def _writes(batch: Batch, old_size: int) -> _Writes:
    new_holds, resolved = [], []
    for h in batch.holds.values():
        if h.is_new:
            new_holds.append(
                (h.hold_seq, h.debit, h.credit, h.amount, h.expires_ts, h.state, h.resolved_seq)
            )
        elif h.resolved_now:
            resolved.append((h.hold_seq, h.state, h.resolved_seq))
    deltas = [
        (name, state.balance_delta, state.held_delta)
        for name, state in batch.accounts.items()
        if state.balance_delta or state.held_delta
    ]
    entry_rows = [
        (e.seq, e.ref, e.kind, e.debit, e.credit, e.amount, e.ts, e.key, e.hash, e.sig, e.canonical)
        for e in batch.entries
    ]
    node_rows = [(level, idx, digest) for (level, idx), digest in batch.nodes]
    return _Writes(
        entries=_Rows("entries", _ENTRY_COLUMNS, entry_rows),
        nodes=_Rows("nodes", _NODE_COLUMNS, node_rows),
        new_holds=_Rows("holds", _HOLD_COLUMNS, new_holds),
        resolved=_Rows("resolved", _RESOLVED_COLUMNS, resolved),
        deltas=_Rows("deltas", _DELTA_COLUMNS, deltas),
        head={
            "b_ledger": batch.ledger,
            "b_old_size": old_size,
            "b_size": batch.size,
            "b_head_hash": batch.head_hash,
            "b_last_ts": batch.ts,
            "b_frontier": batch.frontier.to_bytes(),
        },
    )


async def write_batch(session: AsyncSession, batch: Batch, old_size: int) -> None:
    """Insert the batch's entries, nodes and holds; apply balances; move the head."""
    if not batch.entries:
        return
    writes = _writes(batch, old_size)
    runner = await Runner.open(session)
    if runner.postgresql:
        params = dict(writes.head)
        for rows in (writes.entries, writes.nodes, writes.new_holds, writes.resolved):
            params.update(rows.arrays())
        params.update(writes.deltas.arrays())
        [(resolved, adjusted, moved)] = await runner.rows(WRITE, params)
    else:
        resolved, adjusted, moved = await _write_each(runner, writes)
    if resolved != len(writes.resolved.values):
        raise ConcurrentChangeError(f"holds of {batch.ledger} were resolved concurrently")
    if adjusted != len(writes.deltas.values):
        raise ConcurrentChangeError(f"balances of {batch.ledger} changed while locked")
    if moved != 1:
        raise ConcurrentChangeError(f"head of {batch.ledger} moved while locked")


async def write_gated(
    conn: AsyncConnection, driver: Any, batch: Batch, *, old_size: int, old_hash: str, key_id: str
) -> bool:
    """Write the batch with `GATED_WRITE` on `driver`, the asyncpg connection of `conn`, with
    no transaction open: one round trip, committed when it returns. False if the head was
    no longer at `old_size`, `old_hash` and `key_id`; nothing was written then."""
    writes = _writes(batch, old_size)
    params: dict[str, Any] = {
        **writes.head,
        "b_old_hash": old_hash,
        "b_key_id": key_id,
        "b_resolved_count": len(writes.resolved.values),
        "b_adjusted_count": len(writes.deltas.values),
    }
    for rows in (writes.entries, writes.nodes, writes.new_holds, writes.resolved, writes.deltas):
        params.update(rows.arrays())
    [row] = await GATED_WRITE.fetch(conn, driver, params)
    return bool(row[-1])


# Parameters of the UPDATEs carry a prefix: SQLAlchemy reserves column names for SET values.
_LEDGER = bindparam("b_ledger", type_=String)
MOVE_HEAD = (
    update(heads)
    .where(heads.c.ledger == _LEDGER, heads.c.size == bindparam("b_old_size", type_=BigInteger))
    .values(
        size=bindparam("b_size", type_=BigInteger),
        head_hash=bindparam("b_head_hash", type_=String),
        last_ts=bindparam("b_last_ts", type_=String),
        frontier=bindparam("b_frontier", type_=LargeBinary),
    )
)


def _arrays(rows_name: str, table: Table, columns: Sequence[str]) -> dict[str, Any]:
    """One array parameter per column, by column."""
    types = [BigInteger() if c.endswith("_delta") else table.c[c].type for c in columns]
    return {
        c: bindparam(f"{rows_name}_{c}", type_=ARRAY(t))
        for c, t in zip(columns, types, strict=True)
    }


def _unnest(rows_name: str, arrays: dict[str, Any]) -> Any:
    """The FROM item of rows passed as one array parameter per column."""
    return func.unnest(*arrays.values()).table_valued(*arrays).render_derived(name=rows_name)


def _insert_cte(rows_name: str, table: Table, columns: Sequence[str], gate: Any) -> Any:
    rows = _unnest(rows_name, _arrays(rows_name, table, columns))
    source = select(_LEDGER, *rows.c).where(gate)
    return insert(table).from_select(["ledger", *columns], source).cte()


def _count(cte: Any) -> Any:
    return select(func.count()).select_from(cte).scalar_subquery()


def _write_statement(dialect: str, *, gated: bool = False) -> Statement:
    """PostgreSQL: the whole write as one statement. Its parts see one snapshot and touch
    disjoint rows (new holds are inserted in their final state; only older ones update).
    The UPDATEs name their keys with `= ANY(array)` as well as joining the new values, so
    that they are planned as index probes, never as a scan of the ledger's rows.

    `gated` (see `sequencer`): the caller holds no lock. The statement first locks the head
    row if it is still exactly the one the batch was computed from (size, hash and signing
    key), and changes nothing otherwise (the counts are then all zero). Balances are left
    to the table's CHECK constraint, and the statement fails if it changed any other number
    of rows than it was given, so that, run outside a transaction, it commits all or nothing.
    """
    assert dialect == POSTGRESQL, dialect
    gate: Any = true()
    if gated:
        locked = (
            select(heads.c.size)
            .where(
                heads.c.ledger == _LEDGER,
                heads.c.size == bindparam("b_old_size", type_=BigInteger),
                heads.c.head_hash == bindparam("b_old_hash", type_=String),
                heads.c.key_id == bindparam("b_key_id", type_=String),
            )
            .with_for_update()
            .cte("locked")
        )
        gate = exists(select(literal_column("1")).select_from(locked))
    inserted = [
        _insert_cte("entries", entries, _ENTRY_COLUMNS, gate),
        _insert_cte("nodes", nodes, _NODE_COLUMNS, gate),
        _insert_cte("holds", holds, _HOLD_COLUMNS, gate),
    ]
    arrays = _arrays("resolved", holds, _RESOLVED_COLUMNS)
    done = _unnest("resolved", arrays)
    resolved = (
        update(holds)
        .where(
            gate,
            holds.c.ledger == _LEDGER,
            holds.c.hold_seq == any_(arrays["hold_seq"]),
            holds.c.hold_seq == done.c.hold_seq,
            holds.c.state == literal_column("'pending'"),
        )
        .values(state=done.c.state, resolved_seq=done.c.resolved_seq)
        .returning(holds.c.hold_seq)
        .cte("resolved_holds")
    )
    arrays = _arrays("deltas", accounts, _DELTA_COLUMNS)
    deltas = _unnest("deltas", arrays)
    new_balance = accounts.c.balance + deltas.c.balance_delta
    new_held = accounts.c.held + deltas.c.held_delta
    funded = true() if gated else or_(accounts.c.allow_negative, new_balance >= new_held)
    adjusted = (
        update(accounts)
        .where(
            gate,
            accounts.c.ledger == _LEDGER,
            accounts.c.account == any_(arrays["account"]),
            accounts.c.account == deltas.c.account,
            funded,
        )
        .values(balance=new_balance, held=new_held)
        .returning(accounts.c.account)
        .cte("adjusted")
    )
    moved = MOVE_HEAD.where(gate).returning(heads.c.size).cte("moved")
    counts = [_count(resolved), _count(adjusted), _count(moved)]
    if not gated:
        return select(*counts).add_cte(*inserted)
    expected = and_(
        counts[0] == bindparam("b_resolved_count", type_=BigInteger),
        counts[1] == bindparam("b_adjusted_count", type_=BigInteger),
        counts[2] == literal_column("1"),
    )
    # A failed cast is how a plain statement raises: the message carries the counts.
    disagreed = cast(
        literal_column("'ledger write disagreed: '") + cast(counts[1], String),
        Integer,
    )
    verdict = case(
        (not_(gate), literal_column("0")), (expected, literal_column("1")), else_=disagreed
    )
    return select(*counts, verdict).add_cte(*inserted)


WRITE = Prebuilt(_write_statement)
GATED_WRITE = Prebuilt(lambda dialect: _write_statement(dialect, gated=True))

# SQLite: the same rows, one statement per table.
RESOLVE_HOLD = (
    update(holds)
    .where(
        holds.c.ledger == _LEDGER,
        holds.c.hold_seq == bindparam("b_hold_seq"),
        holds.c.state == "pending",
    )
    .values(state=bindparam("b_state"), resolved_seq=bindparam("b_resolved_seq"))
)
_NEW_BALANCE = accounts.c.balance + bindparam("b_balance_delta", type_=BigInteger)
_NEW_HELD = accounts.c.held + bindparam("b_held_delta", type_=BigInteger)
ADJUST_ACCOUNT = (
    update(accounts)
    .where(
        accounts.c.ledger == _LEDGER,
        accounts.c.account == bindparam("b_account"),
        or_(accounts.c.allow_negative, _NEW_BALANCE >= _NEW_HELD),
    )
    .values(balance=_NEW_BALANCE, held=_NEW_HELD)
)


async def _write_each(runner: Runner, writes: _Writes) -> tuple[int, int, int]:
    """SQLite: write statement by statement; return the counts of resolved holds, adjusted
    accounts and moved heads."""
    conn, ledger = runner.conn, writes.head["b_ledger"]
    for table, rows in ((entries, writes.entries), (nodes, writes.nodes)):
        await conn.execute(insert(table), rows.dicts("", ledger=ledger))
    if writes.new_holds.values:
        await conn.execute(insert(holds), writes.new_holds.dicts("", ledger=ledger))
    counts = []
    for statement, rows in ((RESOLVE_HOLD, writes.resolved), (ADJUST_ACCOUNT, writes.deltas)):
        changed = 0
        # One at a time: a driver need not sum the rowcounts of an executemany.
        for params in rows.dicts("b_", b_ledger=ledger):
            changed += (await conn.execute(statement, params)).rowcount
        counts.append(changed)
    moved = (await conn.execute(MOVE_HEAD, writes.head)).rowcount
    return counts[0], counts[1], moved
