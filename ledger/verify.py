"""Verify a ledger from its stored rows and name the first bad entry and why.

Full mode re-derives everything: each entry's format, canonical bytes, columns, hash, link,
ts order, key and signature; the Merkle root at every signed checkpoint (and each
checkpoint's own bytes and signature); the head; balances and holds by replay. Fast mode
keeps hashes, links, seq contiguity, Merkle roots against signed checkpoints and checkpoint
signatures, and skips what needs the JSON parsed or entry signatures verified.

Entries are scanned in chunks of `Tuning.chunk_entries` (a power of two, so a full chunk is
one perfect Merkle subtree). Large ledgers are scanned by a pool of processes, each reading
its own chunks over a connection of its own (`ledger.verify_worker`) and returning only what
the coordinator needs (`ledger.verify_core.ChunkResult`); the coordinator adds the results
up in seq order. The coordinator reads the head and the derived state in one snapshot
first (`ledger.verify_db`), so a ledger may be verified while it grows.

`Report.faults` is sorted by seq, ledger-wide faults (seq None) last, so the first fault
names the first bad entry. A signed checkpoint whose root disagrees puts its fault at the
first seq after the last agreeing checkpoint, or at the exact entry when the stored leaf
hashes still reproduce the signed root (`_locate`).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import AsyncGenerator, Callable
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import aclosing
from dataclasses import dataclass
from multiprocessing.context import BaseContext

from sqlalchemy.ext.asyncio import AsyncEngine

from config.database import make_engine
from ledger import errors
from ledger.canonical import ZERO_HASH_HEX
from ledger.merkle import CompactRange, leaf_hash
from ledger.verify_core import ChunkResult, ChunkTask, scan
from ledger.verify_db import (
    CheckpointRow,
    Snapshot,
    fetch_canonicals,
    fetch_chunk,
    fetch_leaves,
    read_snapshot,
    source_for,
)
from ledger.verify_db import ledger_ids as _ledger_ids
from ledger.verify_state import Problem, Replay, checkpoint_problem, key_spans
from ledger.verify_tree import ChunkRoots, tree_root
from ledger.verify_worker import Source, fetch_and_scan

MAX_FAULTS = 200


@dataclass(frozen=True)
class Fault:
    """Something wrong: at entry `seq`, or ledger-wide when `seq` is None."""

    seq: int | None
    reason: str


@dataclass(frozen=True)
class Report:
    """The outcome of verifying one ledger; `faults` is sorted, the first names the first
    bad entry."""

    ledger: str
    size: int
    checked_entries: int
    checked_checkpoints: int
    faults: list[Fault]

    @property
    def ok(self) -> bool:
        """Whether nothing is wrong."""
        return not self.faults


@dataclass(frozen=True)
class Tuning:
    """How the work is cut up; the defaults suit production, tests shrink them."""

    chunk_entries: int = 4096
    # Below this many entries a process pool costs more to start than it saves.
    min_parallel_entries: int = 20_000
    # Workers read their own chunks (True) or receive rows read by the coordinator.
    fetch_in_workers: bool = True

    def __post_init__(self) -> None:
        size = self.chunk_entries
        if size < 1 or size & (size - 1):
            raise ValueError("chunk_entries must be a power of two")


async def ledger_ids(database_url: str) -> list[str]:
    """Every ledger of the database (every row of `ledger_heads`), in order."""
    engine = make_engine(database_url, pool_size=1)
    try:
        return await _ledger_ids(engine)
    finally:
        await engine.dispose()


async def verify_ledger(
    *,
    database_url: str,
    ledger: str,
    fast: bool = False,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    tuning: Tuning | None = None,
) -> Report:
    """Verify one ledger; LedgerNotFound if it has no head row.

    In full mode `workers` processes scan in parallel (default: one per CPU) when the ledger
    has at least `tuning.min_parallel_entries` entries. Fast mode runs in this process: it
    waits on the database more than it computes, and a pool measured no faster while using
    three times the CPU. `progress(done, total)` is called after each chunk.
    """
    tuning = tuning or Tuning()
    engine = make_engine(database_url, pool_size=2)
    try:
        snapshot = await read_snapshot(engine, ledger, full=not fast)
        if snapshot is None:
            raise errors.LedgerNotFound(ledger=ledger)
        run = _Run(
            engine=engine,
            ledger=ledger,
            fast=fast,
            snapshot=snapshot,
            tuning=tuning,
        )
        count = workers or os.cpu_count() or 1
        source = source_for(database_url)
        size = snapshot.head.size
        parallel = not fast and count > 1 and size > 0 and size >= tuning.min_parallel_entries
        results = run.pooled(count, source) if parallel and source else run.inline()
        async with aclosing(results):  # a failure shuts the pool down at once
            async for result in results:
                run.add(result)
                if progress is not None:
                    progress(min(result.hi, run.size), run.size)
        if progress is not None and run.size == 0:
            progress(0, 0)
        return await run.report()
    finally:
        await engine.dispose()


def _pool_context() -> BaseContext:
    """Where workers come from: never a fork of this process, whose event loop, driver
    threads and open connections a child would inherit.

    A fork server is started once per process with the worker module loaded (and the main
    module, which any fresh interpreter would import again), then forks cheap, clean
    children; "spawn" is the fallback where there is no fork server.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["ledger.verify_worker"])
    return context


