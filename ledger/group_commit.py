"""Group commit: many producers' postings appended in few transactions.

Producers call `submit` and wait for their own outcome. One writer task per ledger takes
whatever has queued up while the previous transaction committed (at most `max_batch`) and
appends it in one transaction, so under load the commit cost is shared by many postings,
and with a single producer a posting waits for nothing but its own transaction. Each
writer appends through a `Sequencer`, which on PostgreSQL remembers the chain between its
batches and so usually writes a batch in a single round trip.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ledger.keys import KeyStore
from ledger.sequencer import Sequencer
from ledger.types import Appended, Posting

DEFAULT_MAX_BATCH = 1000


@dataclass
class _Pending:
    posting: Posting
    outcome: asyncio.Future[Appended] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class GroupCommitter:
    """Appends postings submitted concurrently, batching them per ledger."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        keystore: KeyStore,
        *,
        clock: Callable[[], datetime],
        max_batch: int = DEFAULT_MAX_BATCH,
    ) -> None:
        self._sessions = sessions
        self._keystore = keystore
        self._clock = clock
        self._max_batch = max_batch
        self._queues: dict[str, asyncio.Queue[_Pending]] = {}
        self._writers: dict[str, asyncio.Task[None]] = {}
        self._sequencers: dict[str, Sequencer] = {}

    async def submit(self, ledger: str, posting: Posting) -> Appended:
        """Append `posting` to `ledger` in the next batch; raise its refusal if refused."""
        queue = self._queues.get(ledger)
        if queue is None:
            queue = self._queues[ledger] = asyncio.Queue()
            sequencer = Sequencer(self._sessions, self._keystore, ledger)
            self._sequencers[ledger] = sequencer
            self._writers[ledger] = asyncio.create_task(self._write_loop(sequencer, queue))
        pending = _Pending(posting)
        queue.put_nowait(pending)
        return await pending.outcome

    async def close(self) -> None:
        """Stop the writers; postings not yet taken fail with CancelledError."""
        for writer in self._writers.values():
            writer.cancel()
        await asyncio.gather(*self._writers.values(), return_exceptions=True)
        for sequencer in self._sequencers.values():
            await sequencer.close()
        self._writers.clear()
        self._queues.clear()
        self._sequencers.clear()

    async def _write_loop(self, sequencer: Sequencer, queue: asyncio.Queue[_Pending]) -> None:
        while True:
            batch = [await queue.get()]
            while len(batch) < self._max_batch and not queue.empty():
                batch.append(queue.get_nowait())
            await self._write(sequencer, batch)

    async def _write(self, sequencer: Sequencer, batch: list[_Pending]) -> None:
        try:
            results = await sequencer.append([p.posting for p in batch], self._clock())
        except Exception as exc:  # noqa: BLE001 (whatever failed the batch fails each posting)
            _deliver(batch, [exc] * len(batch))
            return
        _deliver(batch, results)


def _deliver(batch: list[_Pending], results: Sequence[Appended | Exception]) -> None:
    """Hand each producer the outcome of its own posting: its entry, or what refused it."""
    for pending, result in zip(batch, results, strict=True):
        if pending.outcome.done():  # the producer gave up waiting
            continue
        if isinstance(result, Exception):
            pending.outcome.set_exception(result)
        else:
            pending.outcome.set_result(result)
