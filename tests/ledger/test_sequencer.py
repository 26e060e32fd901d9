"""The sequencer's fast path on PostgreSQL, with other writers changing the chain under it.

The fast path computes a batch from what the writer remembers and writes it in one statement
that changes nothing unless the head is still the one remembered. The concurrent scenario is
also run against a deliberately broken variant of that statement, which does not compare the
signing key: a key rotated by another writer then goes unnoticed, the fast path signs with the
retired key, and the same assertions must fail.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger import errors, service, sql, store_write
from ledger.engine import AccountState
from ledger.group_commit import GroupCommitter
from ledger.sequencer import MAX_FAST_POSTINGS, Sequencer
from ledger.types import Appended, Posting
from ledger.verify import verify_ledger
from tests.ledger.conftest import ISSUANCE, LedgerFixture

pytestmark = pytest.mark.postgres

MEMBERS = [f"m-{i}" for i in range(8)]
PER_PRODUCER = 80


@pytest.fixture
def backend() -> str:
    """The fast path exists on PostgreSQL only."""
    return "postgresql"


@pytest.fixture
def careful_batches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the batches that went the careful way (lock, read, write, commit)."""
    sizes: list[int] = []
    execute = service.execute_with_state

    async def counted(*args: object, **kwargs: object) -> object:
        sizes.append(len(kwargs["operations"]))  # type: ignore[arg-type]  # a Sequence
        return await execute(*args, **kwargs)  # type: ignore[arg-type]  # passed through

    monkeypatch.setattr(service, "execute_with_state", counted)
    return sizes


