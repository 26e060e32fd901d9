"""Real concurrency on PostgreSQL: scans and decisions in parallel transactions.

Each scenario also runs against a deliberately broken variant (monkeypatched), and the same
assertions must then fail, which shows the scenario detects what it is meant to detect:
- one scan sent 100 times: the insert without its ON CONFLICT (read, then insert);
- capacity: places counted by reading the check-ins instead of one conditional UPDATE;
- approve against reject: the claim without its `state = 'pending'` condition.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlmodel import col

from checkin import approval, scans
from checkin.errors import CapacityReached, NotPending
from checkin.models import PENDING, Checkin, Event
from config.database import make_sessionmaker
from ledger.errors import Refusal
from tests.checkin.helpers import Scene

pytestmark = pytest.mark.postgres

checkins_table = scans.checkins_table


POOL_CONNECTIONS = 20
RACE_WINDOW_SECONDS = 0.05


@pytest.fixture
def backend() -> str:
    """These scenarios need a server that runs transactions in parallel."""
    return "postgresql"


@pytest.fixture
async def scene(scene: Scene) -> AsyncIterator[Scene]:
    """The scene on its own pool of at most POOL_CONNECTIONS connections: requests beyond
    that wait for a connection, as they would behind a server's pool."""
    engine = create_async_engine(scene.world.db.url, pool_size=POOL_CONNECTIONS, max_overflow=0)
    scene.own_sessions = make_sessionmaker(engine)
    yield scene
    await engine.dispose()


async def _read_then_insert(session: AsyncSession, values: dict[str, Any]) -> Checkin | None:
    """Broken: look for an existing check-in, then insert (a race between the two)."""
    statement = select(Checkin).where(
        col(Checkin.event_id) == values["event_id"],
        col(Checkin.member_id) == values["member_id"],
    )
    if (await session.execute(statement)).scalar_one_or_none() is not None:
        return None
    # Widen the window between the read and the write so that the race this variant has is
    # met on every run, whatever the machine's load, not only on most runs.
    await asyncio.sleep(RACE_WINDOW_SECONDS)
    inserted = insert(checkins_table).values(**values).returning(*checkins_table.c)
    return Checkin(**(await session.execute(inserted)).mappings().one())


async def _count_then_take(session: AsyncSession, event: Event, *, states: tuple[str, ...]) -> None:
    """Broken: count the event's check-ins (committed ones) and refuse at capacity."""
    del states
    statement = select(func.count()).where(
        checkins_table.c.event_id == event.id, checkins_table.c.state == PENDING
    )
    others = (await session.execute(statement)).scalar_one() - 1  # this scan's own row
    if others >= event.capacity:
        raise CapacityReached(event_id=event.id or 0)
    await asyncio.sleep(RACE_WINDOW_SECONDS)  # as in _read_then_insert


async def _claim_unconditionally(
    session: AsyncSession,
    checkin_id: int,
    *,
    to: str,
    decided_by: int | None,
    now: datetime,
    reason: str = "",
) -> None:
    """Broken: decide without checking that the check-in is still pending."""
    await session.execute(
        update(checkins_table)
        .where(checkins_table.c.id == checkin_id)
        .values(state=to, decided_by=decided_by, decided_at=now, reason=reason)
    )


BROKEN: dict[str, tuple[Any, str, Callable[..., Awaitable[Any]]]] = {
    "one_scan": (scans, "_insert", _read_then_insert),
    "capacity": (scans, "take_place", _count_then_take),
    "decisions": (approval, "claim", _claim_unconditionally),
}


@pytest.fixture(params=["correct", "broken"])
def variant(request: pytest.FixtureRequest) -> str:
    """The service as written, or with one safeguard removed."""
    return str(request.param)


async def _gather(*operations: Awaitable[Any]) -> list[Any]:
    async def one(operation: Awaitable[Any]) -> Any:
        try:
            return await operation
        except Exception as exc:  # noqa: BLE001 (the scenario counts every kind of outcome)
            return exc

    return list(await asyncio.gather(*(one(o) for o in operations)))


