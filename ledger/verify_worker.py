"""What a `verify` worker process runs: read one chunk through the bare driver, scan it.

Workers talk to the database through asyncpg or sqlite3 directly, not through SQLAlchemy:
measured on PostgreSQL, SQLAlchemy rows cost about 3 us more client CPU per entry than
asyncpg's records (a few percent of a full scan), and importing SQLAlchemy and the models
adds about a second to each pool start. So this module imports only the scanner and a
driver, and the coordinator hands it a `Source` made from the database URL.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from ledger.verify_core import ChunkResult, ChunkTask, scan

_FULL_COLUMNS = "seq, ref, kind, debit, credit, amount, ts, key_id, hash, sig, canonical"
_FAST_COLUMNS = "seq, hash, canonical"
# The predecessor (seq lo - 1) is read too: it links the chunk to the one before.
_RANGE = "FROM ledger_entries WHERE ledger = {} AND seq >= {} AND seq <= {} ORDER BY seq"
PG_FULL = f"SELECT {_FULL_COLUMNS} {_RANGE.format('$1', '$2', '$3')}"
PG_FAST = f"SELECT {_FAST_COLUMNS} {_RANGE.format('$1', '$2', '$3')}"
SQLITE_FULL = f"SELECT {_FULL_COLUMNS} {_RANGE.format('?', '?', '?')}"
SQLITE_FAST = f"SELECT {_FAST_COLUMNS} {_RANGE.format('?', '?', '?')}"


CONNECT_ATTEMPTS = 8
CONNECT_BACKOFF_SECONDS = 0.1  # doubling after each refusal, up to the cap
CONNECT_BACKOFF_CAP_SECONDS = 5.0


@dataclass(frozen=True)
class Source:
    """Where a worker reads entries: an asyncpg DSN, or the path of a SQLite file."""

    backend: str  # "postgresql" or "sqlite"
    address: str


def chunk_query(backend: str, *, fast: bool) -> str:
    """The statement that reads a chunk's rows, in the driver's parameter style."""
    if backend == "postgresql":
        return PG_FAST if fast else PG_FULL
    return SQLITE_FAST if fast else SQLITE_FULL


def fetch_and_scan(source: Source, task: ChunkTask) -> ChunkResult:
    """A worker's job: read the chunk with a connection of its own, then scan it.

    The connection lives for one chunk: opening it costs milliseconds against a second or
    more of scanning, and nothing is left open when the pool's processes exit.
    """
    if source.backend == "postgresql":
        rows = asyncio.run(_postgresql_rows(source.address, task))
    else:
        rows = _sqlite_rows(source.address, task)
    return scan(task, rows)


async def _postgresql_rows(dsn: str, task: ChunkTask) -> Sequence[Any]:
    for attempt in range(CONNECT_ATTEMPTS):
        try:
            connection = await asyncpg.connect(dsn)
            break
        except (asyncpg.TooManyConnectionsError, asyncpg.CannotConnectNowError):
            # A busy server refuses a connection now and then; one refusal should not end
            # a verification that has run for minutes.
            if attempt == CONNECT_ATTEMPTS - 1:
                raise
            await asyncio.sleep(
                min(CONNECT_BACKOFF_SECONDS * 2**attempt, CONNECT_BACKOFF_CAP_SECONDS)
            )
    try:
        query = chunk_query("postgresql", fast=task.fast)
        rows: Sequence[Any] = await connection.fetch(query, task.ledger, task.lo - 1, task.hi)
        return rows
    finally:
        await connection.close()


def _sqlite_rows(path: str, task: ChunkTask) -> list[Any]:
    # Read-only: a reader in WAL mode neither takes nor waits for the write lock.
    connection = sqlite3.connect(f"{Path(path).as_uri()}?mode=ro", uri=True)
    try:
        query = chunk_query("sqlite", fast=task.fast)
        return connection.execute(query, (task.ledger, task.lo - 1, task.hi)).fetchall()
    finally:
        connection.close()
