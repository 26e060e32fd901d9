"""The refund and settlement pages through HTTP, on both backends.

The clerk asks for a refund on a confirmed redemption's page, the community's admin approves
(a refund entry gives the points back) or declines with a reason, and records what a shop
settled; every refusal is shown with its code and changes nothing; another shop's clerk and
another community's admin get 404. After every test the ledgers verify and sum to zero.
"""

# Chinese text takes full-width punctuation; it is no confusable here.
# ruff: noqa: RUF001

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from api.web import words_refunds
from ledger import service as ledger_service
from ledger.keys import KeyStore
from ledger.types import Posting
from organisation.pseudonyms import ISSUANCE_ACCOUNT, SETTLEMENT_ACCOUNT
from redemption import catalogue, codes, holds, refunds
from redemption.models import Redemption, RefundRequest, Settlement
from tests.api.admin_pages_helpers import ENGLISH, Client, form, has_forms, refusal_code
from tests.api.world import build_world
from tests.conftest import Database
from tests.redemption.conftest import Clock, Front, add_clerk, assert_ledgers_sound

DAY_SECONDS = 24 * 3600


@pytest.fixture
async def front(db: Database, keystore: KeyStore, now: datetime) -> AsyncIterator[Front]:
    """The world with a movable clock; its ledgers are verified after the test."""
    clock = Clock(now)
    world = await build_world(db, keystore, now)
    world.clock = clock
    yield Front(world, clock)
    await assert_ledgers_sound(db, [world.community.ledger_id, world.other.ledger_id])


def admin_base(front: Front, other: bool = False) -> str:
    community = front.world.other if other else front.community
    return f"/admin/c/{community.id}"


async def bought(front: Front, price_points: int = 30) -> Redemption:
    """The resident (funded with 50) redeemed a reward of the shop for `price_points`."""
    await front.fund(front.member(), 50)
    reward = await front.add_reward(
        name_zh="食用油", name_en="Cooking oil", price_points=price_points
    )
    return await front.redeem(reward)


async def post(client: Client, path: str, **fields: object) -> httpx.Response:
    return await client.post(path, data=form(client, **fields), follow_redirects=False)


async def ask(
    client: Client, redemption_id: int | None, reason: str = "物品有质量问题"
) -> httpx.Response:
    path = f"/clerk/redemptions/{redemption_id}/refund-request"
    return await post(client, path, reason=reason)


async def refund_of(front: Front, redemption: Redemption) -> RefundRequest | None:
    async with front.db.sessions() as session:
        statement = select(RefundRequest).where(RefundRequest.redemption_id == redemption.id)
        return (await session.execute(statement)).scalars().first()


async def kind_at(front: Front, seq: int) -> str:
    async with front.db.sessions() as session:
        [entry] = await ledger_service.entries(session, ledger=front.ledger, start_seq=seq, limit=1)
    return entry.kind


async def foreign_refund(front: Front) -> RefundRequest:
    """A refund request of community B: its resident redeemed 10 points at its shop."""
    world, now = front.world, front.clock()
    other, shop, member = world.other, world.other_shop, world.people["other_resident"]
    clerk_id = world.id_of("other_admin")
    posting = Posting("credit", ISSUANCE_ACCOUNT, member.account, 10, "fund/b")
    async with front.db.sessions.begin() as session:
        await ledger_service.append(
            session, keystore=front.keystore, ledger=other.ledger_id, posting=posting, now=now
        )
        reward = await catalogue.create_reward(
            session,
            community_id=other.id or 0,
            shop_id=shop.id or 0,
            fields={"name_zh": "剪发", "price_points": 10},
            now=now,
        )
        signer = await codes.signer_for(
            session, keystore=front.keystore, ledger=other.ledger_id, now=now
        )
    claims = codes.new_claims(
        signer,
        member_id=member.id or 0,
        shop_id=shop.id or 0,
        reward_id=reward.id,
        amount_points=10,
        ttl_seconds=120,
        now=now,
    )
    async with front.db.sessions.begin() as session:
        held = await holds.scan(
            session,
            keystore=front.keystore,
            community=other,
            shop=shop,
            clerk_id=clerk_id,
            token=codes.encode(claims, signer),
            hold_ttl_seconds=600,
            now=now,
        )
        done = await holds.resolve(
            session,
            keystore=front.keystore,
            community=other,
            redemption=held,
            action="commit",
            clerk_id=clerk_id,
            now=now,
        )
        return await refunds.request_refund(
            session, redemption=done, clerk_id=clerk_id, reason="", now=now
        )