async def _checkin_count(scene: Scene, event_id: int) -> int:
    async with scene.sessions() as session:
        statement = select(func.count()).where(checkins_table.c.event_id == event_id)
        return int((await session.execute(statement)).scalar_one())


async def _scenario_one_scan(scene: Scene) -> None:
    event = await scene.event(capacity=5)
    token = await scene.code(event)
    results = await _gather(*(scene.scan("resident", token) for _ in range(100)))
    assert all(isinstance(r, scans.ScanResult) for r in results), results
    assert sorted(r.existing for r in results) == [False] + [True] * 99
    assert len({r.checkin.id for r in results}) == 1
    assert await _checkin_count(scene, event.id or 0) == 1
    assert (await scene.reload(event)).checkin_count == 1


async def _scenario_capacity(scene: Scene) -> None:
    names = [f"v{i}" for i in range(40)]
    for name in names:
        await scene.add_member(name)
        await scene.principal(name)
    event = await scene.event(capacity=10)
    token = await scene.code(event)
    results = await _gather(*(scene.scan(name, token) for name in names))
    admitted = [r for r in results if isinstance(r, scans.ScanResult)]
    full = [r for r in results if isinstance(r, CapacityReached)]
    assert len(admitted) == 10
    assert len(full) == 30
    assert await _checkin_count(scene, event.id or 0) == 10
    assert (await scene.reload(event)).checkin_count == 10


async def _scenario_decisions(scene: Scene) -> None:
    names = [f"d{i}" for i in range(20)]
    event = await scene.event(capacity=50)
    token = await scene.code(event)
    ids = []
    for name in names:
        await scene.add_member(name)
        ids.append((await scene.scan(name, token)).checkin.id or 0)
    await scene.principal("captain")
    await scene.principal("admin")
    before = (await scene.snapshot()).ledger_entries
    operations = []
    for checkin_id in ids:
        operations += [scene.approve("captain", checkin_id), scene.reject("admin", checkin_id)]
    results = await _gather(*operations)
    approved = 0
    for index, checkin_id in enumerate(ids):
        approve_result, reject_result = results[2 * index], results[2 * index + 1]
        won = [not isinstance(r, Refusal | Exception) for r in (approve_result, reject_result)]
        assert won.count(True) == 1, (approve_result, reject_result)
        loser = reject_result if won[0] else approve_result
        assert isinstance(loser, NotPending)
        final = await scene.checkin(checkin_id)
        assert final.state == ("approved" if won[0] else "rejected")
        assert (final.ledger_seq is not None) == won[0]
        approved += won[0]
    assert (await scene.snapshot()).ledger_entries == before + approved


SCENARIOS = {
    "one_scan": _scenario_one_scan,
    "capacity": _scenario_capacity,
    "decisions": _scenario_decisions,
}


async def _run(name: str, scene: Scene, variant: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if variant == "correct":
        await SCENARIOS[name](scene)
        return
    module, attribute, broken = BROKEN[name]
    monkeypatch.setattr(module, attribute, broken)
    with pytest.raises(AssertionError):
        await SCENARIOS[name](scene)


async def test_one_scan_sent_a_hundred_times_records_one_checkin(
    scene: Scene, variant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same valid scan sent 100 times at once records one check-in; the other 99
    answers show that check-in as existing."""
    await _run("one_scan", scene, variant, monkeypatch)


async def test_concurrent_scans_fill_exactly_the_capacity(
    scene: Scene, variant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Forty members scanning a ten-place event at once give exactly ten check-ins and
    thirty capacity_reached refusals."""
    await _run("capacity", scene, variant, monkeypatch)


async def test_approve_and_reject_racing_give_one_outcome(
    scene: Scene, variant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Approve and reject of the same check-in at once: exactly one wins, the other gets
    not_pending, and only approved check-ins have a credit."""
    await _run("decisions", scene, variant, monkeypatch)
