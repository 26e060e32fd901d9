"""Reading and writing the ledger's tables for one batch of operations.

The chain is serialised by locking the ledger's head row (SELECT ... FOR UPDATE on
PostgreSQL; on SQLite the connection already holds the database's write lock from BEGIN
IMMEDIATE). Every change to a ledger's entries, balances or holds happens under that lock.
Balances change by UPDATEs that add the batch's net deltas only where the result keeps
`balance >= held` (or the account may go negative), and the table's CHECK constraint refuses
anything else; a mismatch aborts the transaction.

A batch reads everything it needs (entries by ref, holds, accounts with their overdue holds)
in the statement that takes the lock, and uses that read when it is known to be as fresh as
the lock (see `lock_head`); otherwise, which is what waiting for the lock usually means, in
one statement after it. Then the engine works in memory, and `store_write` writes in one
statement. Round trips and client CPU spent while the lock is held bound a ledger's
throughput, hence the effort: on PostgreSQL, an uncontended append is BEGIN, lock-and-read,
write, COMMIT.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    LargeBinary,
    String,
    bindparam,
    cast,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from ledger.engine import AccountState, HoldState
from ledger.sql import AnySelect, Prebuilt, Runner, Statement, for_each
from ledger.store_write import ConcurrentChangeError, write_batch
from ledger.tables import accounts, entries, heads, holds
from ledger.types import Entry

__all__ = [
    "ConcurrentChangeError",
    "Head",
    "Loaded",
    "Wanted",
    "load",
    "lock_head",
    "read_accounts",
    "write_batch",
]


@dataclass(frozen=True)
class Loaded:
    """What a batch reads under the lock."""

    existing: dict[str, Entry]
    accounts: dict[str, AccountState]
    holds: dict[int, HoldState]


@dataclass(frozen=True)
class Wanted:
    """What a batch needs read: entries by ref, holds by seq, accounts by name (with their
    pending holds overdue at `ts`)."""

    refs: Collection[str]
    hold_seqs: Collection[int]
    names: Collection[str]
    ts: str


@dataclass(frozen=True)
class Head:
    """The chain's tip as read under the lock, with what `lock_head` read along with it
    when that is known to be as fresh as the lock (else `loaded` is None)."""

    size: int
    head_hash: str
    last_ts: str
    key_id: str
    frontier: bytes
    loaded: Loaded | None = None


_HEAD_COLUMNS = (heads.c.size, heads.c.head_hash, heads.c.last_ts, heads.c.key_id, heads.c.frontier)
LOCK_HEAD = select(*_HEAD_COLUMNS).where(heads.c.ledger == bindparam("ledger")).with_for_update()


async def lock_head(
    session: AsyncSession, ledger: str, wanted: Wanted | None = None
) -> Head | None:
    """The ledger's head row, locked until the transaction ends; with `wanted`, read too.

    The lock and the read are one statement, whose snapshot is taken when it starts, before
    the lock may have had to wait. The statement also reads the head row as its snapshot
    sees it: when that shows the size the lock returned, no append committed between the
    snapshot and the lock (every change to entries, balances and holds moves the head, under
    this lock), so the read is as fresh as a read after the lock. Otherwise, which is what
    waiting for the lock usually means, the read is discarded and `load` must follow.
    """
    if wanted is None:
        conn = await session.connection()
        row = (await conn.execute(LOCK_HEAD, {"ledger": ledger})).one_or_none()
        return None if row is None else Head(*row)
    runner = await Runner.open(session)
    rows = await runner.rows(LOCK_AND_READ, _params(ledger, wanted))
    locked = [r for r in rows if r[0] == _LOCKED]
    if not locked:
        return None
    [(_, head_hash, last_ts, key_id, _, size, _, _, frontier, _)] = locked
    seen_size = next((r[5] for r in rows if r[0] == _SEEN), None)
    loaded = None
    if _fresh(seen_size, size):
        loaded = Loaded({}, {}, {})
        _take(loaded, rows)
        await _complete(runner, ledger, wanted, loaded)
    return Head(size, head_hash, last_ts, key_id, frontier, loaded)


def _fresh(seen_size: int | None, locked_size: int) -> bool:
    """Whether a read whose snapshot saw the head at `seen_size` is as fresh as the lock."""
    return seen_size == locked_size


async def load(session: AsyncSession, ledger: str, wanted: Wanted) -> Loaded:
    """Entries with the refs wanted, holds by seq, and the accounts named or in those
    holds, each account with its pending holds overdue at `wanted.ts` (oldest first).

    Run it after `lock_head`, in the same transaction. One statement, unless holds name
    accounts not in `names` (resolutions, and overdue holds that a spend would expire):
    those take one more.
    """
    runner = await Runner.open(session)
    loaded = Loaded({}, {}, {})
    _take(loaded, await runner.rows(READ, _params(ledger, wanted)))
    await _complete(runner, ledger, wanted, loaded)
    return loaded


async def read_accounts(
    conn: AsyncConnection, driver: Any, ledger: str, names: Collection[str], ts: str
) -> dict[str, AccountState]:
    """The accounts named that exist, read on `driver`, the asyncpg connection of `conn`,
    which needs no transaction open (PostgreSQL only)."""
    params = _params(ledger, Wanted(refs=(), hold_seqs=(), names=sorted(names), ts=ts))
    loaded = Loaded({}, {}, {})
    _take(loaded, await READ.fetch(conn, driver, params))
    return loaded.accounts


def _params(ledger: str, wanted: Wanted) -> dict[str, Any]:
    return {
        "ledger": ledger,
        "refs": list(wanted.refs),
        "hold_seqs": list(wanted.hold_seqs),
        "names": list(wanted.names),
        "ts": wanted.ts,
    }


async def _complete(runner: Runner, ledger: str, wanted: Wanted, loaded: Loaded) -> None:
    """Read the accounts of the holds read that were not named; attach overdue holds."""
    asked = set(wanted.names)
    while True:
        held = {h.debit for h in loaded.holds.values()} | {h.credit for h in loaded.holds.values()}
        missing = held - asked
        if not missing:
            break
        more = Wanted(refs=(), hold_seqs=(), names=sorted(missing), ts=wanted.ts)
        _take(loaded, await runner.rows(READ, _params(ledger, more)))
        asked |= missing
    for seq in sorted(loaded.holds):
        hold = loaded.holds[seq]
        account = loaded.accounts.get(hold.debit)
        if account is not None and hold.state == "pending" and hold.expires_ts <= wanted.ts:
            account.overdue.append(hold)


def _take(loaded: Loaded, rows: Sequence[Sequence[Any]]) -> None:
    for kind, t1, t2, t3, t4, i1, i2, i3, data, flag in rows:
        if kind == _ENTRY:
            loaded.existing[t1] = Entry.from_canonical(data, hash_hex=t2, sig_hex=t3)
        elif kind == _HOLD:  # a hold may come twice: asked for, and overdue
            if i1 not in loaded.holds:
                hold = HoldState(i1, debit=t1, credit=t2, amount=i2, expires_ts=t3, state=t4)
                hold.resolved_seq = i3
                loaded.holds[i1] = hold
        elif kind == _ACCOUNT:
            loaded.accounts[t1] = AccountState(i1, i2, bool(flag))


# The reads return rows of one shape for several kinds of thing, told apart by the first
# column: (kind, text x4, integer x3, bytes, flag).
_ENTRY, _HOLD, _ACCOUNT, _LOCKED, _SEEN = "e", "h", "a", "l", "s"
_ROW_LABELS = ("kind", "t1", "t2", "t3", "t4", "i1", "i2", "i3", "data", "flag")
_TEXT, _INTEGER = cast(null(), String), cast(null(), BigInteger)
_DATA, _FLAG = cast(null(), LargeBinary), cast(null(), Boolean)


def _row(kind: str, *columns: Any) -> AnySelect:
    """A SELECT of the row shape's columns, led by the kind."""
    labelled = zip((literal_column(f"'{kind}'"), *columns), _ROW_LABELS, strict=True)
    return select(*(c.label(name) for c, name in labelled))