# --- Asking, approving, declining ----------------------------------------------------------


async def test_clerk_asks_admin_approves_and_the_points_come_back(front: Front) -> None:
    """The confirmed redemption's page offers the form; asking sends the clerk back with a
    message; the admin's list shows it waiting; approving appends a refund entry and the
    member's points are back; approving again changes nothing, and so does asking again."""
    redemption = await bought(front)
    member = front.member()
    assert await front.balance(member) == (20, 0)
    page_path = f"/clerk/redemptions/{redemption.id}"
    async with front.world.client("clerk") as clerk, front.world.client("admin") as admin:
        offered = (await clerk.get(page_path)).text
        asked = await ask(clerk, redemption.id)
        assert asked.status_code == 303, asked.text
        assert asked.headers["location"] == f"{page_path}?refund=requested"
        after = (await clerk.get(f"{page_path}?refund=requested")).text
        listed = (await admin.get(f"{admin_base(front)}/refunds")).text
        english = (await admin.get(f"{admin_base(front)}/refunds", headers=ENGLISH)).text
        refund = await refund_of(front, redemption)
        assert refund is not None
        approve = f"{admin_base(front)}/refunds/{refund.id}/approve"
        approved = await post(admin, approve, note="已核实")
        done = (await admin.get(approved.headers["location"])).text
        before = await front.snapshot()
        again = await post(admin, approve, note="再点一次")
        asked_again = await ask(clerk, redemption.id)
        assert await front.snapshot() == before
        shown = (await clerk.get(page_path)).text
    assert 'data-testid="refund-form"' in offered
    assert "确认后 7 天内" in offered
    assert 'data-done="requested"' in after
    assert 'data-refund-state="requested"' in after
    assert 'data-testid="refund-form"' not in after
    pending = listed.split('data-testid="pending"', 1)[1].split("</table>", 1)[0]
    assert f'data-refund="{refund.id}"' in pending
    assert "物品有质量问题" in pending
    assert "食用油" in pending
    assert 'data-testid="approve"' in pending
    assert "Refunds" in english
    assert "Cooking oil" in english
    assert approved.status_code == 303
    assert 'data-done="approved"' in done
    assert await front.balance(member) == (50, 0)
    assert await front.balance(front.shop) == (0, 0)
    stored = await refund_of(front, redemption)
    assert stored is not None
    assert (stored.state, stored.decision_note) == ("approved", "已核实")
    assert stored.entry_seq is not None
    assert await kind_at(front, stored.entry_seq) == "refund"
    assert again.status_code == 303  # approving again answers with the first outcome
    assert asked_again.status_code == 409
    assert refusal_code(asked_again.text) == "refund_already_made"
    assert f'href="{page_path}"' in asked_again.text
    assert 'data-refund-state="approved"' in shown
    assert 'data-testid="refund-form"' not in shown


