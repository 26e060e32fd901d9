"""A served instance on PostgreSQL and a real headless Chromium driving it.

The service runs in its own process (uvicorn, as in production) on a free port, against the
run's scratch PostgreSQL database and key directory, so tests can seed data directly and
then act through the browser. Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, Request, async_playwright

from ledger.keys import KeyStore
from tests.conftest import Database

CHROMIUM = os.environ.get("JIFEN_TEST_CHROMIUM", "/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("JIFEN_TEST_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 860}
STARTUP_SECONDS = 30


@dataclass
class Served:
    """The running service: where it answers, and the database behind it."""

    base_url: str
    db: Database
    keystore: KeyStore


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium; its absence skips these tests (fails them in CI)."""
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        message = f"no Chromium at {CHROMIUM}; install Debian's chromium package"
        if REQUIRE_BROWSER:
            pytest.fail(message + " (JIFEN_TEST_REQUIRE_BROWSER=1)")
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="session")
def served(postgresql_db: Database, keystore: KeyStore, chromium_path: str) -> Iterator[Served]:
    """The service in a uvicorn process on a free port, on the run's PostgreSQL database."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "JIFEN_DATABASE_URL": postgresql_db.url,
        "JIFEN_KEY_DIR": str(keystore.directory),
        "JIFEN_SESSION_SECRET": secrets.token_hex(32),
        "JIFEN_PUBLIC_BASE_URL": base_url,
        "JIFEN_RUN_JOBS": "0",
    }
    process = subprocess.Popen(  # noqa: S603 (our own interpreter running our own app)
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "api.asgi:create_app_from_environ",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
    )
    try:
        _wait_ready(base_url, process)
        yield Served(base_url, postgresql_db, keystore)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_ready(base_url: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(STARTUP_SECONDS * 10):
        if process.poll() is not None:
            raise RuntimeError(f"the service exited with {process.returncode}")
        try:
            if httpx.get(f"{base_url}/ready", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)  # polling a starting process, not waiting on application time
    raise RuntimeError("the service did not become ready")


@dataclass
class Tab:
    """A browser page that remembers every request it made to another host."""

    page: Page
    base_url: str
    foreign: list[str] = field(default_factory=list)

    async def goto(self, path: str) -> None:
        await self.page.goto(self.base_url + path)

    async def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        await self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture(scope="session")
async def browser(chromium_path: str) -> AsyncIterator[Browser]:
    """One headless Chromium for the run."""
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        await launched.close()


async def open_tab(
    browser: Browser, served: Served, *, viewport: dict[str, int] = PHONE, locale: str = "zh-CN"
) -> tuple[BrowserContext, Tab]:
    """A fresh browser context (its own cookies) with one tab watching for foreign hosts."""
    context = await browser.new_context(viewport=viewport, locale=locale)  # type: ignore[arg-type]
    page = await context.new_page()
    tab = Tab(page, served.base_url)
    own_host = urlparse(served.base_url).netloc

    def watch(request: Request) -> None:
        host = urlparse(request.url).netloc
        if request.url.startswith(("http://", "https://")) and host != own_host:
            tab.foreign.append(request.url)

    page.on("request", watch)
    return context, tab
