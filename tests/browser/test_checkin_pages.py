"""Check-ins in real browsers against a served instance on PostgreSQL: a captain creates an
event and shows its kiosk, a volunteer on a phone opens the URL decoded from the kiosk's QR
image, logs in and is checked in, the captain approves, and the volunteer sees the credit,
its explanation and the new balance; then the leaderboards and the personal code, which the
captain scans. Every page is shot at phone and desktop size. A last test walks every page
reachable from each role's navigation and checks that nothing is asked of another host.

The served instance runs on the real clock, so events are made around the real time.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import zxingcpp
from PIL import Image
from playwright.async_api import Browser
from sqlmodel import select

from checkin import events
from checkin.models import Checkin, Event
from ledger.keys import KeyStore
from tests.api.world import PASSWORD, World, build_world
from tests.browser.conftest import DESKTOP, PHONE, Served, Tab, open_tab

ZONE = ZoneInfo("Asia/Shanghai")  # the default rule set's zone: the form's times are local
FORM_TIME = "%Y-%m-%dT%H:%M"
CRAWL_LIMIT = 150  # pages per role; a fresh world has far fewer
NOT_PAGES = (".csv", ".png", ".svg", ".json", ".webmanifest")


async def shots(tab: Tab, name: str) -> None:
    """The page as it is now at phone and at desktop size, back to the tab's own size."""
    size = tab.page.viewport_size
    await tab.page.evaluate("window.scrollTo(0, 0)")
    await tab.page.set_viewport_size(PHONE)  # type: ignore[arg-type]  # a plain width/height dict
    await tab.shot(f"{name}-phone")
    await tab.page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]  # as above
    await tab.shot(f"{name}-desktop")
    if size is not None:
        await tab.page.set_viewport_size(size)


async def log_in(tab: Tab, world: World, role: str) -> None:
    """Fill in the login page the browser was sent to, and wait to be sent back."""
    await tab.page.wait_for_url("**/login?next=**")
    await tab.page.fill("input[name=identifier]", world.username(role))
    await tab.page.fill("input[name=password]", PASSWORD)
    await tab.page.click("button[type=submit]")
    await tab.page.wait_for_load_state()


async def create_event(tab: Tab, title: str, starts: datetime, minutes: int) -> int:
    """Fill in the captain's new-event form; the new event's id."""
    page = tab.page
    form = page.locator("[data-testid=new-event]")
    await form.locator("select[name=activity_id]").select_option("elderly_collective_birthday")
    await form.locator("input[name=title]").fill(title)
    await form.locator("input[name=place]").fill("3 号楼活动室")
    await form.locator("input[name=starts_at]").fill(starts.astimezone(ZONE).strftime(FORM_TIME))
    ends = starts + timedelta(minutes=minutes)
    await form.locator("input[name=ends_at]").fill(ends.astimezone(ZONE).strftime(FORM_TIME))
    await form.locator("input[name=capacity]").fill("30")
    await form.locator("[data-testid=create]").click()
    await page.wait_for_url("**/captain?done=created*")
    item = page.locator("[data-testid=current] li", has_text=title)
    return int(await item.get_attribute("data-event") or "0")


async def open_event_now(
    served: Served, world: World, spec: events.EventSpec, now: datetime
) -> Event:
    """An event of the world's team made by its captain, open for check-in."""
    async with served.db.sessions.begin() as session:
        event = await events.create(
            session,
            community_id=world.community.id or 0,
            team_id=world.team.id or 0,
            created_by=world.id_of("captain"),
            spec=spec,
            now=now,
        )
        await events.open_event(session, event=event, now=now)
    return event


async def decode(tab: Tab, selector: str) -> str:
    """The text of the QR image shown at `selector`, read from a screenshot of it."""
    image = tab.page.locator(selector)
    await image.wait_for()
    loaded = (
        "s => { const i = document.querySelector(s); return i && i.complete && i.naturalWidth; }"
    )
    await tab.page.wait_for_function(loaded, arg=selector)
    [found] = zxingcpp.read_barcodes(Image.open(io.BytesIO(await image.screenshot())))
    return str(found.text)


