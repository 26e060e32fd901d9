"""Reads for `verify`: one consistent snapshot of the ledger's small state, then entry chunks.

Entries, checkpoints and nodes up to the head's size never change once written, so only the
head, keys, checkpoints, balances and holds need one snapshot (a REPEATABLE READ transaction
on PostgreSQL; on SQLite the engine's BEGIN IMMEDIATE gives the same). Chunks of entries are
read afterwards, by the coordinator or by each worker process over a connection of its own
(`ledger.verify_worker`), and a live ledger may keep growing meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel import col

from ledger.keyring import LEDGER_PURPOSE
from ledger.models import (
    LedgerAccount,
    LedgerCheckpoint,
    LedgerEntry,
    LedgerHead,
    LedgerHold,
    LedgerNode,
    SigningKey,
)
from ledger.verify_worker import Source, chunk_query


@dataclass(frozen=True)
class HeadRow:
    """The ledger's head row."""

    size: int
    head_hash: str
    last_ts: str
    key_id: str
    frontier: bytes


@dataclass(frozen=True)
class KeyRow:
    """A ledger signing key."""

    key_id: str
    public_key: bytes
    from_seq: int | None


@dataclass(frozen=True)
class CheckpointRow:
    """A stored checkpoint."""

    size: int
    root: str
    ts: str
    key_id: str
    sig: str
    canonical: bytes


@dataclass(frozen=True)
class AccountRow:
    """A stored balance."""

    account: str
    balance: int
    held: int
    allow_negative: bool


@dataclass(frozen=True)
class HoldRow:
    """A stored hold."""

    hold_seq: int
    debit: str
    credit: str
    amount: int
    expires_ts: str
    state: str
    resolved_seq: int | None


@dataclass
class Snapshot:
    """The ledger's head and derived state as of one moment; entries are read later."""

    head: HeadRow
    keys: list[KeyRow]
    checkpoints: list[CheckpointRow]
    lowest_seq: int | None
    highest_seq: int | None
    accounts: list[AccountRow] = field(default_factory=list)
    holds: list[HoldRow] = field(default_factory=list)


async def ledger_ids(engine: AsyncEngine) -> list[str]:
    """Every ledger with a head row, in order."""
    async with engine.connect() as conn:
        statement = sa_select(col(LedgerHead.ledger)).order_by(col(LedgerHead.ledger))
        return list((await conn.execute(statement)).scalars())


async def read_snapshot(engine: AsyncEngine, ledger: str, *, full: bool) -> Snapshot | None:
    """The head, keys, checkpoints (and in full mode balances and holds) in one snapshot."""
    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execution_options(isolation_level="REPEATABLE READ")
        head = await _head(conn, ledger)
        if head is None:
            return None
        lowest, highest = (
            await conn.execute(
                sa_select(func.min(col(LedgerEntry.seq)), func.max(col(LedgerEntry.seq))).where(
                    col(LedgerEntry.ledger) == ledger
                )
            )
        ).one()
        snapshot = Snapshot(
            head=head,
            keys=await _rows(conn, KeyRow, _keys_query(ledger)),
            checkpoints=await _rows(conn, CheckpointRow, _checkpoints_query(ledger)),
            lowest_seq=lowest,
            highest_seq=highest,
        )
        if full:
            snapshot.accounts = await _rows(conn, AccountRow, _accounts_query(ledger))
            snapshot.holds = await _rows(conn, HoldRow, _holds_query(ledger))
        return snapshot


async def _head(conn: AsyncConnection, ledger: str) -> HeadRow | None:
    statement = sa_select(
        col(LedgerHead.size),
        col(LedgerHead.head_hash),
        col(LedgerHead.last_ts),
        col(LedgerHead.key_id),
        col(LedgerHead.frontier),
    ).where(col(LedgerHead.ledger) == ledger)
    row = (await conn.execute(statement)).one_or_none()
    return None if row is None else HeadRow(*row)


async def _rows(conn: AsyncConnection, kind: type[Any], statement: Any) -> list[Any]:
    return [kind(*row) for row in await conn.execute(statement)]


def _keys_query(ledger: str) -> Any:
    return (
        sa_select(col(SigningKey.key_id), col(SigningKey.public_key), col(SigningKey.from_seq))
        .where(col(SigningKey.scope) == ledger, col(SigningKey.purpose) == LEDGER_PURPOSE)
        .order_by(col(SigningKey.from_seq), col(SigningKey.created_ts), col(SigningKey.key_id))
    )


def _checkpoints_query(ledger: str) -> Any:
    c = LedgerCheckpoint
    return (
        sa_select(col(c.size), col(c.root), col(c.ts), col(c.key_id), col(c.sig), col(c.canonical))
        .where(col(c.ledger) == ledger)
        .order_by(col(c.size))
    )


def _accounts_query(ledger: str) -> Any:
    a = LedgerAccount
    return (
        sa_select(col(a.account), col(a.balance), col(a.held), col(a.allow_negative))
        .where(col(a.ledger) == ledger)
        .order_by(col(a.account))
    )


def _holds_query(ledger: str) -> Any:
    h = LedgerHold
    columns = (h.hold_seq, h.debit, h.credit, h.amount, h.expires_ts, h.state, h.resolved_seq)
    return (
        sa_select(*(col(c) for c in columns))
        .where(col(h.ledger) == ledger)
        .order_by(col(h.hold_seq))
    )


def source_for(database_url: str) -> Source | None:
    """How worker processes reach the database; None when they cannot (in-memory SQLite)."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        return Source("postgresql", dsn)
    if url.database and url.database != ":memory:":
        # Absolute, so that workers find the file whatever their working directory.
        return Source("sqlite", str(Path(url.database).resolve()))
    return None


async def fetch_chunk(conn: AsyncConnection, ledger: str, lo: int, hi: int, *, fast: bool) -> Any:
    """Rows of seqs [lo - 1, hi] in seq order (the predecessor links the chunk in).

    On PostgreSQL through asyncpg itself, whose records cost a third of SQLAlchemy rows.
    """
    if conn.dialect.name == "postgresql":
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None
        return await driver.fetch(chunk_query("postgresql", fast=fast), ledger, lo - 1, hi)
    query = chunk_query("sqlite", fast=fast)
    return (await conn.exec_driver_sql(query, (ledger, lo - 1, hi))).all()


async def fetch_canonicals(
    conn: AsyncConnection, ledger: str, lo: int, hi: int
) -> dict[int, bytes]:
    """Canonical bytes of the stored entries with seqs in [lo, hi]."""
    statement = sa_select(col(LedgerEntry.seq), col(LedgerEntry.canonical)).where(
        col(LedgerEntry.ledger) == ledger,
        col(LedgerEntry.seq) >= lo,
        col(LedgerEntry.seq) <= hi,
    )
    return dict((await conn.execute(statement)).all())


async def fetch_leaves(conn: AsyncConnection, ledger: str, size: int) -> list[bytes] | None:
    """The stored level-0 nodes (leaf hashes) 0..size-1, or None if any is missing."""
    statement = (
        sa_select(col(LedgerNode.idx), col(LedgerNode.hash))
        .where(
            col(LedgerNode.ledger) == ledger,
            col(LedgerNode.level) == 0,
            col(LedgerNode.idx) < size,
        )
        .order_by(col(LedgerNode.idx))
    )
    leaves: list[bytes] = []
    for idx, digest in await conn.execute(statement):
        if idx != len(leaves):
            return None
        leaves.append(digest)
    return leaves if len(leaves) == size else None