async def test_admin_declines_with_a_reason(front: Front) -> None:
    """Declining keeps the reason and moves nothing; the clerk sees it and may ask again;
    declining again answers as the first time, approving afterwards is refused."""
    redemption = await bought(front)
    page_path = f"/clerk/redemptions/{redemption.id}"
    async with front.world.client("clerk") as clerk, front.world.client("admin") as admin:
        await ask(clerk, redemption.id)
        refund = await refund_of(front, redemption)
        assert refund is not None
        decide = f"{admin_base(front)}/refunds/{refund.id}"
        declined = await post(admin, f"{decide}/reject", note="物品已使用，不能退")
        listed = (await admin.get(f"{admin_base(front)}/refunds")).text
        shown = (await clerk.get(page_path)).text
        before = await front.snapshot()
        again = await post(admin, f"{decide}/reject", note="再点一次")
        approve = await post(admin, f"{decide}/approve", note="")
        assert await front.snapshot() == before
    assert declined.status_code == 303
    assert declined.headers["location"].startswith(f"{admin_base(front)}/refunds?done=rejected")
    stored = await refund_of(front, redemption)
    assert stored is not None
    assert (stored.state, stored.decision_note, stored.entry_seq) == (
        "rejected",
        "物品已使用，不能退",
        None,
    )
    assert await front.balance(front.member()) == (20, 0)
    assert await front.balance(front.shop) == (30, 0)
    decided = listed.split('data-testid="decided"', 1)[1]
    assert f'data-refund="{refund.id}" data-state="rejected"' in decided
    assert "物品已使用，不能退" in decided
    assert 'data-refund-state="rejected"' in shown
    assert "物品已使用，不能退" in shown
    assert 'data-testid="refund-form"' in shown
    assert again.status_code == 303
    assert (approve.status_code, refusal_code(approve.text)) == (409, "refund_not_pending")
    assert f'action="{decide}/approve"' not in approve.text  # nothing is left to decide


async def test_asking_again_while_one_waits_is_refused(front: Front) -> None:
    """A second request while the first waits says refund_already_requested; nothing changes."""
    redemption = await bought(front)
    async with front.world.client("clerk") as clerk:
        await ask(clerk, redemption.id)
        before = await front.snapshot()
        again = await ask(clerk, redemption.id, reason="再申请一次")
    assert (again.status_code, refusal_code(again.text)) == (409, "refund_already_requested")
    assert await front.snapshot() == before
    stored = await refund_of(front, redemption)
    assert stored is not None
    assert stored.reason == "物品有质量问题"


async def test_asking_after_the_window_is_refused(front: Front) -> None:
    """Eight days after the confirmation (the window is seven) the request says
    refund_window_passed, in either language, and nothing changes."""
    redemption = await bought(front)
    front.clock.advance(8 * DAY_SECONDS)
    async with front.world.client("clerk") as clerk:
        before = await front.snapshot()
        late = await ask(clerk, redemption.id)
        english = await clerk.post(
            f"/clerk/redemptions/{redemption.id}/refund-request",
            data=form(clerk, reason="late"),
            headers=ENGLISH,
        )
    assert (late.status_code, refusal_code(late.text)) == (409, "refund_window_passed")
    assert "已超过退还期限" in late.text
    assert "The time for refunding this redemption has passed." in english.text
    assert await front.snapshot() == before
    assert await refund_of(front, redemption) is None


@pytest.mark.parametrize("action", ["held", "void"])
async def test_only_a_confirmed_redemption_is_refunded(front: Front, action: str) -> None:
    """A redemption still held, or cancelled, says redemption_not_committed and offers no
    form; nothing changes."""
    await front.fund(front.member(), 50)
    reward = await front.add_reward(price_points=10)
    redemption = await front.scan(await front.code(reward=reward))
    if action == "void":
        redemption = await front.resolve(redemption, "void")
    async with front.world.client("clerk") as clerk:
        shown = (await clerk.get(f"/clerk/redemptions/{redemption.id}")).text
        before = await front.snapshot()
        refused = await ask(clerk, redemption.id)
    assert 'data-testid="refund-form"' not in shown
    assert (refused.status_code, refusal_code(refused.text)) == (409, "redemption_not_committed")
    assert await front.snapshot() == before


async def test_a_reason_too_long_is_refused(front: Front) -> None:
    """The reason is checked as the JSON API checks it (200 characters at most)."""
    redemption = await bought(front)
    async with front.world.client("clerk") as clerk:
        before = await front.snapshot()
        refused = await ask(clerk, redemption.id, reason="很" * 201)
    assert (refused.status_code, refusal_code(refused.text)) == (400, "invalid_input")
    assert await front.snapshot() == before


