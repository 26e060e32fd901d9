"""A resident redeems a reward and a clerk confirms it, in real browsers against a served
instance on PostgreSQL: phone first, every page also at desktop size, nothing from other hosts.
"""

from __future__ import annotations

import io
import secrets
from datetime import datetime, timedelta

import zxingcpp
from PIL import Image
from playwright.async_api import Browser

from ledger import service as ledger_service
from ledger.keys import KeyStore
from ledger.types import Posting
from organisation.models import Shop
from organisation.pseudonyms import ISSUANCE_ACCOUNT
from redemption import catalogue
from redemption.models import Reward
from redemption.policy import set_shop_policy
from tests.api.world import PASSWORD, World, build_world
from tests.browser.conftest import DESKTOP, PHONE, Served, Tab, open_tab

START_POINTS = 120
OIL_POINTS = 80


async def shots(tab: Tab, name: str) -> None:
    """Screenshots of the page as it is now, on a phone and on a desktop."""
    await tab.shot(f"{name}-phone")
    await tab.page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]  # a plain width/height dict
    await tab.shot(f"{name}-desktop")
    await tab.page.set_viewport_size(PHONE)  # type: ignore[arg-type]  # as above


async def log_in(tab: Tab, world: World, role: str) -> None:
    """Fill in the login page the browser was sent to, and wait to be sent back."""
    await tab.page.wait_for_url("**/login?next=**")
    await tab.page.fill("input[name=identifier]", world.username(role))
    await tab.page.fill("input[name=password]", PASSWORD)
    await tab.page.click("button[type=submit]")
    await tab.page.wait_for_load_state()


async def seed(served: Served, world: World, now: datetime) -> tuple[Reward, Reward]:
    """Points for the resident (a check-in credit), a reward they can afford and one they
    cannot, at the world's shop, which is the points supermarket and takes free amounts."""
    resident = world.people["resident"]
    posting = Posting(
        "checkin.credit",
        ISSUANCE_ACCOUNT,
        resident.account,
        START_POINTS,
        f"browser/{secrets.token_hex(6)}",
    )
    until = now + timedelta(days=3650)
    async with served.db.sessions.begin() as session:
        await ledger_service.append(
            session,
            keystore=world.keystore,
            ledger=world.community.ledger_id,
            posting=posting,
            now=now,
        )
        shop = await session.get(Shop, world.shop.id)
        assert shop is not None
        await set_shop_policy(session, shop=shop, is_supermarket=True, free_amount_max_points=50)
        oil = await catalogue.create_reward(
            session,
            community_id=shop.community_id,
            shop_id=shop.id or 0,
            fields={
                "name_zh": "食用油 5 升",
                "name_en": "Cooking oil, 5 l",
                "price_points": OIL_POINTS,
                "stock": 12,
                "limit_per_month": 2,
                "valid_until": until,
            },
            now=now,
        )
        cooker = await catalogue.create_reward(
            session,
            community_id=shop.community_id,
            shop_id=shop.id or 0,
            fields={"name_zh": "电饭煲", "name_en": "Rice cooker", "price_points": 300},
            now=now,
        )
    return oil, cooker


def minutes_seconds(text: str | None) -> int:
    assert text is not None
    minutes, seconds = text.strip().split(":")
    return int(minutes) * 60 + int(seconds)


