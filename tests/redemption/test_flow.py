"""Scan, confirm and cancel: holds on points and stock, and their idempotency."""

from __future__ import annotations

import pytest

from ledger import service as ledger_service
from ledger.errors import Refusal
from redemption import holds
from redemption.codes import token_from_scan
from redemption.models import COMMITTED, HELD, VOIDED
from redemption.policy import set_shop_policy
from tests.redemption.conftest import HOLD_TTL_SECONDS, Front


async def test_scan_holds_points_and_reserves_one_unit(front: Front) -> None:
    """A scan places a hold on the price and takes one unit of stock, moving no points."""
    resident = front.member()
    await front.fund(resident, 50)
    reward = await front.add_reward(price_points=20, stock=3)
    held = await front.scan(await front.code(reward=reward))
    assert held.state == HELD
    assert held.amount_points == 20
    assert held.stock_reserved
    assert await front.balance(resident) == (50, 20)
    assert await front.balance(front.shop) == (0, 0)
    assert await front.stock(reward) == 2
    async with front.db.sessions() as session:
        [entry] = await ledger_service.entries(
            session, ledger=front.ledger, start_seq=held.hold_seq or 0, limit=1
        )
    assert (entry.kind, entry.debit, entry.credit) == ("hold", resident.account, front.shop.account)
    assert entry.ref == holds.hold_ref(held.code_id)


async def test_commit_moves_points_and_keeps_the_unit_taken(front: Front) -> None:
    """Confirming moves the held points to the shop; the reserved unit stays sold."""
    resident = front.member()
    await front.fund(resident, 50)
    reward = await front.add_reward(price_points=20, stock=3)
    done = await front.redeem(reward)
    assert done.state == COMMITTED
    assert done.resolved_seq == (done.hold_seq or 0) + 1
    assert await front.balance(resident) == (30, 0)
    assert await front.balance(front.shop) == (20, 0)
    assert await front.stock(reward) == 2


async def test_void_returns_the_hold_and_the_unit(front: Front) -> None:
    """Cancelling releases the held points and gives the unit back to the stock."""
    resident = front.member()
    await front.fund(resident, 50)
    reward = await front.add_reward(price_points=20, stock=3)
    held = await front.scan(await front.code(reward=reward))
    voided = await front.resolve(held, "void")
    assert voided.state == VOIDED
    assert await front.balance(resident) == (50, 0)
    assert await front.balance(front.shop) == (0, 0)
    assert await front.stock(reward) == 3


async def test_unlimited_reward_keeps_no_stock(front: Front) -> None:
    """A reward with unlimited stock reserves nothing and stays unlimited after a void."""
    await front.fund(front.member(), 50)
    reward = await front.add_reward(price_points=5)
    held = await front.scan(await front.code(reward=reward))
    assert not held.stock_reserved
    await front.resolve(held, "void")
    assert await front.stock(reward) is None


@pytest.mark.parametrize("action", ["commit", "void"])
async def test_repeating_an_action_returns_its_first_outcome(front: Front, action: str) -> None:
    """Confirming (or cancelling) twice gives the first outcome again and changes nothing more."""
    await front.fund(front.member(), 50)
    reward = await front.add_reward(price_points=20, stock=3)
    held = await front.scan(await front.code(reward=reward))
    first = await front.resolve(held, action)  # type: ignore[arg-type]
    before = await front.snapshot()
    again = await front.resolve(held, action)  # type: ignore[arg-type]
    assert (again.state, again.resolved_seq) == (first.state, first.resolved_seq)
    assert await front.snapshot() == before


@pytest.mark.parametrize(("first", "second"), [("commit", "void"), ("void", "commit")])
async def test_the_other_action_is_refused_and_changes_nothing(
    front: Front, first: str, second: str
) -> None:
    """After a confirmation a cancel is refused, and the other way round: hold_already_resolved."""
    await front.fund(front.member(), 50)
    reward = await front.add_reward(price_points=20, stock=3)
    held = await front.scan(await front.code(reward=reward))
    await front.resolve(held, first)  # type: ignore[arg-type]
    before = await front.snapshot()
    with pytest.raises(Refusal) as refused:
        await front.resolve(held, second)  # type: ignore[arg-type]
    assert refused.value.code == "hold_already_resolved"
    assert await front.snapshot() == before


async def test_free_amount_within_the_shop_maximum(front: Front) -> None:
    """A shop that takes free amounts holds and receives exactly the amount on the code."""
    resident = front.member()
    await front.fund(resident, 50)
    async with front.db.sessions.begin() as session:
        await set_shop_policy(
            session, shop=front.shop, is_supermarket=False, free_amount_max_points=30
        )
    held = await front.scan(await front.code(shop=front.shop, amount=17))
    assert held.reward_id is None
    assert await front.balance(resident) == (50, 17)
    await front.resolve(held, "commit")
    assert await front.balance(front.shop) == (17, 0)


async def test_a_code_scanned_by_a_url_is_the_same_code(front: Front) -> None:
    """What the scanner read may be the code's URL; the scan uses the code inside it."""
    await front.fund(front.member(), 50)
    reward = await front.add_reward(price_points=5)
    token = await front.code(reward=reward)
    url = f"https://jifen.example/r/{token}"
    held = await front.scan(token_from_scan(url))
    assert held.amount_points == 5


async def test_hold_lasts_the_configured_time(front: Front) -> None:
    """The hold's expiry is the scan time plus hold_ttl_seconds."""
    await front.fund(front.member(), 50)
    reward = await front.add_reward(price_points=5)
    held = await front.scan(await front.code(reward=reward))
    assert held.hold_expires_at is not None
    expected = front.clock().replace(tzinfo=None)
    seconds = (held.hold_expires_at.replace(tzinfo=None) - expected).total_seconds()
    assert seconds == HOLD_TTL_SECONDS