class _Run:
    """One verification: the plan, the chunk results as they arrive, and the final checks."""

    def __init__(
        self,
        *,
        engine: AsyncEngine,
        ledger: str,
        fast: bool,
        snapshot: Snapshot,
        tuning: Tuning,
    ) -> None:
        self.engine, self.ledger = engine, ledger
        self.fast, self.snapshot, self.tuning = fast, snapshot, tuning
        self.size = snapshot.head.size
        spans, self.problems = key_spans(snapshot.keys)
        self.spans = {span.key_id: span for span in spans}
        self.signed = self._signed_checkpoints()
        self.roots = ChunkRoots(tuning.chunk_entries)
        self.replay = Replay(snapshot.accounts)
        self.checked = 0
        self.last: ChunkResult | None = None

    def _signed_checkpoints(self) -> list[CheckpointRow]:
        """Checkpoints whose bytes and signature verify; the others are faults."""
        signed: list[CheckpointRow] = []
        for row in self.snapshot.checkpoints:
            problem = checkpoint_problem(self.ledger, row, self.spans)
            if problem is not None:
                self.problems.append((None, problem))
            elif row.size > self.size:
                reason = f"checkpoint {row.size} was signed over entries beyond the size"
                self.problems.append((self.size + 1, f"{reason} {self.size}"))
            else:
                signed.append(row)
        return signed

    def tasks(self) -> list[ChunkTask]:
        """The chunks of [1, size], each told the sizes at which a root is due."""
        step = self.tuning.chunk_entries
        cuts = sorted({row.size for row in self.signed} | {self.size})
        negative_ok = frozenset(a.account for a in self.snapshot.accounts if a.allow_negative)
        keys = tuple(self.spans.values())
        return [
            ChunkTask(
                ledger=self.ledger,
                lo=lo,
                hi=min(lo + step - 1, self.size),
                fast=self.fast,
                keys=keys,
                cuts=tuple(c for c in cuts if lo <= c <= min(lo + step - 1, self.size)),
                negative_ok=negative_ok,
            )
            for lo in range(1, self.size + 1, step)
        ]

    async def inline(self) -> AsyncGenerator[ChunkResult, None]:
        """Scan chunk after chunk in this process."""
        for task in self.tasks():
            yield await self._scan_here(task)

    async def _scan_here(self, task: ChunkTask) -> ChunkResult:
        async with self.engine.connect() as conn:
            rows = await fetch_chunk(conn, self.ledger, task.lo, task.hi, fast=self.fast)
        return scan(task, rows)

    async def pooled(self, workers: int, source: Source) -> AsyncGenerator[ChunkResult, None]:
        """Scan chunks in a pool of processes; results come back in seq order."""
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context())
        try:
            if self.tuning.fetch_in_workers:
                first, *rest = self.tasks()
                submitted = [pool.submit(fetch_and_scan, source, task) for task in rest]
                # The pool takes about a second to start; this process, idle otherwise,
                # scans the first chunk meanwhile.
                yield await self._scan_here(first)
                for future in submitted:
                    yield await asyncio.wrap_future(future)
            else:
                async for result in self._fed(pool, workers):
                    yield result
        finally:
            # After a failure, chunks not yet started are dropped; running ones finish.
            pool.shutdown(wait=True, cancel_futures=True)

    async def _fed(
        self, pool: ProcessPoolExecutor, workers: int
    ) -> AsyncGenerator[ChunkResult, None]:
        """Read chunks here and hand the rows to the pool, a bounded number ahead."""
        window: list[Future[ChunkResult]] = []
        for task in self.tasks():
            async with self.engine.connect() as conn:
                rows = await fetch_chunk(conn, self.ledger, task.lo, task.hi, fast=self.fast)
            # Driver records do not pickle; plain tuples do.
            window.append(pool.submit(scan, task, [tuple(row) for row in rows]))
            if len(window) > workers:
                yield await asyncio.wrap_future(window.pop(0))
        for future in window:
            yield await asyncio.wrap_future(future)

    def add(self, result: ChunkResult) -> None:
        """Take the next chunk's result."""
        self.checked += result.checked
        self.problems.extend(result.faults)
        self.roots.add(result.lo, result.hi, result.root, result.frontiers, result.first_missing)
        if not self.fast:
            self.replay.add(result)
        self.last = result

    async def report(self) -> Report:
        """The final checks and the sorted faults."""
        self._check_stored_range()
        self._check_head()
        self.problems.extend(await self._check_checkpoints())
        if not self.fast:
            self.problems.extend(self.replay.finish(self.snapshot.holds))
        faults = sorted(
            (Fault(seq, reason) for seq, reason in self.problems),
            key=lambda f: (f.seq is None, f.seq or 0),
        )
        if len(faults) > MAX_FAULTS:
            more = len(faults) - MAX_FAULTS
            faults = [*faults[:MAX_FAULTS], Fault(None, f"{more} more faults not listed")]
        return Report(self.ledger, self.size, self.checked, len(self.snapshot.checkpoints), faults)

    def _check_stored_range(self) -> None:
        lowest, highest = self.snapshot.lowest_seq, self.snapshot.highest_seq
        if highest is not None and highest > self.size:
            reason = f"entries up to {highest} exist beyond the head's size {self.size}"
            self.problems.append((self.size + 1, reason))
        if lowest is not None and lowest < 1:
            self.problems.append((lowest, f"entry with seq {lowest} below 1"))

    def _check_head(self) -> None:
        head = self.snapshot.head
        last_hash = ZERO_HASH_HEX if self.size == 0 else self.last and self.last.last_hash
        if last_hash is not None and head.head_hash != last_hash:
            self.problems.append((None, f"head hash differs from the hash of entry {self.size}"))
        last_ts = self.last.last_ts if self.last is not None else None
        # The head's ts moves only with the entries it writes, so it is the last one's: a
        # later one would stamp the next entries (and their holds' expiries) in the future.
        if last_ts is not None and head.last_ts != last_ts:
            self.problems.append((None, f"head ts differs from the ts of entry {self.size}"))
        current = self.spans.get(head.key_id)
        if current is None or current.until_seq is not None:  # only the newest is open-ended
            self.problems.append((None, f"head names key {head.key_id}, not the newest key"))
        try:
            frontier_root: bytes | None = CompactRange.from_bytes(self.size, head.frontier).root()
        except ValueError:
            frontier_root = None
        recomputed = self.roots.roots.get(self.size)
        if recomputed is not None and frontier_root != recomputed:
            reason = f"head Merkle frontier does not give the root of entries 1..{self.size}"
            self.problems.append((None, reason))

    async def _check_checkpoints(self) -> list[Problem]:
        """Compare signed checkpoints with recomputed roots, up to the first that differs."""
        differing = [row for row in self.signed if not self._agrees(row)]
        if not differing:
            return []
        first = differing[0]
        agreed = max((r.size for r in self.signed if r.size < first.size), default=0)
        return [await self._locate(first, agreed, len(differing) - 1)]

    def _agrees(self, row: CheckpointRow) -> bool:
        recomputed = self.roots.roots.get(row.size)
        return recomputed is not None and recomputed.hex() == row.root

    async def _locate(self, row: CheckpointRow, agreed: int, later: int) -> Problem:
        """The fault for a signed root that the entries no longer give.

        If the stored leaf hashes still reproduce the signed root they are what was signed,
        and the first entry whose leaf differs from its stored leaf is the culprit.
        """
        async with self.engine.connect() as conn:
            stored = await fetch_leaves(conn, self.ledger, row.size)
            if stored is not None and tree_root(stored).hex() == row.root:
                entries = await fetch_canonicals(conn, self.ledger, agreed + 1, row.size)
                for seq in range(agreed + 1, row.size + 1):
                    canonical = entries.get(seq)
                    if canonical is None or leaf_hash(canonical) != stored[seq - 1]:
                        return (
                            seq,
                            f"entry {seq} is not the entry signed by checkpoint {row.size}",
                        )
        what = f"root at size {row.size} differs from signed checkpoint {row.size}"
        missing = self.roots.broken_at
        if missing is not None and missing <= row.size:
            what = f"root at size {row.size} cannot be recomputed (entry {missing} is missing)"
        since = (
            f"last agreeing checkpoint is {agreed}" if agreed else "no earlier checkpoint agrees"
        )
        also = f"; {later} later checkpoints differ too" if later else ""
        return (agreed + 1, f"{what}; {since}{also}")
