"""Dashboard figures: weekly points from the ledger, drawn as self-contained SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from admin.charts import Series, bar_chart, line_chart
from admin.reports import weekly_points
from ledger import service
from ledger.types import Posting
from tests.ledger.conftest import ISSUANCE, LedgerFixture

SVG = "{http://www.w3.org/2000/svg}"


def test_charts_are_well_formed_svg_with_a_title() -> None:
    """Both chart kinds parse as SVG, carry their title and draw one mark per value."""
    labels = ["03-02", "03-09", "03-16"]
    series = [Series("发放 issued", [10, 0, 25]), Series("兑换 redeemed", [5, 7, 0])]
    bars = ET.fromstring(bar_chart("积分 <weekly>", labels, series))
    assert bars.find(f"{SVG}title").text == "积分 <weekly>"  # type: ignore[union-attr]
    assert len([r for r in bars.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]) == 6
    lines = ET.fromstring(line_chart("active", labels, [Series("volunteers", [1, 2, 3])]))
    assert len(list(lines.iter(f"{SVG}polyline"))) == 1


def test_empty_chart_still_draws() -> None:
    """A chart without data is an empty frame, not an error."""
    assert "<svg" in bar_chart("none", [], [])


async def test_weekly_points_count_credits_reversals_and_redemptions(opened: LedgerFixture) -> None:
    """Issued points net of reversals, redeemed points and distinct volunteers, per week."""
    await opened.open_accounts("m-a", "m-b", "shop-1")
    monday = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a Monday

    async def post(posting: Posting, at: datetime) -> None:
        async with opened.db.sessions.begin() as session:
            await service.append(
                session, keystore=opened.keystore, ledger=opened.ledger, posting=posting, now=at
            )

    await post(Posting("checkin.credit", ISSUANCE, "m-a", 20, "c1"), monday)
    await post(Posting("checkin.credit", ISSUANCE, "m-b", 10, "c2"), monday + timedelta(days=1))
    await post(Posting("reversal", "m-b", ISSUANCE, 10, "v1"), monday + timedelta(days=2))
    await post(Posting("checkin.credit", ISSUANCE, "m-a", 5, "c3"), monday + timedelta(days=7))
    async with opened.db.sessions.begin() as session:
        hold = await service.place_hold(
            session,
            keystore=opened.keystore,
            ledger=opened.ledger,
            posting=Posting("redeem", "m-a", "shop-1", 8, "h1"),
            ttl_seconds=600,
            now=monday + timedelta(days=8),
        )
        await service.resolve_hold(
            session,
            keystore=opened.keystore,
            ledger=opened.ledger,
            hold_seq=hold.entry.seq,
            action="commit",
            ref="h1/commit",
            now=monday + timedelta(days=8),
        )
    async with opened.db.sessions() as session:
        report = await weekly_points(
            session, ledger=opened.ledger, weeks=3, now=monday + timedelta(days=9)
        )
    assert report.labels == ["02-23", "03-02", "03-09"]
    assert report.issued_points == [0, 20, 5]
    assert report.redeemed_points == [0, 0, 8]
    assert report.active_volunteers == [0, 2, 1]