async def test_volunteer_checks_in_at_the_kiosk_and_sees_the_credit(
    browser: Browser, served: Served, keystore: KeyStore
) -> None:
    """The issue's flow: kiosk QR -> phone -> login -> "已签到" -> captain approves -> the
    volunteer's history explains the credit and home shows the balance; then leaderboards
    and the personal code, which the captain scans from the volunteer's screen."""
    now = datetime.now(UTC)
    world = await build_world(served.db, keystore, now - timedelta(days=1))
    captain_context, captain = await open_tab(browser, served, viewport=DESKTOP)
    phone_context, phone = await open_tab(browser, served, viewport=PHONE)

    await captain.goto("/captain")
    await log_in(captain, world, "captain")
    await captain.page.wait_for_selector("[data-testid=new-event]")
    await shots(captain, "captain-events-empty-zh")
    title = "三月集体生日会"
    event_id = await create_event(captain, title, now - timedelta(minutes=30), 60)
    await captain.page.click(f"[data-event='{event_id}'] [data-testid=open]")
    await captain.page.wait_for_url("**/captain?done=opened*")
    await shots(captain, "captain-events-zh")
    await captain.page.click(f"[data-event='{event_id}'] [data-testid=kiosk]")
    await captain.page.wait_for_url(f"**/captain/events/{event_id}/kiosk")
    url = await decode(captain, "[data-testid=qr]")
    assert url.startswith(f"{served.base_url}/c/")
    await shots(captain, "captain-kiosk-zh")

    await phone.page.goto(url)
    await log_in(phone, world, "resident")
    await phone.page.wait_for_url("**/me/checkins/*?scan=new")
    assert await phone.page.text_content("[data-testid=headline]") == "已签到"
    assert title in (await phone.page.text_content("[data-testid=event]") or "")
    assert "等待队长审核" in (await phone.page.text_content("[data-testid=next]") or "")
    await shots(phone, "checkin-done-zh")

    # The kiosk's script notices the check-in by itself.
    await captain.page.wait_for_selector("[data-testid=count]:text-is('1')", timeout=15_000)
    await captain.goto("/captain/pending")
    row = captain.page.locator("[data-testid=pending] li", has_text=title)
    await shots(captain, "captain-pending-zh")
    await row.locator("[data-testid=approve]").click()
    await captain.page.wait_for_selector("[data-testid=decided][data-state=approved]")
    await shots(captain, "captain-approved-zh")

    async with served.db.sessions() as session:
        statement = select(Checkin).where(Checkin.event_id == event_id)
        credited = (await session.execute(statement)).scalar_one()
    assert credited.points == 60
    assert credited.explanation_en.startswith("20 base + 20 for 60 minutes")
    await phone.goto("/history")
    entry = phone.page.locator("[data-kind='checkin.credit']").first
    assert credited.explanation_zh in (await entry.text_content() or "")
    await shots(phone, "history-zh")
    await phone.goto("/")
    assert await phone.page.text_content("[data-testid=available]") == "60"
    await shots(phone, "home-zh")
    await phone.goto("/lang/en?next=/history")
    await phone.page.wait_for_selector("html[lang=en]")
    entry = phone.page.locator("[data-kind='checkin.credit']").first
    assert "20 base + 20 for 60 minutes" in (await entry.text_content() or "")
    await shots(phone, "history-en")
    await phone.goto("/")
    await shots(phone, "home-en")
    await phone.goto("/lang/zh?next=/")

    await phone.goto("/leaderboards?board=community&window=week")
    mine = phone.page.locator("[data-testid=leaderboard] [data-mine]")
    assert "60" in (await mine.text_content() or "")
    await shots(phone, "leaderboards-zh")

    await phone.goto("/me/code")
    scan_url = await decode(phone, "[data-testid=qr]")
    assert urlsplit(scan_url).path == "/captain/scan"
    await shots(phone, "mycode-zh")
    await captain.page.goto(scan_url)
    await captain.page.wait_for_selector("[data-scan-form]")
    # Chromium on Linux has no BarcodeDetector: the page offers the text field, filled in.
    assert await captain.page.is_visible("[data-no-camera]")
    await shots(captain, "captain-scan-zh")
    await captain.page.click("[data-testid=scan-submit]")
    await captain.page.wait_for_selector("[data-testid=outcome][data-outcome=existing]")
    await shots(captain, "captain-scanned-zh")

    await phone_context.close()
    await captain_context.close()
    assert phone.foreign == []
    assert captain.foreign == []


