"""Verifying a sound ledger: clean reports in both modes, on one process or a pool."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from ledger import errors, merkle, proofs, service
from ledger.canonical import ZERO_HASH_HEX, JsonValue, canonical_bytes
from ledger.types import Posting
from ledger.verify import Fault, Report, Tuning, ledger_ids, verify_ledger
from ledger.verify_core import prev_of
from ledger.verify_tree import ChunkRoots, local_frontier, perfect_levels
from tests.ledger.conftest import LedgerFixture
from tests.ledger.test_tamper import as_attacker

# Every path of the pool on a small ledger: tiny chunks, no minimum size for a pool.
POOLED = Tuning(chunk_entries=4, min_parallel_entries=0)
POOLED_FED = Tuning(chunk_entries=4, min_parallel_entries=0, fetch_in_workers=False)
INLINE = Tuning(chunk_entries=4)


async def _append(fx: LedgerFixture, posting: Posting) -> int:
    async with fx.db.sessions.begin() as session:
        appended = await service.append(
            session, keystore=fx.keystore, ledger=fx.ledger, posting=posting, now=fx.now
        )
    return appended.entry.seq


async def _hold(fx: LedgerFixture, ref: str, amount: int, now: datetime) -> int:
    posting = Posting("redeem", "m-a", "shop-1", amount, ref)
    async with fx.db.sessions.begin() as session:
        appended = await service.place_hold(
            session,
            keystore=fx.keystore,
            ledger=fx.ledger,
            posting=posting,
            ttl_seconds=600,
            now=now,
        )
    return appended.entry.seq


async def _resolve(fx: LedgerFixture, hold_seq: int, action: str) -> None:
    async with fx.db.sessions.begin() as session:
        await service.resolve_hold(
            session,
            keystore=fx.keystore,
            ledger=fx.ledger,
            hold_seq=hold_seq,
            action="commit" if action == "commit" else "void",
            ref=f"hold/{hold_seq}/{action}",
            now=fx.now,
        )


async def _checkpoint(fx: LedgerFixture) -> None:
    async with fx.db.sessions.begin() as session:
        await proofs.issue_checkpoint(session, keystore=fx.keystore, ledger=fx.ledger, now=fx.now)


async def build_busy_ledger(fx: LedgerFixture) -> int:
    """Transfers, committed, voided and expired holds, a key rotation and three checkpoints."""
    await fx.open_accounts("m-a", "m-b", "shop-1")
    for n in range(4):
        await fx.credit("m-a", 20, f"c-a-{n}")
        await fx.credit("m-b", 5, f"c-b-{n}")
    await _checkpoint(fx)
    await _resolve(fx, await _hold(fx, "h1", 7, fx.now), "commit")
    await _resolve(fx, await _hold(fx, "h2", 3, fx.now), "void")
    await _hold(fx, "h3", 4, fx.now)
    async with fx.db.sessions.begin() as session:
        await service.rotate_key(session, keystore=fx.keystore, ledger=fx.ledger, now=fx.now)
    await _append(fx, Posting("spend", "m-b", "shop-1", 6, "s1", {"note": "午餐", "n": 3}))
    await _checkpoint(fx)
    later = fx.now + timedelta(hours=1)
    async with fx.db.sessions.begin() as session:
        expired = await service.expire_due_holds(
            session, keystore=fx.keystore, ledger=fx.ledger, now=later
        )
    assert len(expired) == 1
    await _hold(fx, "h4", 2, later)  # left pending
    await _append(fx, Posting("spend", "m-a", "shop-1", 1, "s2"))
    await _checkpoint(fx)
    await _append(fx, Posting("spend", "m-a", "m-b", 2, "s3"))
    assert await fx.balance("m-a") == (80 - 7 - 1 - 2, 2)
    async with fx.db.sessions() as session:
        return await proofs.tree_size(session, ledger=fx.ledger)


async def _verify(
    fx: LedgerFixture,
    *,
    fast: bool = False,
    workers: int | None = None,
    tuning: Tuning | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    return await verify_ledger(
        database_url=fx.db.url,
        ledger=fx.ledger,
        fast=fast,
        workers=workers,
        tuning=tuning,
        progress=progress,
    )


@pytest.mark.parametrize("fast", [False, True], ids=["full", "fast"])
async def test_busy_ledger_verifies_clean(opened: LedgerFixture, fast: bool) -> None:
    """A ledger with transfers, holds, a key rotation and checkpoints has no faults."""
    size = await build_busy_ledger(opened)
    report = await _verify(opened, fast=fast)
    assert report.faults == []
    assert report.ok
    assert (report.ledger, report.size) == (opened.ledger, size)
    assert (report.checked_entries, report.checked_checkpoints) == (size, 3)


async def test_pool_gives_the_same_report_as_one_process(opened: LedgerFixture) -> None:
    """Two worker processes on tiny chunks, fed either way, report what one process does."""
    await build_busy_ledger(opened)
    async with as_attacker(opened.db) as conn:  # faults for the two paths to agree on
        await conn.execute(
            text("UPDATE ledger_entries SET hash = :h WHERE ledger = :l AND seq = 6"),
            {"l": opened.ledger, "h": "0" * 64},
        )
        await conn.execute(
            text(
                "UPDATE ledger_accounts SET balance = balance + 1"
                " WHERE ledger = :l AND account = 'm-b'"
            ),
            {"l": opened.ledger},
        )
    inline = await _verify(opened, workers=1, tuning=INLINE)
    pooled = await _verify(opened, workers=2, tuning=POOLED)
    fed = await _verify(opened, workers=2, tuning=POOLED_FED)
    default = await _verify(opened)
    assert pooled == inline == fed == default
    assert inline.faults[0] == Fault(
        6, "hash column differs from the SHA-256 of the canonical bytes"
    )
    assert len(inline.faults) == 3  # and m-b's balance, after which balances no longer sum to 0


async def test_progress_reaches_the_size(opened: LedgerFixture) -> None:
    """The progress callback climbs chunk by chunk to (size, size)."""
    size = await build_busy_ledger(opened)
    seen: list[tuple[int, int]] = []
    await _verify(opened, tuning=INLINE, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (size, size)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert len(seen) == -(-size // INLINE.chunk_entries)


@pytest.mark.parametrize("tuning", [INLINE, POOLED], ids=["inline", "pool"])
async def test_empty_ledger_verifies_and_reports_progress(
    opened: LedgerFixture, tuning: Tuning
) -> None:
    """A ledger with no entries verifies clean and reports (0, 0), even when a pool is asked
    for."""
    seen: list[tuple[int, int]] = []
    report = await _verify(
        opened, workers=2, tuning=tuning, progress=lambda done, total: seen.append((done, total))
    )
    assert report.ok
    assert (report.size, report.checked_entries) == (0, 0)
    assert seen == [(0, 0)]


async def test_unknown_ledger_is_refused(opened: LedgerFixture) -> None:
    """Verifying a ledger that was never opened is refused with ledger_not_found."""
    with pytest.raises(errors.LedgerNotFound):
        await verify_ledger(database_url=opened.db.url, ledger="no-such-ledger")


async def test_ledger_ids_lists_every_ledger(opened: LedgerFixture) -> None:
    """ledger_ids names every ledger with a head row, in order."""
    ids = await ledger_ids(opened.db.url)
    assert opened.ledger in ids
    assert ids == sorted(ids)


def test_chunk_size_must_be_a_power_of_two() -> None:
    """A chunk that is not a power of two could not be a perfect subtree, so it is refused."""
    with pytest.raises(ValueError, match="power of two"):
        Tuning(chunk_entries=6)


@pytest.mark.parametrize("chunk_entries", [1, 2, 4, 8])
def test_chunk_roots_match_the_merkle_module(chunk_entries: int) -> None:
    """Roots assembled from chunk subtrees equal RFC 9162 roots at every size."""
    leaves = [merkle.leaf_hash(str(n).encode()) for n in range(37)]
    roots = ChunkRoots(chunk_entries)
    for lo in range(1, len(leaves) + 1, chunk_entries):
        hi = min(lo + chunk_entries - 1, len(leaves))
        levels = perfect_levels(leaves[lo - 1 : hi])
        root = levels[-1][0] if hi - lo + 1 == chunk_entries else None
        cuts = {size: local_frontier(levels, size - lo + 1) for size in range(lo, hi + 1)}
        roots.add(lo, hi, root, cuts, None)
    expected = merkle.CompactRange()
    for size, leaf in enumerate(leaves, start=1):
        expected.append(leaf)
        assert roots.roots[size] == expected.root(), size


@pytest.mark.parametrize(
    "meta",
    [{}, {"prev": "f" * 64}, {"x": '"prev":"' + "e" * 64 + '"'}],
    ids=["plain", "meta-prev-key", "meta-prev-text"],
)
def test_prev_is_read_from_the_top_level_field(meta: dict[str, str]) -> None:
    """The fast mode's reading of prev finds the entry's own prev, whatever meta holds."""
    body: dict[str, JsonValue] = {
        "v": 1,
        "ledger": "l",
        "seq": 2,
        "ts": "t",
        "kind": "k",
        "debit": "d",
    }
    body |= {"credit": "c", "amount": 1, "ref": '"prev":"' + "b" * 64, "key": "k", "meta": meta}
    for prev in ("a" * 64, ZERO_HASH_HEX):
        assert prev_of(canonical_bytes({**body, "prev": prev})) == prev.encode()
