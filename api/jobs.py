"""Periodic work inside the service: nobody has to ask for it.

Each job is an async function of the AppContext, run every `interval_seconds` in every
server process. Jobs must be safe to run concurrently in several processes (they are: the
ledger serialises appends per community, and every job's postings carry idempotent refs).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from api.context import AppContext

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    """A named piece of work and how often to do it."""

    name: str
    interval_seconds: float
    run: Callable[[AppContext], Awaitable[object]]


class JobRunner:
    """Runs periodic jobs until stopped; a failing run is logged and retried next period."""

    def __init__(self, jobs: list[PeriodicJob]) -> None:
        self.jobs = jobs
        self._tasks: list[asyncio.Task[None]] = []

    def start(self, context: AppContext) -> None:
        for job in self.jobs:
            self._tasks.append(asyncio.create_task(self._loop(job, context), name=job.name))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    @staticmethod
    async def _loop(job: PeriodicJob, context: AppContext) -> None:
        while True:
            await asyncio.sleep(job.interval_seconds)
            try:
                await job.run(context)
            except Exception:  # a bad run must not stop the next one
                logger.exception("periodic job %s failed", job.name)
