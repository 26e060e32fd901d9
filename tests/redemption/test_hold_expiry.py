"""Holds nobody resolves expire after hold_ttl_seconds and release points and stock."""

from __future__ import annotations

import pytest

from api.context import context_of
from api.redemption_jobs import expire_overdue_holds
from api.routes.redemption import JOBS
from ledger import service as ledger_service
from ledger.errors import Refusal
from redemption import holds
from redemption.models import EXPIRED, HELD
from tests.redemption.conftest import HOLD_TTL_SECONDS, Front


async def _expire(front: Front) -> int:
    async with front.db.sessions.begin() as session:
        return await holds.expire_holds(
            session, keystore=front.keystore, community=front.community, now=front.clock()
        )


async def test_balance_stops_showing_a_hold_at_its_expiry(front: Front) -> None:
    """At its expiry a hold no longer counts as held, before any job has run."""
    resident = front.member()
    await front.fund(resident, 50)
    reward = await front.add_reward(price_points=20, stock=2)
    await front.scan(await front.code(reward=reward))
    front.clock.advance(HOLD_TTL_SECONDS - 1)
    assert await front.balance(resident) == (50, 20)
    front.clock.advance(1)
    assert await front.balance(resident) == (50, 0)


async def test_expiry_job_releases_points_and_stock_once(front: Front) -> None:
    """The expiry pass appends hold.expire, marks the redemption expired, returns the unit;
    a second pass does nothing."""
    resident = front.member()
    await front.fund(resident, 50)
    reward = await front.add_reward(price_points=20, stock=2)
    held = await front.scan(await front.code(reward=reward))
    front.clock.advance(HOLD_TTL_SECONDS - 1)
    assert await _expire(front) == 0
    assert (await front.row(held)).state == HELD
    front.clock.advance(1)
    assert await _expire(front) == 1
    row = await front.row(held)
    assert row.state == EXPIRED
    assert await front.stock(reward) == 2
    assert await front.balance(resident) == (50, 0)
    async with front.db.sessions() as session:
        [entry] = await ledger_service.entries(
            session, ledger=front.ledger, start_seq=row.resolved_seq or 0, limit=1
        )
    assert entry.kind == "hold.expire"
    assert entry.meta["hold"] == held.hold_seq
    before = await front.snapshot()
    assert await _expire(front) == 0
    assert await front.snapshot() == before


async def test_expired_hold_cannot_be_confirmed_after_the_job(front: Front) -> None:
    """Once the job expired a hold, confirming it is refused with hold_expired."""
    await front.fund(front.member(), 50)
    reward = await front.add_reward(price_points=20, stock=2)
    held = await front.scan(await front.code(reward=reward))
    front.clock.advance(HOLD_TTL_SECONDS)
    await _expire(front)
    before = await front.snapshot()
    with pytest.raises(Refusal) as refused:
        await front.resolve(held, "commit")
    assert refused.value.code == "hold_expired"
    assert await front.snapshot() == before


async def test_a_scan_needing_overdue_held_points_releases_that_redemption(front: Front) -> None:
    """When a new hold needs points of an overdue one, the ledger expires it on the spot and
    the old redemption's unit comes back in the same transaction."""
    resident = front.member()
    await front.fund(resident, 20)
    reward = await front.add_reward(price_points=20, stock=2)
    first = await front.scan(await front.code(reward=reward))
    front.clock.advance(HOLD_TTL_SECONDS + 1)
    second = await front.scan(await front.code(reward=reward))
    assert (await front.row(first)).state == EXPIRED
    assert (await front.row(second)).state == HELD
    assert await front.stock(reward) == 1
    assert await front.balance(resident) == (20, 20)


async def test_the_service_runs_the_expiry_job_by_itself(front: Front) -> None:
    """The app's periodic jobs include the hold expiry, which works on every community."""
    assert "redemption-hold-expiry" in {job.name for job in JOBS}
    await front.fund(front.member(), 50)
    reward = await front.add_reward(price_points=20, stock=1)
    held = await front.scan(await front.code(reward=reward))
    front.clock.advance(HOLD_TTL_SECONDS)
    app = front.world.app()
    context = context_of(app.state)
    try:
        assert await expire_overdue_holds(context) >= 1
    finally:
        await context.engine.dispose()
    assert (await front.row(held)).state == EXPIRED
    assert await front.stock(reward) == 1
