"""Helpers shared by the benchmarks: scratch databases, timing, the results file."""

from __future__ import annotations

import asyncio
import os
import platform
import re
import secrets
import statistics
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from migrations.runner import upgrade

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def asyncpg_dsn(url: str) -> str:
    """The URL as plain asyncpg understands it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@asynccontextmanager
async def scratch_database(base_url: str) -> AsyncIterator[str]:
    """A migrated, empty PostgreSQL database for one run, dropped afterwards."""
    name = f"jifen_bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(asyncpg_dsn(base_url))
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
    try:
        await asyncio.to_thread(upgrade, url)
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def percentile_ms(samples_seconds: list[float], fraction: float) -> float:
    """The given percentile of latencies, in milliseconds."""
    ordered = sorted(samples_seconds)
    index = min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))
    return ordered[index] * 1000


def median_ms(samples_seconds: list[float]) -> float:
    return statistics.median(samples_seconds) * 1000


class Stopwatch:
    """Wall time of a block."""

    def __enter__(self) -> Stopwatch:
        self.started = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *_: object) -> None:
        self.seconds = time.perf_counter() - self.started


def machine_line() -> str:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        match = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        if match:
            cpu = match.group(1).strip()
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}"


def write_section(heading: str, body: str) -> None:
    """Replace (or add) one `## heading` section of bench/RESULTS.md."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    section = f"## {heading}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text).rstrip() + "\n"
    else:
        text = text.rstrip() + "\n\n" + section
    RESULTS.write_text(text, encoding="utf-8")
