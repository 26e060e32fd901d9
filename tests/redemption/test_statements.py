"""Shop statements add up to the ledger; settlements hand points back to the community."""

from __future__ import annotations

import csv
import io
from datetime import date

from ledger import service as ledger_service
from organisation.pseudonyms import SETTLEMENT_ACCOUNT
from redemption import refunds, settlement, statements
from redemption.models import Redemption, Settlement
from tests.redemption.conftest import Front, refused

DAY_SECONDS = 24 * 3600


async def _settle(front: Front, amount: int, reference: str) -> Settlement:
    async with front.db.sessions.begin() as session:
        return await settlement.record_settlement(
            session,
            keystore=front.keystore,
            community=front.community,
            shop=front.shop,
            amount_points=amount,
            reference=reference,
            note="月结",
            admin_id=front.world.id_of("admin"),
            now=front.clock(),
        )


async def _refund(front: Front, redemption: Redemption) -> None:
    async with front.db.sessions.begin() as session:
        row = await session.get(Redemption, redemption.id)
        assert row is not None
        asked = await refunds.request_refund(
            session,
            redemption=row,
            clerk_id=front.world.id_of("clerk"),
            reason="",
            now=front.clock(),
        )
        await refunds.approve_refund(
            session,
            keystore=front.keystore,
            community=front.community,
            refund=asked,
            admin_id=front.world.id_of("admin"),
            note="",
            now=front.clock(),
        )


async def _statement(front: Front, first: date, last: date) -> statements.Statement:
    async with front.db.sessions() as session:
        return await statements.shop_statement(
            session, community=front.community, shop=front.shop, first=first, last=last
        )


async def test_settlement_moves_points_to_the_settlement_account(front: Front) -> None:
    """A settlement is an entry from the shop to the community's settlement account."""
    await front.fund(front.member(), 50)
    await front.redeem(await front.add_reward(price_points=30))
    before = await front.balance(SETTLEMENT_ACCOUNT)
    row = await _settle(front, 25, "2026-03")
    async with front.db.sessions() as session:
        [entry] = await ledger_service.entries(
            session, ledger=front.ledger, start_seq=row.entry_seq, limit=1
        )
    assert (entry.kind, entry.debit, entry.credit, entry.amount) == (
        "settlement",
        front.shop.account,
        SETTLEMENT_ACCOUNT,
        25,
    )
    assert await front.balance(front.shop) == (5, 0)
    assert await front.balance(SETTLEMENT_ACCOUNT) == (before[0] + 25, 0)


async def test_settlement_reference_records_once(front: Front) -> None:
    """The same reference and amount again returns the first settlement and moves nothing."""
    await front.fund(front.member(), 50)
    await front.redeem(await front.add_reward(price_points=30))
    first = await _settle(front, 25, "2026-03")
    before = await front.snapshot()
    again = await _settle(front, 25, "2026-03")
    assert (again.id, again.entry_seq) == (first.id, first.entry_seq)
    assert await front.snapshot() == before


async def test_settlement_refusals_change_nothing(front: Front) -> None:
    """Another amount under a used reference, more than the shop holds, or a bad reference
    are refused."""
    await front.fund(front.member(), 50)
    await front.redeem(await front.add_reward(price_points=30))
    await _settle(front, 10, "2026-03")
    await refused(front, "idempotency_mismatch", lambda: _settle(front, 11, "2026-03"))
    await refused(front, "insufficient_points", lambda: _settle(front, 21, "2026-04"))
    await refused(front, "invalid_input", lambda: _settle(front, 1, "march/2026"))


async def test_statement_adds_up_to_the_ledger(front: Front) -> None:
    """Over any period: opening + lines = closing, totals by kind, closing = ledger balance."""
    resident = front.member()
    await front.fund(resident, 200)
    rice = await front.add_reward(price_points=30, name_zh="大米", name_en="Rice")
    oil = await front.add_reward(price_points=20, name_zh="食用油", name_en="Cooking oil")
    first = await front.redeem(rice)  # 2026-03-01 (local)
    await front.redeem(oil)
    voided = await front.scan(await front.code(reward=oil))
    await front.resolve(voided, "void")  # moves nothing, so no line
    front.clock.advance(DAY_SECONDS)  # 2026-03-02
    await front.redeem(oil)
    await _refund(front, first)
    await _settle(front, 15, "2026-03-a")

    day1 = await _statement(front, date(2026, 3, 1), date(2026, 3, 1))
    day2 = await _statement(front, date(2026, 3, 2), date(2026, 3, 2))
    both = await _statement(front, date(2026, 3, 1), date(2026, 3, 2))
    assert (day1.opening_balance_points, day1.closing_balance_points) == (0, 50)
    assert (day1.redemption_count, day1.redeemed_points) == (2, 50)
    assert [line.reward_name_en for line in day1.lines] == ["Rice", "Cooking oil"]
    assert day2.opening_balance_points == day1.closing_balance_points
    assert (day2.redeemed_points, day2.refunded_points, day2.settled_points) == (20, 30, 15)
    assert day2.received_points == -10
    for found in (day1, day2, both):
        total = sum(line.amount_points for line in found.lines)
        assert found.opening_balance_points + total == found.closing_balance_points
        assert total == found.redeemed_points - found.refunded_points - found.settled_points
    assert both.closing_balance_points == (await front.balance(front.shop))[0] == 25
    refund_line = next(line for line in both.lines if line.kind == "refund")
    assert refund_line.redemption_id == first.id
    settlement_line = next(line for line in both.lines if line.kind == "settlement")
    assert settlement_line.reference == "2026-03-a"
    assert not both.truncated


async def test_statement_csv_has_the_same_lines(front: Front) -> None:
    """The CSV has an opening row, a row per line and a closing row that add up."""
    await front.fund(front.member(), 100)
    await front.redeem(await front.add_reward(price_points=30, name_zh="大米"))
    await _settle(front, 10, "x1")
    found = await _statement(front, date(2026, 3, 1), date(2026, 3, 31))
    text = statements.statement_csv(found)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert [r["kind"] for r in rows] == [
        "opening_balance",
        "redemption",
        "settlement",
        "closing_balance",
    ]
    assert rows[1]["reward_name_zh"] == "大米"
    amounts = [int(r["amount_points"]) for r in rows]
    assert amounts[0] + sum(amounts[1:-1]) == amounts[-1] == 20


async def test_statement_period_must_run_forwards(front: Front) -> None:
    """A period that ends before it starts is refused: invalid_input."""
    await refused(
        front, "invalid_input", lambda: _statement(front, date(2026, 3, 2), date(2026, 3, 1))
    )