def _reads(dialect: str) -> list[AnySelect]:
    """The parts of the read: entries by ref, holds by seq, overdue holds, accounts."""
    ledger = bindparam("ledger", type_=String)
    entry = (entries.c.ref, entries.c.hash, entries.c.sig, _TEXT, _INTEGER, _INTEGER, _INTEGER)
    hold = (
        *(holds.c.debit, holds.c.credit, holds.c.expires_ts, holds.c.state),
        *(holds.c.hold_seq, holds.c.amount, holds.c.resolved_seq),
    )
    account = (accounts.c.account, _TEXT, _TEXT, _TEXT, accounts.c.balance, accounts.c.held)
    by_ref = for_each(
        "refs",
        String(),
        dialect,
        lambda match: _row(_ENTRY, *entry, entries.c.canonical, _FLAG).where(
            entries.c.ledger == ledger, match(entries.c.ref)
        ),
    )
    by_seq = for_each(
        "hold_seqs",
        BigInteger(),
        dialect,
        lambda match: _row(_HOLD, *hold, _DATA, _FLAG).where(
            holds.c.ledger == ledger, match(holds.c.hold_seq)
        ),
    )
    overdue = for_each(
        "names",
        String(),
        dialect,
        lambda match: _row(_HOLD, *hold, _DATA, _FLAG).where(
            holds.c.ledger == ledger,
            match(holds.c.debit),
            holds.c.state == literal_column("'pending'"),
            holds.c.expires_ts <= bindparam("ts", type_=String),
        ),
    )
    by_name = for_each(
        "names",
        String(),
        dialect,
        lambda match: _row(_ACCOUNT, *account, _INTEGER, _DATA, accounts.c.allow_negative).where(
            accounts.c.ledger == ledger, match(accounts.c.account)
        ),
    )
    return [by_ref, by_seq, overdue, by_name]


def _read_statement(dialect: str) -> Statement:
    return union_all(*_reads(dialect))


def _lock_and_read_statement(dialect: str) -> Statement:
    ledger = bindparam("ledger", type_=String)
    head = (heads.c.head_hash, heads.c.last_ts, heads.c.key_id, _TEXT, heads.c.size)
    row = _row(_LOCKED, *head, _INTEGER, _INTEGER, heads.c.frontier, _FLAG)
    locked = row.where(heads.c.ledger == ledger).with_for_update().cte("locked")
    seen = (_TEXT, _TEXT, _TEXT, _TEXT, heads.c.size, _INTEGER, _INTEGER, _DATA, _FLAG)
    return union_all(
        select(*locked.c),
        _row(_SEEN, *seen).where(heads.c.ledger == ledger),
        *_reads(dialect),
    )


READ = Prebuilt(_read_statement)
LOCK_AND_READ = Prebuilt(_lock_and_read_statement)