# --- Settlements ---------------------------------------------------------------------------


async def test_settlement_moves_points_from_the_shop(front: Front) -> None:
    """The page shows what the shop holds; recording a settlement moves the points to the
    settlement account and lists it; the same reference again records it once, with another
    amount it is refused."""
    await bought(front)
    settlements = f"{admin_base(front)}/settlements"
    async with front.world.client("admin") as admin:
        shown = (await admin.get(settlements)).text
        english = (await admin.get(settlements, headers=ENGLISH)).text
        fields = {"shop_id": front.shop.id, "amount_points": 20, "reference": "2026-03"}
        recorded = await post(admin, settlements, **fields, note="三月结算")
        listed = (await admin.get(recorded.headers["location"])).text
        before = await front.snapshot()
        again = await post(admin, settlements, **fields)
        assert await front.snapshot() == before
        other_amount = await post(admin, settlements, **{**fields, "amount_points": 5})
        assert await front.snapshot() == before
    balances = shown.split('data-testid="balances"', 1)[1].split("</table>", 1)[0]
    assert f'data-shop="{front.shop.id}"' in balances
    assert 'data-testid="balance">30<' in balances
    assert 'data-form="settle"' in shown
    assert "Settlements" in english
    assert recorded.status_code == 303
    assert 'data-done="settled"' in listed
    assert 'data-reference="2026-03"' in listed
    assert "三月结算" in listed
    assert await front.balance(front.shop) == (10, 0)
    assert await front.balance(SETTLEMENT_ACCOUNT) == (20, 0)
    async with front.db.sessions() as session:
        rows = list((await session.execute(select(Settlement))).scalars())
    assert [(r.shop_id, r.amount_points, r.reference) for r in rows] == [
        (front.shop.id, 20, "2026-03")
    ]
    assert again.status_code == 303
    assert (other_amount.status_code, refusal_code(other_amount.text)) == (
        409,
        "idempotency_mismatch",
    )


@pytest.mark.parametrize(
    ("fields", "code", "status"),
    [
        ({"amount_points": "31", "reference": "2026-03"}, "insufficient_points", 409),
        ({"amount_points": "0", "reference": "2026-03"}, "invalid_input", 400),
        ({"amount_points": "ten", "reference": "2026-03"}, "invalid_input", 400),
        ({"amount_points": "5", "reference": "三月"}, "invalid_input", 400),
        ({"amount_points": "5", "reference": "2026-03", "shop_id": ""}, "invalid_input", 400),
    ],
)
async def test_settlement_refusals_change_nothing(
    front: Front, fields: dict[str, str], code: str, status: int
) -> None:
    """More points than the shop holds, a bad amount, reference or shop: refused with the
    code on the page, what was typed kept, and nothing changes."""
    await bought(front)
    async with front.world.client("admin") as admin:
        before = await front.snapshot()
        body = {"form": "settle", "shop_id": str(front.shop.id), **fields}
        refused = await post(admin, f"{admin_base(front)}/settlements", **body)
    assert (refused.status_code, refusal_code(refused.text)) == (status, code)
    assert 'data-testid="refusal"' in refused.text
    assert f'value="{html_escaped(fields["reference"])}"' in refused.text
    assert await front.snapshot() == before
    assert await front.balance(front.shop) == (30, 0)


def html_escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&#34;")


# --- Scopes --------------------------------------------------------------------------------


async def test_another_shops_clerk_gets_404(front: Front) -> None:
    """A clerk of another shop cannot ask for a refund of this shop's redemption."""
    redemption = await bought(front)
    await add_clerk(front, "barber_clerk", await front.new_shop("理发店"))
    async with front.world.client("barber_clerk") as stranger:
        before = await front.snapshot()
        refused = await ask(stranger, redemption.id)
        missing = await ask(stranger, 2**31 - 1)
    assert (refused.status_code, refusal_code(refused.text)) == (404, "not_found")
    assert (missing.status_code, refusal_code(missing.text)) == (404, "not_found")
    assert await front.snapshot() == before


