"""Group commit: many producers' postings appended in shared transactions.

Each producer's outcome (its entry, or its refusal) must reach that producer and no other.
The scenario is also run against a deliberately broken variant of the committer, which
hands a batch's outcomes to its producers in the wrong order, and the same assertions must
then fail.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest

from ledger import errors, group_commit, service
from ledger.group_commit import GroupCommitter
from ledger.sequencer import Sequencer
from ledger.types import Appended, Posting
from tests.ledger.conftest import ISSUANCE, LedgerFixture

PRODUCERS = 12
SHOP = "shop-1"


@dataclass(frozen=True)
class Step:
    """A posting a producer submits and the outcome it must get back."""

    posting: Posting
    expect: type[errors.Refusal] | None = None
    replayed: bool = False


def _steps(producer: int) -> list[Step]:
    """A producer's postings: credits, spends up to and past its balance, replays, refusals.

    Each producer spends only from its own account, so every outcome is the same whatever
    the batches turn out to be.
    """
    me, tag = f"m-{producer}", f"p{producer}"
    credit = Posting("credit", ISSUANCE, me, 10 + producer, f"{tag}-credit")
    return [
        Step(credit),
        Step(Posting("spend", me, SHOP, 4, f"{tag}-spend-1")),
        Step(
            Posting("spend", me, SHOP, 10 + producer, f"{tag}-spend-2"), errors.InsufficientPoints
        ),
        Step(Posting("credit", ISSUANCE, "m-nobody", 1, f"{tag}-lost"), errors.AccountNotFound),
        Step(credit, replayed=True),
        Step(Posting("credit", ISSUANCE, me, 99, f"{tag}-credit"), errors.IdempotencyMismatch),
        Step(Posting("spend", me, SHOP, 6 + producer, f"{tag}-spend-3")),
        Step(Posting("spend", me, SHOP, 1, f"{tag}-spend-4"), errors.InsufficientPoints),
    ]


@dataclass
class Outcome:
    step: Step
    result: Appended | Exception


async def _produce(committer: GroupCommitter, ledger: str, steps: Sequence[Step]) -> list[Outcome]:
    outcomes = []
    for step in steps:
        try:
            result: Appended | Exception = await committer.submit(ledger, step.posting)
        except Exception as exc:  # noqa: BLE001 (the scenario checks every kind of outcome)
            result = exc
        outcomes.append(Outcome(step, result))
    return outcomes


def _check(outcome: Outcome) -> None:
    step, result = outcome.step, outcome.result
    if step.expect is not None:
        assert isinstance(result, step.expect), (step.posting.ref, result)
        return
    assert isinstance(result, Appended), (step.posting.ref, result)
    assert result.replayed == step.replayed
    assert result.entry.posting() == step.posting


async def _chain(fx: LedgerFixture) -> list[int]:
    async with fx.db.sessions() as session:
        found = await service.entries(session, ledger=fx.ledger, start_seq=1, limit=10_000)
    assert all(b.prev == a.hash for a, b in itertools.pairwise(found))
    return [e.seq for e in found]


async def _scenario(fx: LedgerFixture, batch_sizes: list[int]) -> None:
    await fx.open_accounts(SHOP, *(f"m-{p}" for p in range(PRODUCERS)))
    committer = GroupCommitter(fx.db.sessions, fx.keystore, clock=lambda: fx.now)
    try:
        runs = await asyncio.gather(
            *(_produce(committer, fx.ledger, _steps(p)) for p in range(PRODUCERS))
        )
    finally:
        await committer.close()
    for outcome in itertools.chain.from_iterable(runs):
        _check(outcome)
    written = [
        o.result.entry.seq
        for o in itertools.chain.from_iterable(runs)
        if isinstance(o.result, Appended) and not o.result.replayed
    ]
    assert await _chain(fx) == sorted(written) == list(range(1, 3 * PRODUCERS + 1))
    assert max(batch_sizes) > 1  # the postings did share transactions
    for p in range(PRODUCERS):
        assert await fx.balance(f"m-{p}") == (0, 0)
    issued = sum(10 + p for p in range(PRODUCERS))
    assert await fx.balance(SHOP) == (issued, 0)
    assert await fx.balance(ISSUANCE) == (-issued, 0)


@pytest.fixture
def batch_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of postings in each transaction the committer runs."""
    sizes: list[int] = []
    append = Sequencer.append

    async def counted(self: Sequencer, postings: Sequence[Posting], now: datetime) -> object:
        sizes.append(len(postings))
        return await append(self, postings, now)

    monkeypatch.setattr(Sequencer, "append", counted)
    return sizes


@pytest.fixture(params=["correct", "broken"])
def variant(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The committer as written, or one that hands each batch's outcomes out rotated."""
    if request.param == "broken":
        deliver = group_commit._deliver

        def rotated(batch: list[Any], results: list[Any]) -> None:
            deliver(batch, results[1:] + results[:1])

        monkeypatch.setattr(group_commit, "_deliver", rotated)
    return str(request.param)


async def test_each_producer_gets_its_own_outcome(
    opened: LedgerFixture, batch_sizes: list[int], variant: str
) -> None:
    """Twelve producers' entries and refusals reach the producer that submitted each posting,
    the chain stays gapless and every balance is what the postings say."""
    if variant == "correct":
        await _scenario(opened, batch_sizes)
    else:
        with pytest.raises(AssertionError):
            await _scenario(opened, batch_sizes)


async def test_a_failed_batch_fails_each_of_its_postings(opened: LedgerFixture) -> None:
    """When a batch cannot be written at all, every producer in it gets the error, nothing is
    written, and the ledger's writer goes on with later postings."""
    fx, late = opened, f"{opened.ledger}-late"
    committer = GroupCommitter(fx.db.sessions, fx.keystore, clock=lambda: fx.now)
    postings = [Posting("credit", ISSUANCE, "m-a", 1, f"r{i}") for i in range(5)]
    try:
        failed = await asyncio.gather(
            *(committer.submit(late, p) for p in postings), return_exceptions=True
        )
        async with fx.db.sessions.begin() as session:
            await service.open_ledger(session, keystore=fx.keystore, ledger=late, now=fx.now)
            await service.open_account(session, ledger=late, account=ISSUANCE, allow_negative=True)
            await service.open_account(session, ledger=late, account="m-a")
        later = await committer.submit(late, postings[0])
    finally:
        await committer.close()
    assert [type(f) for f in failed] == [errors.LedgerNotFound] * len(postings)
    assert (later.entry.seq, later.entry.ref, later.replayed) == (1, "r0", False)
    async with fx.db.sessions() as session:
        found = await service.balance(session, ledger=late, account="m-a", now=fx.now)
    assert found.balance_points == 1
