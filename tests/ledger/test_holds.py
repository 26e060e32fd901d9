"""Pending transfers: hold, then exactly one of commit, void or expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ledger import errors, service
from ledger.types import Appended, HoldAction, Posting
from tests.ledger.conftest import LedgerFixture

TTL_SECONDS = 600


async def _hold(fx: LedgerFixture, amount: int, ref: str = "h1") -> Appended:
    async with fx.db.sessions.begin() as session:
        return await service.place_hold(
            session,
            keystore=fx.keystore,
            ledger=fx.ledger,
            posting=Posting("redeem", "m-a", "shop-1", amount, ref),
            ttl_seconds=TTL_SECONDS,
            now=fx.now,
        )


async def _resolve(
    fx: LedgerFixture, hold_seq: int, action: HoldAction, ref: str, later_seconds: int = 0
) -> Appended:
    async with fx.db.sessions.begin() as session:
        return await service.resolve_hold(
            session,
            keystore=fx.keystore,
            ledger=fx.ledger,
            hold_seq=hold_seq,
            action=action,
            ref=ref,
            now=fx.now + timedelta(seconds=later_seconds),
        )


@pytest.fixture
async def funded(opened: LedgerFixture) -> LedgerFixture:
    """A member with 50 points and a shop."""
    await opened.open_accounts("m-a", "shop-1")
    await opened.credit("m-a", 50, "fund")
    return opened


async def test_hold_reserves_points_without_moving_them(funded: LedgerFixture) -> None:
    """A hold leaves the balance and raises the held points, so less is available."""
    hold = await _hold(funded, 20)
    assert hold.entry.kind == "hold"
    assert hold.entry.meta["expires_ts"] == "2026-03-01T08:10:00.000000Z"
    assert await funded.balance("m-a") == (50, 20)
    assert await funded.balance("shop-1") == (0, 0)


async def test_commit_moves_held_points(funded: LedgerFixture) -> None:
    """Committing a hold moves its points to the credit account and releases them."""
    hold = await _hold(funded, 20)
    commit = await _resolve(funded, hold.entry.seq, "commit", "h1/commit")
    assert commit.entry.kind == "hold.commit"
    assert commit.entry.meta["hold"] == hold.entry.seq
    assert await funded.balance("m-a") == (30, 0)
    assert await funded.balance("shop-1") == (20, 0)


async def test_void_releases_held_points(funded: LedgerFixture) -> None:
    """Voiding a hold returns its points to available and moves nothing."""
    hold = await _hold(funded, 20)
    await _resolve(funded, hold.entry.seq, "void", "h1/void")
    assert await funded.balance("m-a") == (50, 0)
    assert await funded.balance("shop-1") == (0, 0)


async def test_repeated_commit_returns_the_first_outcome(funded: LedgerFixture) -> None:
    """A commit repeated with its ref replays the first commit and moves nothing more."""
    hold = await _hold(funded, 20)
    first = await _resolve(funded, hold.entry.seq, "commit", "h1/commit")
    again = await _resolve(funded, hold.entry.seq, "commit", "h1/commit")
    assert again.replayed
    assert again.entry == first.entry
    assert await funded.balance("m-a") == (30, 0)


@pytest.mark.parametrize(("first", "second"), [("commit", "void"), ("void", "commit")])
async def test_second_resolution_is_refused(
    funded: LedgerFixture, first: HoldAction, second: HoldAction
) -> None:
    """Once resolved, a hold refuses the other resolution with hold_already_resolved."""
    hold = await _hold(funded, 20)
    await _resolve(funded, hold.entry.seq, first, f"h1/{first}")
    before = (await funded.balance("m-a"), await funded.balance("shop-1"))
    with pytest.raises(errors.HoldAlreadyResolved) as refused:
        await _resolve(funded, hold.entry.seq, second, f"h1/{second}")
    assert refused.value.code == "hold_already_resolved"
    assert (await funded.balance("m-a"), await funded.balance("shop-1")) == before


async def test_expired_hold_is_not_held_and_cannot_commit(funded: LedgerFixture) -> None:
    """After its TTL a hold no longer counts as held, and committing it is refused."""
    hold = await _hold(funded, 20)
    later = funded.now + timedelta(seconds=TTL_SECONDS)
    async with funded.db.sessions() as session:
        seen = await service.balance(session, ledger=funded.ledger, account="m-a", now=later)
    assert (seen.balance_points, seen.held_points) == (50, 0)
    with pytest.raises(errors.HoldExpired) as refused:
        await _resolve(funded, hold.entry.seq, "commit", "h1/commit", TTL_SECONDS)
    assert refused.value.code == "hold_expired"
    assert await funded.balance("m-a") == (50, 20)


async def test_expiry_task_appends_expiry_entries_once(funded: LedgerFixture) -> None:
    """The expiry pass appends one hold.expire entry per overdue hold, and none twice."""
    first = await _hold(funded, 10, "h1")
    await _hold(funded, 10, "h2")
    later = funded.now + timedelta(seconds=TTL_SECONDS + 1)
    passes = []
    for _ in range(2):
        async with funded.db.sessions.begin() as session:
            expired = await service.expire_due_holds(
                session, keystore=funded.keystore, ledger=funded.ledger, now=later
            )
        passes.append([e.entry.meta["hold"] for e in expired])
    assert passes == [[first.entry.seq, first.entry.seq + 1], []]
    assert await funded.balance("m-a") == (50, 0)


async def test_hold_beyond_available_is_refused(funded: LedgerFixture) -> None:
    """A hold larger than the available points is refused with insufficient_points."""
    await _hold(funded, 40, "h1")
    with pytest.raises(errors.InsufficientPoints):
        await _hold(funded, 11, "h2")
    assert await funded.balance("m-a") == (50, 40)


async def test_spending_releases_overdue_holds_first(funded: LedgerFixture) -> None:
    """A spend that needs points tied in an overdue hold expires that hold in the same step."""
    hold = await _hold(funded, 40, "h1")
    later = funded.now + timedelta(seconds=TTL_SECONDS + 5)
    async with funded.db.sessions.begin() as session:
        spent = await service.append(
            session,
            keystore=funded.keystore,
            ledger=funded.ledger,
            posting=Posting("spend", "m-a", "shop-1", 30, "s1"),
            now=later,
        )
        entries = await service.entries(
            session, ledger=funded.ledger, start_seq=hold.entry.seq + 1, limit=10
        )
    assert [e.kind for e in entries] == ["hold.expire", "spend"]
    assert spent.entry.seq == hold.entry.seq + 2
    async with funded.db.sessions() as session:
        seen = await service.balance(session, ledger=funded.ledger, account="m-a", now=later)
    assert (seen.balance_points, seen.held_points) == (20, 0)


async def test_spending_expires_an_overdue_hold_towards_another_account(
    funded: LedgerFixture,
) -> None:
    """A spend to one shop still expires an overdue hold that would have paid another."""
    await funded.open_accounts("shop-2")
    hold = await _hold(funded, 40, "h1")
    later = funded.now + timedelta(seconds=TTL_SECONDS + 5)
    async with funded.db.sessions.begin() as session:
        spent = await service.append(
            session,
            keystore=funded.keystore,
            ledger=funded.ledger,
            posting=Posting("spend", "m-a", "shop-2", 30, "s1"),
            now=later,
        )
    assert spent.entry.seq == hold.entry.seq + 2
    async with funded.db.sessions() as session:
        seen = await service.balance(session, ledger=funded.ledger, account="m-a", now=later)
    assert (seen.balance_points, seen.held_points) == (20, 0)
    assert await funded.balance("shop-1") == (0, 0)
    assert await funded.balance("shop-2") == (30, 0)


async def test_unknown_hold_is_refused(funded: LedgerFixture) -> None:
    """Resolving a seq that is no hold is refused with hold_not_found."""
    with pytest.raises(errors.HoldNotFound):
        await _resolve(funded, 1, "commit", "x/commit")


async def test_expiring_a_live_hold_is_refused(funded: LedgerFixture) -> None:
    """A hold cannot be expired before its time; that is refused with hold_not_expired."""
    hold = await _hold(funded, 10)
    with pytest.raises(errors.HoldNotExpired):
        await _resolve(funded, hold.entry.seq, "expire", "h1/expire")
    assert await funded.balance("m-a") == (50, 10)


async def test_hold_clock_starts_at_its_entry_time(funded: LedgerFixture) -> None:
    """A hold asked with a clock behind the chain still lasts its full TTL from its entry."""
    ahead = funded.now + timedelta(seconds=100)
    async with funded.db.sessions.begin() as session:
        await service.append(
            session,
            keystore=funded.keystore,
            ledger=funded.ledger,
            posting=Posting("spend", "m-a", "shop-1", 1, "ahead"),
            now=ahead,
        )
    hold = await _hold(funded, 5)
    assert hold.entry.ts == "2026-03-01T08:01:40.000000Z"
    assert hold.entry.meta["expires_ts"] == "2026-03-01T08:11:40.000000Z"