@pytest.fixture(params=["correct", "broken"])
def variant(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The gated write as written, or one whose gate ignores the signing key."""
    if request.param == "broken":
        monkeypatch.setattr(store_write, "GATED_WRITE", _without_key_check(store_write.GATED_WRITE))
    return str(request.param)


def _without_key_check(original: sql.Prebuilt) -> sql.Prebuilt:
    """`original` with its key comparison made always true (the parameter is still sent)."""
    broken = sql.Prebuilt(original.statement)

    def compiled(conn: AsyncConnection) -> sql._Compiled:
        found = original.compiled(conn)
        key_check = r"ledger_heads\.key_id = (\$\d+)::VARCHAR"
        text = re.sub(key_check, r"\1::VARCHAR IS NOT NULL", found.sql)
        assert text != found.sql
        return sql._Compiled(text, found.names)

    broken.compiled = compiled  # type: ignore[method-assign]  # the broken variant
    return broken


async def _append(
    sequencer: Sequencer, fx: LedgerFixture, postings: Sequence[Posting]
) -> list[Appended]:
    results = await sequencer.append(postings, fx.now)
    assert all(isinstance(r, Appended) for r in results), results
    return [r for r in results if isinstance(r, Appended)]


def _credits(tag: str, count: int) -> list[Posting]:
    return [
        Posting("credit", ISSUANCE, MEMBERS[i % len(MEMBERS)], 1 + i % 5, f"{tag}-{i}")
        for i in range(count)
    ]


async def test_after_one_careful_batch_the_writer_goes_fast(
    opened: LedgerFixture, careful_batches: list[int]
) -> None:
    """Only the first batch locks and reads; the chain and balances are as if all had."""
    fx = opened
    await fx.open_accounts(*MEMBERS)
    sequencer = Sequencer(fx.db.sessions, fx.keystore, fx.ledger)
    try:
        written = [await _append(sequencer, fx, _credits(f"b{b}", 10)) for b in range(5)]
    finally:
        await sequencer.close()
    assert careful_batches == [10]
    seqs = [a.entry.seq for batch in written for a in batch]
    assert seqs == list(range(1, 51))
    report = await verify_ledger(database_url=fx.db.url, ledger=fx.ledger)
    assert report.ok, report.faults[:3]
    expected = dict.fromkeys(MEMBERS, 0)
    for posting in (p for b in range(5) for p in _credits(f"b{b}", 10)):
        expected[posting.credit] += posting.amount
    for member, points in expected.items():
        assert await fx.balance(member) == (points, 0)


async def test_a_batch_too_large_for_a_generic_plan_goes_the_careful_way(
    opened: LedgerFixture, careful_batches: list[int]
) -> None:
    """The fast path's plans are made once for any batch size; a batch above the limit is
    written with a plan made for it, and the next small batch goes fast again."""
    fx = opened
    await fx.open_accounts(*MEMBERS)
    sequencer = Sequencer(fx.db.sessions, fx.keystore, fx.ledger)
    large = MAX_FAST_POSTINGS + 1
    try:
        for tag, count in (("a", 2), ("b", large), ("c", 3)):
            await _append(sequencer, fx, _credits(tag, count))
    finally:
        await sequencer.close()
    assert careful_batches == [2, large]
    report = await verify_ledger(database_url=fx.db.url, ledger=fx.ledger)
    assert report.ok, report.faults[:3]


async def test_what_memory_cannot_decide_goes_the_careful_way(
    opened: LedgerFixture, careful_batches: list[int]
) -> None:
    """A replayed ref, a refused spend and an unknown account each send their batch the
    careful way, which answers them exactly as an append under the lock does."""
    fx = opened
    await fx.open_accounts(*MEMBERS, "shop")
    sequencer = Sequencer(fx.db.sessions, fx.keystore, fx.ledger)
    first = _credits("a", 4)
    try:
        await _append(sequencer, fx, first)
        replayed = await _append(sequencer, fx, [first[0]])
        overspend = Posting("spend", MEMBERS[0], "shop", 100, "too-much")
        refused = await sequencer.append([overspend], fx.now)
        unknown = await sequencer.append([Posting("credit", ISSUANCE, "m-x", 1, "x")], fx.now)
        fast = await _append(sequencer, fx, _credits("b", 3))
    finally:
        await sequencer.close()
    assert (replayed[0].replayed, replayed[0].entry.seq) == (True, 1)
    assert isinstance(refused[0], errors.InsufficientPoints)
    assert isinstance(unknown[0], errors.AccountNotFound)
    assert careful_batches == [4, 1, 1, 1]
    assert [a.entry.seq for a in fast] == [5, 6, 7]


async def test_a_ref_already_written_by_another_writer_is_replayed(
    opened: LedgerFixture, careful_batches: list[int]
) -> None:
    """The fast path takes refs to be new; one that another writer recorded meanwhile makes
    the statement fail on the unique index, and the careful way replays it."""
    fx = opened
    await fx.open_accounts(*MEMBERS)
    sequencer = Sequencer(fx.db.sessions, fx.keystore, fx.ledger)
    try:
        await _append(sequencer, fx, _credits("a", 2))
        await fx.credit(MEMBERS[0], 1, "elsewhere")
        same = Posting("credit", ISSUANCE, MEMBERS[0], 1, "elsewhere")
        [again] = await _append(sequencer, fx, [same])
    finally:
        await sequencer.close()
    assert (again.replayed, again.entry.seq) == (True, 3)
    assert careful_batches == [2, 1, 1]  # the sequencer's first, the other writer's, the replay


async def _rotate_keys(fx: LedgerFixture, times: int, pause_seconds: float) -> None:
    for _ in range(times):
        await asyncio.sleep(pause_seconds)  # real concurrency: let batches run in between
        async with fx.db.sessions.begin() as session:
            await service.rotate_key(session, keystore=fx.keystore, ledger=fx.ledger, now=fx.now)


async def _append_directly(fx: LedgerFixture, count: int) -> None:
    for i in range(count):
        await fx.credit(MEMBERS[i % len(MEMBERS)], 1, f"direct-{i}")
        await asyncio.sleep(0.015)


async def _scenario(fx: LedgerFixture) -> None:
    await fx.open_accounts(*MEMBERS)
    committer = GroupCommitter(fx.db.sessions, fx.keystore, clock=lambda: fx.now)

    async def produce(producer: int) -> list[Appended]:
        postings = _credits(f"p{producer}", PER_PRODUCER)
        return [await committer.submit(fx.ledger, p) for p in postings]

    try:
        runs, _ = await asyncio.gather(
            asyncio.gather(*(produce(p) for p in range(8))),
            asyncio.gather(_rotate_keys(fx, 20, 0.005), _append_directly(fx, 10)),
        )
    finally:
        await committer.close()
    produced = [a for run in runs for a in run]
    assert len({a.entry.seq for a in produced}) == 8 * PER_PRODUCER
    report = await verify_ledger(database_url=fx.db.url, ledger=fx.ledger)
    assert report.ok, report.faults[:3]
    async with fx.db.sessions() as session:
        chain = await service.entries(session, ledger=fx.ledger, start_seq=1, limit=10_000)
    by_seq = {e.seq: e for e in chain}
    assert len(chain) == 8 * PER_PRODUCER + 10
    assert all(by_seq[a.entry.seq].hash == a.entry.hash for a in produced)


async def test_other_writers_and_key_rotations_interleave_with_fast_batches(
    opened: LedgerFixture, variant: str
) -> None:
    """Eight producers through group commit, a writer appending in its own transactions and
    twenty key rotations, all at once: one gapless chain that verifies, every producer's
    entry in it."""
    if variant == "correct":
        await _scenario(opened)
    else:
        with pytest.raises(AssertionError):
            await _scenario(opened)


async def test_a_write_that_would_miss_a_row_changes_nothing(
    opened: LedgerFixture, careful_batches: list[int]
) -> None:
    """If memory named an account the database lacks (only a bug could cause that), the
    statement fails as a whole: none of it is committed, and the careful way refuses."""
    fx = opened
    await fx.open_accounts(*MEMBERS)
    sequencer = Sequencer(fx.db.sessions, fx.keystore, fx.ledger)
    first = _credits("a", 2)
    try:
        await _append(sequencer, fx, first)
        assert sequencer._memory is not None
        sequencer._memory.accounts["m-ghost"] = AccountState(0, 0, allow_negative=False)
        ghost = Posting("credit", ISSUANCE, "m-ghost", 5, "ghost")
        [refused] = await sequencer.append([ghost], fx.now)
    finally:
        await sequencer.close()
    assert isinstance(refused, errors.AccountNotFound)
    assert careful_batches == [2, 1]
    async with fx.db.sessions() as session:
        chain = await service.entries(session, ledger=fx.ledger, start_seq=1, limit=10)
    assert [e.ref for e in chain] == [p.ref for p in first]
    assert await fx.balance(ISSUANCE) == (-sum(p.amount for p in first), 0)