async def test_patrol_check_out_and_refusals_on_a_phone(
    browser: Browser, served: Served, keystore: KeyStore
) -> None:
    """A patrol asks for a check-out; the second scan shows the button and checks out; a
    code from another community is refused with its reason. In English this time."""
    now = datetime.now(UTC)
    world = await build_world(served.db, keystore, now - timedelta(days=1))
    spec = events.EventSpec(
        activity_id="safety_patrol",
        title="夜间巡逻",
        place="东门",
        starts_at=now - timedelta(minutes=50),
        ends_at=now + timedelta(minutes=70),
        capacity=10,
        open_to="team",
    )
    patrol = await open_event_now(served, world, spec, now)
    captain_context, captain = await open_tab(browser, served, viewport=DESKTOP, locale="en-GB")
    phone_context, phone = await open_tab(browser, served, locale="en-GB")
    stranger_context, stranger = await open_tab(browser, served, locale="en-GB")

    await captain.goto(f"/captain/events/{patrol.id}/kiosk")
    await log_in(captain, world, "captain")
    url = await decode(captain, "[data-testid=qr]")
    await shots(captain, "captain-kiosk-en")
    await phone.page.goto(url)
    await log_in(phone, world, "resident")
    await phone.page.wait_for_url("**/me/checkins/*")
    assert "scan the code on the screen again" in (
        await phone.page.text_content("[data-testid=next]") or ""
    )
    await shots(phone, "checkin-patrol-en")
    await phone.page.goto(await decode(captain, "[data-testid=qr]"))
    await phone.page.wait_for_url("**/me/checkins/*?scan=existing")
    await shots(phone, "checkin-checkout-en")
    await phone.page.click("[data-testid=checkout]")
    await phone.page.wait_for_url("**/me/checkins/*?scan=out")
    assert await phone.page.text_content("[data-testid=headline]") == "Checked out"
    await shots(phone, "checkin-checked-out-en")

    await stranger.page.goto(url.replace("/c/", "/c/x"))
    await stranger.page.wait_for_selector("[data-code=token_malformed]")
    await shots(stranger, "checkin-refused-en")
    await captain.goto("/captain/pending")
    await shots(captain, "captain-pending-en")
    await captain.goto("/captain")
    await shots(captain, "captain-events-en")
    for context in (captain_context, phone_context, stranger_context):
        await context.close()
    assert captain.foreign == phone.foreign == stranger.foreign == []
    async with served.db.sessions() as session:
        found = await session.get(Event, patrol.id)
    assert found is not None
    assert found.checkin_count == 1


def _same_host_pages(served: Served, hrefs: Iterable[str]) -> list[str]:
    """The paths (with queries) of the links that lead to pages of this service."""
    own = urlsplit(served.base_url).netloc
    found = []
    for href in hrefs:
        parts = urlsplit(href)
        if parts.scheme not in ("http", "https") or parts.netloc != own:
            continue
        if parts.path.startswith("/lang/") or parts.path.endswith(NOT_PAGES):
            continue  # the language switch leads to the same pages; files are not pages
        found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def shot_name(role: str, path: str) -> str:
    """One screenshot name per kind of page: ids and the query left out."""
    kind = re.sub(r"\d+", "n", urlsplit(path).path).strip("/").replace("/", "-")
    return f"crawl-{role}-{kind or 'home'}"


async def crawl(tab: Tab, served: Served, role: str, start: list[str]) -> list[str]:
    """Every page reachable by links from `start`, breadth first; the paths visited. Each
    kind of page is shot at phone and desktop size."""
    seen: list[str] = []
    shot: set[str] = set()
    queue = list(start)
    while queue and len(seen) < CRAWL_LIMIT:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.append(path)
        response = await tab.page.goto(served.base_url + path)
        assert response is not None
        assert response.status < 500, (path, response.status)
        await tab.page.wait_for_load_state("load")
        if shot_name(role, path) not in shot:
            shot.add(shot_name(role, path))
            await shots(tab, shot_name(role, path))
        hrefs = await tab.page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
        queue += [p for p in _same_host_pages(served, hrefs) if p not in seen]
    assert not queue or len(seen) < CRAWL_LIMIT, f"more than {CRAWL_LIMIT} pages from {start}"
    return seen


async def test_no_page_of_any_role_asks_another_host(
    browser: Browser, served: Served, keystore: KeyStore
) -> None:
    """A resident, a captain, a clerk and an admin each walk every page their navigation
    reaches (with an open event, a check-in and a credit to show); no request leaves the
    service's host. Every kind of page is shot at phone and desktop size on the way."""
    now = datetime.now(UTC)
    world = await build_world(served.db, keystore, now - timedelta(days=1))
    spec = events.EventSpec(
        activity_id="new_year_banquet",
        title="坝坝席迎新年",
        place="广场",
        starts_at=now - timedelta(minutes=10),
        ends_at=now + timedelta(hours=2),
        capacity=50,
        open_to="community",
    )
    event = await open_event_now(served, world, spec, now)
    visited: dict[str, list[str]] = {}
    for role, start in (
        ("resident", ["/"]),
        ("captain", ["/", "/captain"]),
        ("clerk", ["/", "/clerk"]),
        ("admin", ["/", "/admin"]),
    ):
        context, tab = await open_tab(browser, served)
        await tab.goto(start[0])
        await log_in(tab, world, role)
        visited[role] = await crawl(tab, served, role, start)
        await context.close()
        assert tab.foreign == [], (role, tab.foreign)
    for role, pages in visited.items():
        for path in ("/", "/history", "/leaderboards", "/rewards", "/me/code"):
            assert path in pages, (role, path)
    assert f"/captain/events/{event.id}/kiosk" in visited["captain"]
    assert {"/captain/pending", "/captain/scan"} <= set(visited["captain"])
    assert "/clerk/statement" in " ".join(visited["clerk"])
    assert any(p.startswith("/admin/c/") for p in visited["admin"])
