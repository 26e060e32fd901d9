"""Refunds: asked by the shop's clerk, approved by an admin, a new entry, once at most."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ledger import service as ledger_service
from organisation.models import Member
from redemption import refunds, settlement
from redemption.models import APPROVED, REJECTED, REQUESTED, Redemption, RefundRequest
from redemption.policy import set_community_policy
from tests.redemption.conftest import Front, refused


async def _confirmed(front: Front, price: int = 20) -> Redemption:
    await front.fund(front.member(), 50)
    reward = await front.add_reward(price_points=price, stock=5)
    return await front.redeem(reward)


async def _request(front: Front, redemption: Redemption, reason: str = "坏了") -> RefundRequest:
    async with front.db.sessions.begin() as session:
        row = await session.get(Redemption, redemption.id)
        assert row is not None
        return await refunds.request_refund(
            session,
            redemption=row,
            clerk_id=front.world.id_of("clerk"),
            reason=reason,
            now=front.clock(),
        )


async def _approve(front: Front, refund: RefundRequest) -> RefundRequest:
    async with front.db.sessions.begin() as session:
        row = await session.get(RefundRequest, refund.id)
        assert row is not None
        return await refunds.approve_refund(
            session,
            keystore=front.keystore,
            community=front.community,
            refund=row,
            admin_id=front.world.id_of("admin"),
            note="ok",
            now=front.clock(),
        )


async def _reject(front: Front, refund: RefundRequest) -> RefundRequest:
    async with front.db.sessions.begin() as session:
        row = await session.get(RefundRequest, refund.id)
        assert row is not None
        return await refunds.reject_refund(
            session, refund=row, admin_id=front.world.id_of("admin"), note="no", now=front.clock()
        )


async def test_approved_refund_is_a_new_entry_back_to_the_member(front: Front) -> None:
    """Approval appends a refund entry shop -> member whose meta names the original commit."""
    done = await _confirmed(front)
    asked = await _request(front, done)
    assert asked.state == REQUESTED
    approved = await _approve(front, asked)
    assert approved.state == APPROVED
    async with front.db.sessions() as session:
        [entry] = await ledger_service.entries(
            session, ledger=front.ledger, start_seq=approved.entry_seq or 0, limit=1
        )
        [commit] = await ledger_service.entries(
            session, ledger=front.ledger, start_seq=done.resolved_seq or 0, limit=1
        )
    assert (entry.kind, entry.debit, entry.credit, entry.amount) == (
        "refund",
        front.shop.account,
        front.member().account,
        20,
    )
    assert entry.meta == {"redemption": done.id, "commit_seq": done.resolved_seq}
    assert commit.kind == "hold.commit"  # the original stays as it was
    assert await front.balance(front.member()) == (50, 0)
    assert await front.balance(front.shop) == (0, 0)


async def test_approving_twice_returns_the_first_outcome(front: Front) -> None:
    """A second approval gives the same refund and appends nothing."""
    approved = await _approve(front, await _request(front, await _confirmed(front)))
    before = await front.snapshot()
    again = await _approve(front, approved)
    assert (again.state, again.entry_seq) == (APPROVED, approved.entry_seq)
    assert await front.snapshot() == before


async def test_refund_already_made(front: Front) -> None:
    """Asking again after an approved refund is refused: refund_already_made."""
    done = await _confirmed(front)
    await _approve(front, await _request(front, done))
    await refused(front, "refund_already_made", lambda: _request(front, done))


async def test_refund_already_requested(front: Front) -> None:
    """Asking while a request waits is refused: refund_already_requested."""
    done = await _confirmed(front)
    await _request(front, done)
    await refused(front, "refund_already_requested", lambda: _request(front, done))


async def test_rejected_request_moves_nothing_and_may_be_asked_again(front: Front) -> None:
    """A rejection moves no points; the clerk may ask again, and that can be approved."""
    done = await _confirmed(front)
    rejected = await _reject(front, await _request(front, done))
    assert rejected.state == REJECTED
    assert await front.balance(front.shop) == (20, 0)
    again = await _request(front, done, reason="第二次")
    assert (again.id, again.state, again.reason) == (rejected.id, REQUESTED, "第二次")
    await _approve(front, again)
    assert await front.balance(front.shop) == (0, 0)


@pytest.mark.parametrize("first", ["approve", "reject"])
async def test_decided_request_refuses_the_other_decision(front: Front, first: str) -> None:
    """An approved request cannot be rejected nor a rejected one approved: refund_not_pending."""
    asked = await _request(front, await _confirmed(front))
    decided = await (_approve if first == "approve" else _reject)(front, asked)
    other = _reject if first == "approve" else _approve
    await refused(front, "refund_not_pending", lambda: other(front, decided))


async def test_refund_window_passed(front: Front) -> None:
    """After the community's refund window the clerk's request is refused: refund_window_passed."""
    async with front.db.sessions.begin() as session:
        await set_community_policy(
            session,
            community_id=front.community.id or 0,
            timezone="Asia/Shanghai",
            refund_window_days=2,
            expiry_enabled=False,
            expiry_period="year",
            expiry_after_periods=1,
        )
    done = await _confirmed(front)
    front.clock.advance(timedelta(days=2).total_seconds())
    asked = await _request(front, done)  # the last moment of the window
    await _reject(front, asked)
    front.clock.advance(1)
    await refused(front, "refund_window_passed", lambda: _request(front, done))


@pytest.mark.parametrize("state", ["held", "voided"])
async def test_only_confirmed_redemptions_are_refunded(front: Front, state: str) -> None:
    """A held or cancelled redemption cannot be refunded: redemption_not_committed."""
    await front.fund(front.member(), 50)
    reward = await front.add_reward(price_points=20, stock=5)
    held = await front.scan(await front.code(reward=reward))
    if state == "voided":
        held = await front.resolve(held, "void")
    await refused(front, "redemption_not_committed", lambda: _request(front, held))


async def test_refund_of_points_already_settled_is_refused(front: Front) -> None:
    """When the shop has handed its points back, approval is refused: insufficient_points."""
    done = await _confirmed(front)
    asked = await _request(front, done)
    async with front.db.sessions.begin() as session:
        admin = await session.get(Member, front.world.id_of("admin"))
        assert admin is not None
        await settlement.record_settlement(
            session,
            keystore=front.keystore,
            community=front.community,
            shop=front.shop,
            amount_points=20,
            reference="2026-03",
            note="",
            admin_id=admin.id or 0,
            now=front.clock(),
        )
    await refused(front, "insufficient_points", lambda: _approve(front, asked))