async def test_resident_redeems_and_clerk_confirms(
    browser: Browser, served: Served, keystore: KeyStore, now: datetime
) -> None:
    """The resident picks a reward on a phone and sees a counting-down code; the clerk opens
    the URL decoded from its QR image, confirms, and both see it done; the balance follows."""
    world = await build_world(served.db, keystore, now)
    oil, cooker = await seed(served, world, now)
    resident_context, resident = await open_tab(browser, served)
    clerk_context, clerk = await open_tab(browser, served)
    await resident.page.clock.install()

    await resident.goto("/rewards")
    await log_in(resident, world, "resident")
    await resident.page.wait_for_selector(f"[data-testid=affordable] [data-reward='{oil.id}']")
    assert await resident.page.is_visible(f"[data-testid=out-of-reach] [data-reward='{cooker.id}']")
    await shots(resident, "rewards-list-zh")

    await resident.page.click(f"[data-reward='{oil.id}'] button[type=submit]")
    await resident.page.wait_for_url("**/rewards/code/**")
    countdown = resident.page.locator("[data-testid=countdown]")
    first = minutes_seconds(await countdown.text_content())
    assert 100 < first <= 120
    await resident.page.clock.run_for(10_000)
    assert minutes_seconds(await countdown.text_content()) <= first - 9
    qr = resident.page.locator("[data-testid=qr]")
    await qr.wait_for()
    await shots(resident, "redeem-code-zh")
    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(await qr.screenshot())))
    assert decoded.text.startswith(f"{served.base_url}/r/")

    await clerk.page.goto(decoded.text)
    await log_in(clerk, world, "clerk")
    confirm = clerk.page.locator("[data-testid=confirm]")
    await confirm.wait_for()
    page_text = await clerk.page.content()
    assert world.people["resident"].account in page_text
    assert str(world.people["resident"].display_name) not in page_text
    assert await clerk.page.text_content("[data-testid=points]") == str(OIL_POINTS)
    await shots(clerk, "clerk-confirm-zh")

    # The resident's page notices the scan by itself.
    await resident.page.wait_for_selector("[data-testid=code][data-state=held]")
    await shots(resident, "redeem-held-zh")

    await confirm.click()
    await clerk.page.wait_for_selector("[data-testid=redemption][data-state=committed]")
    assert await clerk.page.text_content("[data-testid=result]") == "已确认"
    await shots(clerk, "clerk-confirmed-zh")

    await resident.page.wait_for_selector("[data-testid=code][data-state=committed]")
    await shots(resident, "redeem-done-zh")
    await resident.goto("/")
    await resident.page.wait_for_selector("[data-testid=available]")
    left = str(START_POINTS - OIL_POINTS)
    assert await resident.page.text_content("[data-testid=available]") == left
    await resident.goto("/rewards/mine")
    assert await resident.page.is_visible("li[data-state=committed]")
    assert await resident.page.text_content("[data-testid=available]") == left
    await shots(resident, "rewards-mine-zh")

    await clerk.goto("/clerk")
    assert await clerk.page.is_visible("li[data-state=committed]")
    await shots(clerk, "clerk-counter-zh")
    await clerk.goto("/clerk/statement")
    assert await clerk.page.text_content("[data-testid=received]") == str(OIL_POINTS)
    await shots(clerk, "clerk-statement-zh")
    await clerk.goto("/lang/en?next=/clerk/statement")
    await clerk.page.wait_for_selector("text=Closing balance")
    await shots(clerk, "clerk-statement-en")

    await resident_context.close()
    await clerk_context.close()
    assert resident.foreign == []
    assert clerk.foreign == []


async def test_a_code_nobody_scans_runs_out(
    browser: Browser, served: Served, keystore: KeyStore, now: datetime
) -> None:
    """A free-amount code left on screen counts down to zero, then hides the QR image and
    offers a new code; a refused request shows its reason. In English this time."""
    world = await build_world(served.db, keystore, now)
    await seed(served, world, now)
    context, tab = await open_tab(browser, served, locale="en-GB")
    await tab.page.clock.install()
    await tab.goto("/rewards")
    await log_in(tab, world, "resident")
    await tab.page.fill(f"[data-shop='{world.shop.id}'] input[name=amount_points]", "30")
    await tab.page.click(f"[data-shop='{world.shop.id}'] button[type=submit]")
    await tab.page.wait_for_url("**/rewards/code/**")
    assert await tab.page.is_visible("[data-testid=qr]")
    await tab.page.clock.run_for(125_000)
    await tab.page.wait_for_selector("[data-testid=qr]", state="hidden")
    assert await tab.page.is_visible("[data-code=code_expired]")
    await shots(tab, "redeem-lapsed-en")

    await tab.goto("/rewards")
    # Past the form's own maximum (as an old browser without form checks would send it).
    await tab.page.evaluate("document.querySelector('input[name=amount_points]').max = 999")
    await tab.page.fill(f"[data-shop='{world.shop.id}'] input[name=amount_points]", "60")
    await tab.page.click(f"[data-shop='{world.shop.id}'] button[type=submit]")
    await tab.page.wait_for_selector("[data-code=free_amount_too_large]")
    await shots(tab, "redeem-refused-en")
    await context.close()
    assert tab.foreign == []
