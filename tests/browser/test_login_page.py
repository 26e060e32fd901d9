"""The login page in a real browser: phone and desktop, Chinese and English, local only."""

from __future__ import annotations

from datetime import datetime

from playwright.async_api import Browser

from ledger.keys import KeyStore
from tests.api.world import PASSWORD, build_world
from tests.browser.conftest import DESKTOP, PHONE, Served, open_tab


async def test_member_logs_in_from_a_phone(
    browser: Browser, served: Served, keystore: KeyStore, now: datetime
) -> None:
    """A resident logs in on a 360-pixel screen and sees their balance, all from this host."""
    world = await build_world(served.db, keystore, now)
    context, tab = await open_tab(browser, served, viewport=PHONE)
    await tab.goto("/")
    await tab.page.wait_for_url("**/login?next=%2F")
    await tab.shot("login-phone-zh")
    await tab.page.fill("input[name=identifier]", world.username("resident"))
    await tab.page.fill("input[name=password]", PASSWORD)
    await tab.page.click("button[type=submit]")
    await tab.page.wait_for_selector("[data-testid=available]")
    assert (await tab.page.text_content("[data-testid=available]")) == "0"
    await tab.shot("home-phone-zh")
    await context.close()
    assert tab.foreign == []


async def test_login_page_in_english_on_a_desktop(browser: Browser, served: Served) -> None:
    """A browser asking for English gets the English login page."""
    context, tab = await open_tab(browser, served, viewport=DESKTOP, locale="en-GB")
    await tab.goto("/login")
    assert await tab.page.text_content("h1") == "Log in"
    await tab.shot("login-desktop-en")
    await context.close()
    assert tab.foreign == []