async def test_another_communitys_admin_gets_404(front: Front) -> None:
    """Community B's admin sees nothing of A's refunds and settlements; A's admin naming B's
    refund or shop under A's path gets 404 too; nothing changes anywhere."""
    redemption = await bought(front)
    theirs = await foreign_refund(front)
    async with front.world.client("clerk") as clerk:
        await ask(clerk, redemption.id)
    ours = await refund_of(front, redemption)
    assert ours is not None
    a, b = admin_base(front), admin_base(front, other=True)
    async with (
        front.world.client("other_admin") as other_admin,
        front.world.client("admin") as admin,
    ):
        before = await front.snapshot()
        answers = [
            await other_admin.get(f"{a}/refunds"),
            await other_admin.get(f"{a}/settlements"),
            await post(other_admin, f"{a}/refunds/{ours.id}/approve"),
            await post(other_admin, f"{a}/refunds/{ours.id}/reject", note="不"),
            await post(other_admin, f"{b}/refunds/{ours.id}/approve"),
            await post(
                other_admin,
                f"{a}/settlements",
                shop_id=front.shop.id,
                amount_points=1,
                reference="x",
            ),
            await post(admin, f"{a}/refunds/{theirs.id}/approve"),
            await post(
                admin,
                f"{a}/settlements",
                shop_id=front.world.other_shop.id,
                amount_points=1,
                reference="x",
            ),
        ]
        their_page = (await other_admin.get(f"{b}/refunds")).text
    assert [(r.status_code, refusal_code(r.text)) for r in answers] == [(404, "not_found")] * 8
    assert await front.snapshot() == before
    assert f'data-refund="{theirs.id}"' in their_page
    assert f'data-refund="{ours.id}"' not in their_page
    stored = await refund_of(front, redemption)
    assert stored is not None
    assert stored.state == "requested"


async def test_the_auditor_reads_without_forms(front: Front) -> None:
    """The auditor sees the refunds and settlements without forms or names, and cannot
    decide (403)."""
    redemption = await bought(front)
    async with front.world.client("clerk") as clerk:
        await ask(clerk, redemption.id)
    refund = await refund_of(front, redemption)
    assert refund is not None
    async with front.world.client("auditor") as auditor:
        pages = [
            await auditor.get(f"{admin_base(front)}/refunds"),
            await auditor.get(f"{admin_base(front)}/settlements"),
        ]
        before = await front.snapshot()
        refused = await post(auditor, f"{admin_base(front)}/refunds/{refund.id}/approve")
    for shown in pages:
        assert shown.status_code == 200
        assert 'data-testid="read-only"' in shown.text
        assert not has_forms(shown.text)
    assert front.member().account in pages[0].text
    assert str(front.member().display_name) not in pages[0].text
    assert (refused.status_code, refusal_code(refused.text)) == (403, "forbidden")
    assert await front.snapshot() == before


async def test_the_nav_links_both_pages(front: Front) -> None:
    """The admin console's navigation has the refunds and settlements pages."""
    async with front.world.client("admin") as admin:
        shown = (await admin.get(f"{admin_base(front)}/refunds")).text
    nav = shown.split('class="ad-nav"', 1)[1].split("</nav>", 1)[0]
    assert re.search(rf'href="{admin_base(front)}/refunds" aria-current="page">退还审批<', nav)
    assert f'href="{admin_base(front)}/settlements"' in nav


def test_every_word_the_pages_use_is_defined() -> None:
    """Each `t.rf_...` key in the templates has Chinese and English words."""
    templates = Path(__file__).resolve().parents[2] / "api" / "templates"
    used: set[str] = set()
    for path in templates.glob("*.html"):
        used |= set(re.findall(r"\bt\.(rf_[a-z_]+)", path.read_text(encoding="utf-8")))
    assert used
    assert used - set(words_refunds.WORDS) == set()
    assert all(zh and en for zh, en in words_refunds.WORDS.values())
