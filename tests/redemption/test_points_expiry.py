"""Optional points expiry: oldest points first, an appended entry, once per member and period."""

from __future__ import annotations

from datetime import UTC, date, datetime

from api.context import context_of
from api.redemption_jobs import expire_points as expiry_job
from api.routes.redemption import JOBS
from ledger import service as ledger_service
from ledger.types import Entry
from organisation.pseudonyms import EXPIRY_ACCOUNT
from redemption import expiry
from redemption.models import CommunityRedemptionSettings
from redemption.policy import set_community_policy
from rules.leaderboard import EarningKind, EarningRecord, Window, member_leaderboard
from tests.redemption.conftest import Front

# Midnight of 1 January 2028 in Shanghai: the end of 2027, when points of 2026 expire.
END_OF_2027 = datetime(2027, 12, 31, 16, 0, tzinfo=UTC)
END_OF_2028 = datetime(2028, 12, 31, 16, 0, tzinfo=UTC)


async def _enable(front: Front, period: str = "year", after: int = 1) -> None:
    async with front.db.sessions.begin() as session:
        await set_community_policy(
            session,
            community_id=front.community.id or 0,
            timezone="Asia/Shanghai",
            refund_window_days=7,
            expiry_enabled=True,
            expiry_period=period,
            expiry_after_periods=after,
        )


async def _run(front: Front) -> expiry.ExpiryRun:
    async with front.db.sessions.begin() as session:
        policy = await session.get(CommunityRedemptionSettings, front.community.id)
        assert policy is not None
        return await expiry.expire_points(
            session,
            keystore=front.keystore,
            community=front.community,
            policy=policy,
            now=front.clock(),
        )


async def _history(front: Front) -> list[Entry]:
    async with front.db.sessions() as session:
        return await ledger_service.account_entries(
            session, ledger=front.ledger, account=front.member().account, before_seq=None, limit=200
        )


async def test_unspent_points_expire_at_the_end_of_the_next_year(front: Front) -> None:
    """Points of 2026 left unspent expire at the end of 2027 as one expiry entry, once."""
    await _enable(front)
    resident = front.member()
    await front.fund(resident, 30)
    await front.redeem(await front.add_reward(price_points=10))
    front.clock.now = datetime(2027, 12, 31, 15, 59, 59, tzinfo=UTC)
    assert (await _run(front)).posted == 0
    assert await front.balance(resident) == (20, 0)
    front.clock.now = END_OF_2027
    run = await _run(front)
    assert (run.posted, run.skipped, run.through) == (1, 0, "2026")
    newest = (await _history(front))[0]
    assert (newest.kind, newest.debit, newest.credit, newest.amount) == (
        "expiry",
        resident.account,
        EXPIRY_ACCOUNT,
        20,
    )
    assert newest.ref == expiry.expiry_ref(resident.account, "2026")
    assert newest.meta == {"period": "2026"}
    assert await front.balance(resident) == (0, 0)
    before = await front.snapshot()
    assert (await _run(front)).posted == 0
    assert await front.snapshot() == before


async def test_spending_uses_the_oldest_points_first(front: Front) -> None:
    """Spending takes points of 2026 before those of 2027, so only 2027's rest expires later."""
    await _enable(front)
    resident = front.member()
    await front.fund(resident, 30)  # 2026
    front.clock.now = datetime(2027, 6, 1, 8, 0, tzinfo=UTC)
    await front.fund(resident, 40)  # 2027
    await front.redeem(await front.add_reward(price_points=35))  # 30 of 2026 and 5 of 2027
    front.clock.now = END_OF_2027
    run = await _run(front)
    assert (run.posted, run.through) == (0, "2026")
    assert await front.balance(resident) == (35, 0)
    front.clock.now = END_OF_2028
    run = await _run(front)
    assert (run.posted, run.through) == (1, "2027")
    assert (await _history(front))[0].amount == 35
    assert await front.balance(resident) == (0, 0)


async def test_monthly_expiry_at_the_end_of_the_month(front: Front) -> None:
    """With months and no extra period, March's points expire at local midnight on 1 April."""
    await _enable(front, period="month", after=0)
    await front.fund(front.member(), 12)
    front.clock.now = datetime(2026, 3, 31, 15, 59, tzinfo=UTC)
    assert (await _run(front)).posted == 0
    front.clock.now = datetime(2026, 3, 31, 16, 0, tzinfo=UTC)
    run = await _run(front)
    assert (run.posted, run.through) == (1, "2026-03")
    assert await front.balance(front.member()) == (0, 0)


async def test_held_points_delay_the_expiry_until_the_hold_ends(front: Front) -> None:
    """A member whose points are held is skipped, and their expiry posted at a later run."""
    await _enable(front)
    resident = front.member()
    await front.fund(resident, 30)
    reward = await front.add_reward(price_points=20)
    front.clock.now = datetime(2027, 12, 31, 15, 58, tzinfo=UTC)
    held = await front.scan(await front.code(reward=reward))
    front.clock.now = END_OF_2027
    run = await _run(front)
    assert (run.posted, run.skipped) == (0, 1)
    await front.resolve(held, "void")
    run = await _run(front)
    assert (run.posted, run.skipped) == (1, 0)
    assert await front.balance(resident) == (0, 0)


async def test_expiry_is_off_unless_switched_on(front: Front) -> None:
    """A community without expiry keeps old points for ever."""
    await front.fund(front.member(), 30)
    front.clock.now = END_OF_2028
    async with front.db.sessions.begin() as session:
        policy = CommunityRedemptionSettings(community_id=front.community.id or 0)
        run = await expiry.expire_points(
            session,
            keystore=front.keystore,
            community=front.community,
            policy=policy,
            now=front.clock(),
        )
    assert run == expiry.ExpiryRun(0, 0, None)
    assert await front.balance(front.member()) == (30, 0)


def _earning(entries: list[Entry], account: str) -> list[EarningRecord]:
    kinds = {"credit": EarningKind.CREDIT, "expiry": EarningKind.EXPIRY}
    return [
        EarningRecord(e.seq, account, date.fromisoformat(e.ts[:10]), e.amount, kinds[e.kind])
        for e in entries
        if e.kind in kinds
    ]


async def test_expiry_does_not_change_points_earned(front: Front) -> None:
    """The expiry entry is not earning: the all-time leaderboard score stays what was earned."""
    await _enable(front)
    resident = front.member()
    await front.fund(resident, 30)
    today = date(2028, 1, 2)
    before = member_leaderboard(
        _earning(await _history(front), resident.account), window=Window.ALL_TIME, today=today
    )
    front.clock.now = END_OF_2027
    assert (await _run(front)).posted == 1
    after = member_leaderboard(
        _earning(await _history(front), resident.account), window=Window.ALL_TIME, today=today
    )
    assert after == before
    assert after[0].points == 30


async def test_the_service_schedules_points_expiry(front: Front) -> None:
    """The app's periodic jobs include points expiry, which posts for enabled communities."""
    assert "points-expiry" in {job.name for job in JOBS}
    await _enable(front)
    await front.fund(front.member(), 30)
    front.clock.now = END_OF_2027
    context = context_of(front.world.app().state)
    try:
        assert await expiry_job(context) >= 1
    finally:
        await context.engine.dispose()
    assert await front.balance(front.member()) == (0, 0)
