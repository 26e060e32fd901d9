"""Ledger benchmark on PostgreSQL: appends, group commit, verification, proofs, balances.

    python -m bench.ledger_bench [--entries 1000000] [--database-url URL]

Every figure is reported beside a baseline measured in the same run on the same machine:
plain single-row INSERTs from 16 concurrent tasks (the write ceiling, measured again before
each append figure, since other work on a shared machine moves it), plain single-row INSERTs
from one task (one commit at a time: what one transaction per append can reach at most), and
raw Ed25519 signature verification on one core.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.common import (
    DEFAULT_PG_URL,
    Stopwatch,
    asyncpg_dsn,
    machine_line,
    median_ms,
    percentile_ms,
    scratch_database,
    write_section,
)
from config.database import make_engine, make_sessionmaker
from ledger import proofs, service
from ledger.group_commit import GroupCommitter
from ledger.keys import KeyStore
from ledger.types import Posting
from ledger.verify import verify_ledger

PRODUCERS = 16
MEMBERS = 1000
BATCH = 1000
SMALL_ENTRIES = 10_000
CHECKPOINT_EVERY = 100_000
LATENCY_SAMPLES = 1000


@dataclass
class Figures:
    rows: list[tuple[str, str, str, str]] = field(default_factory=list)

    def add(self, what: str, value: str, ratio: str = "", target: str = "") -> None:
        self.rows.append((what, value, ratio, target))
        print(f"{what}: {value} {ratio} {target}", flush=True)


def raw_ed25519_verify_per_second(samples: int = 20_000) -> float:
    key = Ed25519PrivateKey.generate()
    public = key.public_key()
    message = os.urandom(400)
    signature = key.sign(message)
    with Stopwatch() as watch:
        for _ in range(samples):
            public.verify(signature, message)
    return samples / watch.seconds


async def plain_insert_ceiling(url: str, tasks: int = PRODUCERS, rows: int = 8000) -> float:
    """Single-row INSERTs, each its own transaction, from `tasks` concurrent tasks."""
    pool = await asyncpg.create_pool(asyncpg_dsn(url), min_size=tasks, max_size=tasks)
    await pool.execute(
        "CREATE TABLE bench_plain (ledger text, seq bigint, ref text, kind text, debit text,"
        " credit text, amount bigint, ts text, key_id text, hash text, sig text,"
        " canonical bytea, PRIMARY KEY (ledger, seq))"
    )
    canonical = os.urandom(400)
    rows_per_task = rows // tasks

    async def producer(task: int) -> None:
        for i in range(rows_per_task):
            await pool.execute(
                "INSERT INTO bench_plain VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)",
                "bench",
                task * rows_per_task + i,
                f"r{task}-{i}",
                "credit",
                "issuance",
                f"m-{i}",
                1,
                "2026-01-01T00:00:00.000000Z",
                "0" * 16,
                "0" * 64,
                "0" * 128,
                canonical,
            )

    with Stopwatch() as watch:
        await asyncio.gather(*(producer(t) for t in range(tasks)))
    await pool.execute("DROP TABLE bench_plain")
    await pool.close()
    return tasks * rows_per_task / watch.seconds


@dataclass
class Bench:
    url: str
    keystore: KeyStore

    def __post_init__(self) -> None:
        self.engine = make_engine(self.url, pool_size=PRODUCERS + 4)
        self.sessions = make_sessionmaker(self.engine)

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)

    async def open(self, ledger: str) -> None:
        async with self.sessions.begin() as session:
            await service.open_ledger(
                session, keystore=self.keystore, ledger=ledger, now=self.now()
            )
            await service.open_account(
                session, ledger=ledger, account="issuance", allow_negative=True
            )
            for i in range(MEMBERS):
                await service.open_account(session, ledger=ledger, account=f"m-{i}")

    def posting(self, i: int) -> Posting:
        return Posting(
            "credit", "issuance", f"m-{i % MEMBERS}", 1 + i % 7, f"p-{secrets.token_hex(8)}"
        )

    async def single(self, ledger: str, count: int, tasks: int) -> float:
        async def producer(n: int) -> None:
            for i in range(n):
                async with self.sessions.begin() as session:
                    await service.append(
                        session,
                        keystore=self.keystore,
                        ledger=ledger,
                        posting=self.posting(i),
                        now=self.now(),
                    )

        with Stopwatch() as watch:
            await asyncio.gather(*(producer(count // tasks) for _ in range(tasks)))
        return count / watch.seconds

    async def single_through_committer(self, ledger: str, count: int) -> float:
        """One task submitting one posting at a time to a group committer."""
        committer = GroupCommitter(self.sessions, self.keystore, clock=self.now)
        with Stopwatch() as watch:
            for i in range(count):
                await committer.submit(ledger, self.posting(i))
        await committer.close()
        return count / watch.seconds

    async def batched(self, ledger: str, count: int) -> float:
        with Stopwatch() as watch:
            for start in range(0, count, BATCH):
                postings = [self.posting(i) for i in range(start, min(start + BATCH, count))]
                async with self.sessions.begin() as session:
                    await service.append_batch(
                        session,
                        keystore=self.keystore,
                        ledger=ledger,
                        postings=postings,
                        now=self.now(),
                    )
        return count / watch.seconds

    async def group_commit(self, ledger: str, per_producer: int) -> tuple[float, list[float]]:
        committer = GroupCommitter(self.sessions, self.keystore, clock=self.now)
        latencies: list[float] = []

        async def producer() -> None:
            for i in range(per_producer):
                started = time.perf_counter()
                await committer.submit(ledger, self.posting(i))
                latencies.append(time.perf_counter() - started)

        with Stopwatch() as watch:
            await asyncio.gather(*(producer() for _ in range(PRODUCERS)))
        await committer.close()
        return PRODUCERS * per_producer / watch.seconds, latencies

    async def fill(self, ledger: str, count: int) -> None:
        for start in range(0, count, BATCH):
            postings = [self.posting(i) for i in range(start, min(start + BATCH, count))]
            async with self.sessions.begin() as session:
                await service.append_batch(
                    session,
                    keystore=self.keystore,
                    ledger=ledger,
                    postings=postings,
                    now=self.now(),
                )
                size = start + len(postings)
                if size % CHECKPOINT_EVERY == 0 or size == count:
                    await proofs.issue_checkpoint(
                        session, keystore=self.keystore, ledger=ledger, now=self.now()
                    )

    async def read_latencies(self, ledger: str, size: int) -> tuple[list[float], list[float]]:
        proof_times: list[float] = []
        balance_times: list[float] = []
        rng = random.Random(7)
        async with self.sessions() as session:
            for _ in range(LATENCY_SAMPLES):
                started = time.perf_counter()
                await proofs.inclusion_proof(
                    session, ledger=ledger, seq=rng.randint(1, size), size=size
                )
                proof_times.append(time.perf_counter() - started)
                started = time.perf_counter()
                await service.balance(
                    session, ledger=ledger, account=f"m-{rng.randrange(MEMBERS)}", now=self.now()
                )
                balance_times.append(time.perf_counter() - started)
        return proof_times, balance_times


async def run(base_url: str, entries: int) -> Figures:
    figures = Figures()
    raw_verify = raw_ed25519_verify_per_second()
    cores = os.cpu_count() or 1
    figures.add("raw Ed25519 verify, one core", f"{raw_verify:,.0f}/s")
    async with scratch_database(base_url) as url:
        bench = Bench(url, KeyStore(Path(tempfile.mkdtemp())))
        for ledger in ("single", "single16", "single1", "batched", "group", "big", "small"):
            await bench.open(ledger)
        await bench_appends(bench, figures, url)
        await bench_reads(
            bench, figures, entries=entries, raw_verify=raw_verify, cores=cores, url=url
        )
        await bench.engine.dispose()
    return figures


async def bench_appends(bench: Bench, figures: Figures, url: str) -> None:
    """Each append figure beside the write ceiling measured just before it.

    Other work on the machine moves both by a factor of two within a run, so a ratio is
    only meaningful against a ceiling measured at the same moment.
    """
    floor = await plain_insert_ceiling(url, tasks=1, rows=1000)
    figures.add("plain single-row INSERT, 1 task (one commit at a time)", f"{floor:,.0f}/s")
    ceilings: list[float] = []

    async def measure_ceiling() -> None:
        # The ledger's pooled connections are closed first, so that the two pools together
        # never hold more connections than the ledger alone (the server's limit is shared).
        await bench.engine.dispose()
        ceilings.append(await plain_insert_ceiling(url))

    def ratio(rate: float) -> str:
        return f"{rate / ceilings[-1]:.2f} (ceiling {ceilings[-1]:,.0f}/s)"

    await measure_ceiling()
    rate = await bench.single("single", 1000, 1)
    figures.add("single-posting appends, 1 task", f"{rate:,.0f}/s", ratio(rate), ">= 2,000/s")
    await measure_ceiling()
    rate = await bench.single("single16", 1600, PRODUCERS)
    figures.add("single-posting appends, 16 tasks", f"{rate:,.0f}/s", ratio(rate), ">= 2,000/s")
    await measure_ceiling()
    rate = await bench.single_through_committer("single1", 2000)
    figures.add(
        "single-posting appends, 1 task, through group commit",
        f"{rate:,.0f}/s",
        f"{rate / floor:.2f} of the 1-task INSERT",
        ">= 2,000/s",
    )
    await measure_ceiling()
    rate = await bench.batched("batched", 20 * BATCH)
    figures.add("batched appends (1,000 per transaction)", f"{rate:,.0f}/s", ratio(rate), ">= 0.65")
    await measure_ceiling()
    rate, latencies = await bench.group_commit("group", 500)
    p50, p99 = median_ms(latencies), percentile_ms(latencies, 0.99)
    figures.add(
        "16 producers through group commit",
        f"{rate:,.0f}/s; p50 {p50:.1f} ms, p99 {p99:.1f} ms",
        ratio(rate),
        ">= 0.75, p99 <= 5 ms",
    )
    figures.add(
        "plain single-row INSERT, 16 tasks (ceiling), over the run",
        f"{min(ceilings):,.0f}/s to {max(ceilings):,.0f}/s",
        "1.00",
    )


async def bench_reads(
    bench: Bench, figures: Figures, *, entries: int, raw_verify: float, cores: int, url: str
) -> None:
    with Stopwatch() as watch:
        await bench.fill("big", entries)
    figures.add(
        f"building the {entries:,}-entry ledger (batched)", f"{entries / watch.seconds:,.0f}/s"
    )
    await bench.fill("small", SMALL_ENTRIES)
    for ledger, size in (("big", entries), ("small", SMALL_ENTRIES)):
        for fast in (True, False):
            with Stopwatch() as watch:
                report = await verify_ledger(database_url=url, ledger=ledger, fast=fast)
            assert report.ok, report.faults[:3]
            mode = "fast" if fast else "full"
            rate = size / watch.seconds
            if fast:
                figures.add(
                    f"{mode} verification, {size:,} entries",
                    f"{watch.seconds:.1f} s ({rate:,.0f}/s)",
                    "",
                    "1M in <= 10 s",
                )
            else:
                ratio = rate / (raw_verify * cores)
                figures.add(
                    f"{mode} verification, {size:,} entries",
                    f"{rate:,.0f}/s",
                    f"{ratio:.2f} of raw x {cores} cores",
                    ">= 0.8",
                )
    big = await bench.read_latencies("big", entries)
    small = await bench.read_latencies("small", SMALL_ENTRIES)
    for index, what in enumerate(("inclusion proof", "balance read")):
        p99_big, p99_small = percentile_ms(big[index], 0.99), percentile_ms(small[index], 0.99)
        figures.add(
            f"{what} p99 at {entries:,} / at {SMALL_ENTRIES:,}",
            f"{p99_big:.2f} ms / {p99_small:.2f} ms",
            f"{p99_big / p99_small:.2f}x",
            "<= 10 ms and <= 1.5x",
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument(
        "--database-url", default=os.environ.get("JIFEN_BENCH_DATABASE_URL", DEFAULT_PG_URL)
    )
    args = parser.parse_args()
    figures = asyncio.run(run(args.database_url, args.entries))
    table = ["| measurement | figure | ratio | target |", "| --- | --- | --- | --- |"]
    table += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in figures.rows]
    body = (
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {machine_line()}, PostgreSQL with default "
        "durability (synchronous_commit on), by "
        f"`python -m bench.ledger_bench --entries {args.entries}`.\n"
        "Ratios are against baselines of the same run; each append figure's against the "
        "ceiling measured just before it.\n\n" + "\n".join(table)
    )
    write_section("Ledger", body)


if __name__ == "__main__":
    main()
