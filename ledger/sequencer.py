"""Group commit's fast path on PostgreSQL: a writer that remembers the chain between batches.

A group committer's writer is usually the only one appending to its ledger. It then knows,
after each of its batches, the chain's head and the standing of the accounts it touched,
without reading them again. The next batch is computed from that memory and written by one
statement sent outside any transaction: one round trip, committed when it returns.

That statement first locks the head row if it is still exactly the one remembered (size,
hash and signing key) and writes nothing otherwise. Any other writer moves the head or
changes its key: another process, a use case appending in its own transaction, a key
rotation. The batch is then done the careful way (`service.execute_with_state`: lock, read,
write, commit), and memory is rebuilt from what that batch saw under the lock.

The fast path's connection plans its statements once (`plan_cache_mode =
force_generic_plan`, for that connection only): planning the write anew each time, as the
pool's connections do, costs about a third of a small batch's round trip. A generic plan
does not know how many rows a batch has, so batches above `MAX_FAST_POSTINGS` go the careful
way, where the plan fits the batch; large batches share that cost among many postings.

What memory cannot decide also goes the careful way: any refusal, any replayed ref, and
so any spend that would need overdue holds expired first. Refs are taken to be new; the
unique index on refs refuses a repeated one, which aborts the statement. The database still
checks everything the fast path assumed: balances by their CHECK constraint, refs by the
unique index, and the statement fails unless it changed exactly the rows it was given.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from ledger import errors, service, store
from ledger.canonical import format_ts
from ledger.engine import AccountState, Batch, Transfer
from ledger.keys import KeyStore
from ledger.merkle import CompactRange
from ledger.sql import POSTGRESQL
from ledger.store_write import write_gated
from ledger.types import Appended, Posting

logger = logging.getLogger(__name__)

MAX_FAST_POSTINGS = 64
# Accounts remembered at most; past that memory starts again from what batches read.
MAX_REMEMBERED_ACCOUNTS = 100_000

Outcome = Appended | errors.Refusal


@dataclass
class _Memory:
    """The chain as this writer's last batch left it, and accounts as they stood then."""

    size: int
    head_hash: str
    frontier: bytes
    ts: str
    key_id: str
    accounts: dict[str, AccountState]

    @classmethod
    def after(cls, batch: Batch, known: dict[str, AccountState] | None = None) -> _Memory:
        """What the writer knows once `batch` committed; `known`: accounts known before it
        that are still as they were (no one else wrote in between)."""
        accounts = dict(known or {})
        accounts.update({name: _standing(state) for name, state in batch.accounts.items()})
        frontier = batch.frontier.to_bytes()
        return cls(batch.size, batch.head_hash, frontier, batch.ts, batch.signer.key_id, accounts)


def _standing(state: AccountState) -> AccountState:
    """An account's balance and held points, with no batch's deltas or overdue holds."""
    return AccountState(state.balance, state.held, state.allow_negative)


class Sequencer:
    """Appends batches of transfers to one ledger; see the module's docstring."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], keystore: KeyStore, ledger: str
    ) -> None:
        self._sessions = sessions
        self._keystore = keystore
        self._ledger = ledger
        self._engine = sessions.kw["bind"]
        self._fast_path = self._engine.dialect.name == POSTGRESQL
        self._memory: _Memory | None = None
        self._conn: AsyncConnection | None = None
        self._driver: Any = None

    async def close(self) -> None:
        """Forget the chain and give back the connection of the fast path."""
        self._memory = None
        conn, driver = self._conn, self._driver
        self._conn, self._driver = None, None
        if conn is None:
            return
        try:
            await driver.execute("RESET plan_cache_mode")  # back to the pool's setting
        except Exception:  # noqa: BLE001 (a connection that cannot take it is not pooled again)
            await conn.invalidate()
        await conn.close()

    async def append(self, postings: Sequence[Posting], now: datetime) -> list[Outcome]:
        """Append the postings as one transaction; each succeeds or is refused alone."""
        memory, self._memory = self._memory, None
        if memory is not None and self._fast_path and len(postings) <= MAX_FAST_POSTINGS:
            try:
                fast = await self._fast(memory, postings, now)
            except Exception as error:  # noqa: BLE001 (a failed statement changed nothing; the careful way decides)
                # Usually a ref that is not new (the unique index refused it).
                message = "fast append to %s failed (%r); appending carefully"
                logger.info(message, self._ledger, error)
                await self.close()
                fast = None
            if fast is not None:
                return fast
        return await self._careful(postings, now)

    async def _careful(self, postings: Sequence[Posting], now: datetime) -> list[Outcome]:
        async with self._sessions.begin() as session:
            results, batch = await service.execute_with_state(
                session,
                keystore=self._keystore,
                ledger=self._ledger,
                operations=[Transfer(p) for p in postings],
                now=now,
            )
        self._memory = _Memory.after(batch)
        return results

    async def _fast(
        self, memory: _Memory, postings: Sequence[Posting], now: datetime
    ) -> list[Outcome] | None:
        """The batch computed from memory and written in one gated statement; None if memory
        cannot decide it or the head is no longer the one remembered."""
        conn, driver = await self._connection()
        ts = max(format_ts(now), memory.ts)
        names = {p.debit for p in postings} | {p.credit for p in postings}
        unknown = names - memory.accounts.keys()
        if unknown:
            if len(memory.accounts) > MAX_REMEMBERED_ACCOUNTS:
                memory.accounts.clear()
                unknown = names
            found = await store.read_accounts(conn, driver, self._ledger, unknown, ts)
            memory.accounts.update(found)
        batch = Batch(
            ledger=self._ledger,
            size=memory.size,
            head_hash=memory.head_hash,
            frontier=CompactRange.from_bytes(memory.size, memory.frontier),
            ts=ts,
            signer=self._keystore.load(memory.key_id),
            existing={},
            accounts={n: _standing(memory.accounts[n]) for n in names & memory.accounts.keys()},
            holds={},
        )
        seqs = []
        for posting in postings:
            try:
                result = batch.apply(Transfer(posting))
            except errors.Refusal:
                return None
            if result.replayed:
                return None
            seqs.append(result.entry.seq)
        signed = batch.sign_entries()
        written = await write_gated(
            conn,
            driver,
            batch,
            old_size=memory.size,
            old_hash=memory.head_hash,
            key_id=memory.key_id,
        )
        if not written:
            return None
        self._memory = _Memory.after(batch, known=memory.accounts)
        return [Appended(signed[seq]) for seq in seqs]

    async def _connection(self) -> tuple[AsyncConnection, Any]:
        """A pooled connection kept for the fast path, with no transaction ever open on it."""
        if self._conn is None:
            conn = await self._engine.connect()
            raw = await conn.get_raw_connection()
            driver = raw.driver_connection
            await driver.execute("SET plan_cache_mode = force_generic_plan")
            self._conn, self._driver = conn, driver
        return self._conn, self._driver
