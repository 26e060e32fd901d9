"""Real concurrency on PostgreSQL: many transactions on separate connections at once.

Each scenario is also run against a deliberately broken variant of the ledger (the head row
read without its lock), and the same assertions must then fail: that is what shows the
scenario can detect the bugs it is meant to detect. The scenarios that depend on reading
balances and refs after the lock also run against a ledger that trusts the reads its locking
statement took before the lock was granted.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ledger import errors, service, store
from ledger.models import LedgerEntry
from ledger.tables import heads
from ledger.types import Appended, Posting
from tests.conftest import Database
from tests.ledger.conftest import ISSUANCE, LedgerFixture

pytestmark = pytest.mark.postgres


@pytest.fixture
def backend() -> str:
    """These scenarios need a server that runs transactions in parallel."""
    return "postgresql"


async def _unlocked_head(
    session: AsyncSession, ledger: str, wanted: store.Wanted | None = None
) -> store.Head | None:
    """The broken variant: reads the head like lock_head but takes no lock (and reads
    nothing along with it, so the batch's reads follow in a statement of their own)."""
    columns = (heads.c.size, heads.c.head_hash, heads.c.last_ts, heads.c.key_id, heads.c.frontier)
    statement = select(*columns).where(heads.c.ledger == ledger)
    row = (await session.execute(statement)).one_or_none()
    return None if row is None else store.Head(*row)


@pytest.fixture(params=["correct", "broken"])
def variant(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The ledger as written, or with its chain lock removed."""
    if request.param == "broken":
        monkeypatch.setattr(store, "lock_head", _unlocked_head)
    return str(request.param)


@dataclass
class Outcome:
    results: list[Appended | errors.Refusal | Exception]

    def count(self, kind: type) -> int:
        return sum(isinstance(r, kind) for r in self.results)


async def _append_each(db: Database, fx: LedgerFixture, postings: list[Posting]) -> Outcome:
    async def one(posting: Posting) -> Appended | errors.Refusal | Exception:
        try:
            async with db.sessions.begin() as session:
                return await service.append(
                    session, keystore=fx.keystore, ledger=fx.ledger, posting=posting, now=fx.now
                )
        except Exception as exc:  # noqa: BLE001 (the scenario counts every kind of outcome)
            return exc

    return Outcome(list(await asyncio.gather(*(one(p) for p in postings))))


async def _chain_is_gapless(fx: LedgerFixture) -> bool:
    async with fx.db.sessions() as session:
        found = await service.entries(session, ledger=fx.ledger, start_seq=1, limit=100_000)
    seqs_ok = [e.seq for e in found] == list(range(1, len(found) + 1))
    links_ok = all(b.prev == a.hash for a, b in itertools.pairwise(found))
    return seqs_ok and links_ok


async def _scenario_debits(fx: LedgerFixture) -> None:
    await fx.open_accounts("m-a", "shop-1")
    await fx.credit("m-a", 50, "fund")
    postings = [Posting("spend", "m-a", "shop-1", 1, f"d{i}") for i in range(1000)]
    outcome = await _append_each(fx.db, fx, postings)
    assert outcome.count(Appended) == 50
    assert outcome.count(errors.InsufficientPoints) == 950
    assert await fx.balance("m-a") == (0, 0)
    assert await fx.balance("shop-1") == (50, 0)
    assert await _chain_is_gapless(fx)


async def _scenario_appends(fx: LedgerFixture) -> None:
    await fx.open_accounts("m-a")
    postings = [Posting("credit", ISSUANCE, "m-a", 1, f"a{i}") for i in range(200)]
    outcome = await _append_each(fx.db, fx, postings)
    assert outcome.count(Appended) == 200
    assert await _chain_is_gapless(fx)
    assert await fx.balance("m-a") == (200, 0)


async def _scenario_one_ref(fx: LedgerFixture) -> None:
    await fx.open_accounts("m-a")
    posting = Posting("credit", ISSUANCE, "m-a", 3, "the-same-ref")
    outcome = await _append_each(fx.db, fx, [posting] * 100)
    appended = [r for r in outcome.results if isinstance(r, Appended)]
    assert len(appended) == 100
    assert Counter(r.replayed for r in appended) == {True: 99, False: 1}
    assert len({r.entry.seq for r in appended}) == 1
    async with fx.db.sessions() as session:
        statement = select(func.count()).where(LedgerEntry.ledger == fx.ledger)  # type: ignore[arg-type]
        assert (await session.execute(statement)).scalar_one() == 1
    assert await fx.balance("m-a") == (3, 0)


async def _run(scenario_name: str, fx: LedgerFixture, variant: str) -> None:
    scenario = {
        "debits": _scenario_debits,
        "appends": _scenario_appends,
        "one_ref": _scenario_one_ref,
    }[scenario_name]
    if variant == "correct":
        await scenario(fx)
    else:
        with pytest.raises(AssertionError):
            await scenario(fx)


async def test_thousand_concurrent_debits_against_fifty_points(
    opened: LedgerFixture, variant: str
) -> None:
    """1,000 concurrent 1-point debits against 50 points give exactly 50 successes."""
    await _run("debits", opened, variant)


async def test_two_hundred_concurrent_appends_leave_a_gapless_chain(
    opened: LedgerFixture, variant: str
) -> None:
    """200 concurrent appends all land, with contiguous seqs and intact links."""
    await _run("appends", opened, variant)


async def test_hundred_concurrent_appends_with_one_ref_make_one_entry(
    opened: LedgerFixture, variant: str
) -> None:
    """100 concurrent appends with one ref write one entry; the rest replay it."""
    await _run("one_ref", opened, variant)


@pytest.mark.parametrize("scenario_name", ["debits", "one_ref"])
async def test_a_read_older_than_the_lock_is_not_trusted(
    opened: LedgerFixture, monkeypatch: pytest.MonkeyPatch, scenario_name: str
) -> None:
    """The reads that the locking statement takes along are used only when nothing was
    appended while the lock was awaited; trusting them anyway (the broken variant here)
    overspends and writes a ref twice, which the scenarios detect."""
    monkeypatch.setattr(store, "_fresh", lambda _seen, _locked: True)
    await _run(scenario_name, opened, "broken")
