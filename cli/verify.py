"""`jifen ledger verify`: check every ledger and name the first bad entry."""

from __future__ import annotations

import sys
import time

from cli.ledger_commands import ledger_ids
from config.settings import Settings
from ledger.verify import Report, verify_ledger

BAR_WIDTH = 30
REDRAW_SECONDS = 0.2


class ProgressBar:
    """A one-line progress bar on stderr, redrawn at most every REDRAW_SECONDS."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.drawn_at = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.drawn_at < REDRAW_SECONDS:
            return
        self.drawn_at = now
        filled = BAR_WIDTH * done // max(total, 1)
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        sys.stderr.write(f"\r{self.label} [{bar}] {done}/{total}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _print_report(report: Report) -> None:
    if report.ok:
        print(
            f"{report.ledger}: OK, {report.checked_entries} entries, "
            f"{report.checked_checkpoints} checkpoints"
        )
        return
    first = report.faults[0]
    where = f"entry {first.seq}" if first.seq is not None else "ledger"
    print(f"{report.ledger}: FAULT at {where}: {first.reason}")
    for fault in report.faults[1:]:
        where = f"entry {fault.seq}" if fault.seq is not None else "ledger"
        print(f"  also at {where}: {fault.reason}")


async def run_verify(settings: Settings, *, ledger: str | None, fast: bool) -> int:
    """Verify the ledgers; exit status 1 if any has a fault."""
    status = 0
    for ledger_id in await ledger_ids(settings, ledger):
        report = await verify_ledger(
            database_url=settings.database_url,
            ledger=ledger_id,
            fast=fast,
            progress=ProgressBar(ledger_id) if sys.stderr.isatty() else None,
        )
        _print_report(report)
        if not report.ok:
            status = 1
    return status
