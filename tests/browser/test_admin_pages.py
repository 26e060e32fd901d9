"""The admin console in a real browser against a served instance on PostgreSQL: an admin
uploads a rule set with an error and sees it named, then a good one, simulates and
activates it; reads the dashboard's charts; works through every management page. Every page
is shot at desktop and phone size, and none asks another host for anything.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.async_api import Browser

from ledger.keys import KeyStore
from redemption import catalogue
from redemption.models import Reward
from tests.admin.history import History, new_history
from tests.api.admin_pages_helpers import BAD_RULES, GOOD_RULES
from tests.api.world import PASSWORD, World, build_world
from tests.browser.conftest import DESKTOP, PHONE, Served, Tab, open_tab

WEEKS = (
    ("elderly_collective_birthday", "patrol", ["wang", "li"]),
    ("new_year_banquet", "arts", ["li", "zhao", "sun"]),
    ("building_cleanup", "patrol", ["wang", "sun"]),
    ("arts_performance", "arts", ["zhao"]),
    ("legal_aid_day", "patrol", ["li", "wang"]),
    ("elderly_collective_birthday", "arts", ["zhao", "sun", "li"]),
    ("science_fitness", "arts", ["sun"]),
    ("red_ribbon_outreach", "patrol", ["wang", "zhao"]),
    ("new_year_banquet", "patrol", ["wang", "li", "zhao", "sun"]),
    ("building_cleanup", "arts", ["li"]),
    ("elderly_collective_birthday", "patrol", ["wang", "sun"]),
    ("legal_aid_day", "arts", ["zhao", "li"]),
)


async def shots(tab: Tab, name: str) -> None:
    """The page as it is now at desktop size, then phone size, then desktop again (from its
    top, so that the side menu is where a reader would first see it)."""
    await tab.page.evaluate("window.scrollTo(0, 0)")
    await tab.shot(f"{name}-desktop")
    await tab.page.set_viewport_size(PHONE)  # type: ignore[arg-type]  # a plain width/height dict
    await tab.shot(f"{name}-phone")
    await tab.page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]  # as above


async def log_in(tab: Tab, world: World, role: str) -> None:
    """Fill in the login page the browser was sent to, and wait to be sent on."""
    await tab.page.wait_for_url("**/login?next=**")
    await tab.page.fill("input[name=identifier]", world.username(role))
    await tab.page.fill("input[name=password]", PASSWORD)
    await tab.page.click("button[type=submit]")
    await tab.page.wait_for_load_state()


async def seed(served: Served, keystore: KeyStore) -> tuple[History, Reward, datetime]:
    """Twelve weeks of volunteering and redemptions up to last week. The served instance
    runs on the real clock, so the history is dated back from the real time."""
    now = datetime.now(UTC)
    start = now - timedelta(weeks=13)
    world = await build_world(served.db, keystore, start)
    history = await new_history(world, start)
    async with served.db.sessions.begin() as session:
        reward = await catalogue.create_reward(
            session,
            community_id=world.community.id or 0,
            shop_id=world.shop.id or 0,
            fields={"name_zh": "食用油 5 升", "name_en": "Cooking oil", "price_points": 20},
            now=start,
        )
    for week, (activity, team, who) in enumerate(WEEKS):
        at = start + timedelta(days=7 * week + 8, hours=1)
        await history.visit(at, activity, team, who)
        if week % 3 == 2:
            await history.redeem(at + timedelta(days=2), who[0], reward)
    return history, reward, start


async def test_admin_uploads_rules_reads_the_dashboard_and_manages(
    browser: Browser, served: Served, keystore: KeyStore
) -> None:
    """A bad rule set's error names its line and key; a good one checks, uploads, simulates
    against twelve weeks of history and activates; the dashboard draws its charts; every
    management page works and is shot; no request leaves the host."""
    history, reward, start = await seed(served, keystore)
    world = history.world
    base = f"/admin/c/{world.community.id}"
    context, tab = await open_tab(browser, served, viewport=DESKTOP)
    page = tab.page

    await tab.goto("/admin")
    await log_in(tab, world, "admin")
    await page.wait_for_url(f"**{base}")
    for chart in ("points", "volunteers", "activity", "team", "building"):
        assert await page.is_visible(f"[data-chart={chart}] svg")
    assert await page.text_content("[data-number=members]") == "10"
    assert int(await page.text_content("[data-number=circulation]") or "0") > 0
    await shots(tab, "admin-dashboard")

    await tab.goto(base + "/rules")
    await page.fill("[data-testid=rules-text]", BAD_RULES)
    await page.click("[data-testid=upload]")
    await page.wait_for_selector("[data-code=ruleset_invalid]")
    assert await page.text_content("[data-detail=line]") == "15"
    key = "activities.elderly_collective_birthday.base_points"
    assert await page.text_content("[data-detail=key]") == key
    assert "2.5" in await page.input_value("[data-testid=rules-text]")
    await shots(tab, "admin-rules-error")

    await page.fill("[data-testid=rules-text]", GOOD_RULES)
    await page.click("[data-testid=check]")
    await page.wait_for_selector("[data-testid=checked]")
    await shots(tab, "admin-rules-checked")
    await page.click("[data-testid=upload]")
    await page.wait_for_url("**/rules/*?done=uploaded")
    await page.fill("input[name=since]", start.date().isoformat())
    await page.click("[data-testid=simulate]")
    await page.wait_for_selector("[data-testid=simulation]")
    rows = await page.locator("[data-testid=simulation] tbody tr").count()
    assert rows == sum(len(who) for _, _, who in WEEKS)
    await shots(tab, "admin-simulation")
    await page.click("[data-testid=activate]")
    await page.wait_for_selector("[data-testid=in-force]")
    await shots(tab, "admin-rule-version")
    await tab.goto(base + "/rules")
    await shots(tab, "admin-rules")

    await tour(tab, history, reward)
    await tab.goto(f"/lang/en?next={base}")
    await page.wait_for_selector("html[lang=en] [data-chart=points] svg")
    assert "Points issued and redeemed per week" in await page.content()
    await shots(tab, "admin-dashboard-en")
    await context.close()
    assert tab.foreign == []


async def tour(tab: Tab, history: History, reward: Reward) -> None:
    """Through the management pages, doing one thing on each."""
    world = history.world
    base = f"/admin/c/{world.community.id}"
    page = tab.page
    for name in ("community", "places", "teams", "shops"):
        await tab.goto(f"{base}/{name}")
        await shots(tab, f"admin-{name}")

    await tab.goto(base + "/members")
    await page.fill("#new-member input[name=display_name]", "刘阿姨")
    await page.fill("#new-member input[name=phone]", "13612345678")
    await page.click("#new-member button[type=submit]")
    await page.wait_for_selector("[data-testid=setup-code]")
    await shots(tab, "admin-member-created")
    await tab.goto(base + "/members")
    await shots(tab, "admin-members")
    await page.fill("input[name=q]", "刘阿姨")
    await page.press("input[name=q]", "Enter")
    await page.wait_for_url("**/members?q=*")
    await page.click("[data-testid=members] tbody tr a")
    await page.wait_for_selector("[data-testid=account]")
    await shots(tab, "admin-member")
    await page.click("[data-testid=erase-link]")
    await page.wait_for_selector("[data-testid=erase]")
    await shots(tab, "admin-member-erase")
    await page.check("input[name=confirm]")
    await page.click("[data-testid=erase]")
    await page.wait_for_selector("[data-testid=erased]")

    await tab.goto(base + "/rewards")
    await shots(tab, "admin-rewards")
    await tab.goto(f"{base}/rewards/{reward.id}")
    await shots(tab, "admin-reward")

    credited = await history.visit(
        datetime.now(UTC) - timedelta(hours=1), "new_year_banquet", "arts", ["zhao"]
    )
    seq = credited[0].ledger_seq
    await tab.goto(f"{base}/reversals?seq={seq}")
    await page.fill("#reverse input[name=reason]", "记错了人")
    await page.click("[data-testid=reverse]")
    await page.wait_for_selector("[data-done=reversed]")
    await page.fill("#reverse input[name=reason]", "再冲一次")
    await page.click("[data-testid=reverse]")
    await page.wait_for_selector("[data-testid=refusal] [data-code=not_reversible]")
    await shots(tab, "admin-reversals")

    await tab.goto(base + "/keys")
    await page.click("button[data-purpose=ledger]")
    await page.wait_for_selector("[data-done=rotated]")
    await shots(tab, "admin-keys")


async def test_auditor_and_district_admin_views(
    browser: Browser, served: Served, keystore: KeyStore
) -> None:
    """The auditor reads the dashboard and the members without forms or personal data; the
    district admin picks a community from both of the sub-district's."""
    history, _, _ = await seed(served, keystore)
    world = history.world
    base = f"/admin/c/{world.community.id}"
    context, auditor = await open_tab(browser, served, viewport=DESKTOP)
    await auditor.goto("/admin")
    await log_in(auditor, world, "auditor")
    await auditor.page.wait_for_selector("[data-testid=read-only]")
    await shots(auditor, "admin-dashboard-auditor")
    await auditor.goto(base + "/members")
    assert await auditor.page.locator("main form[method=post]").count() == 0
    assert "志愿者wang" not in await auditor.page.content()
    await shots(auditor, "admin-members-auditor")
    await context.close()

    context, district = await open_tab(browser, served, viewport=DESKTOP)
    await district.goto("/admin")
    await log_in(district, world, "district_admin")
    await district.page.wait_for_selector(f"[data-community='{world.other.id}']")
    await shots(district, "admin-index-district")
    await context.close()
    assert auditor.foreign == []
    assert district.foreign == []
