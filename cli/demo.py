"""`jifen demo`: migrate an embedded database, seed the demo once, print how to use it, serve."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from admin.demo import DEMO_PASSWORD, PUBLIC_LEDGER, DemoPeople, demo_exists, seed_demo
from cli.serve import serve
from config.database import make_engine, make_sessionmaker
from config.settings import Settings
from ledger.keys import KeyStore
from migrations.runner import upgrade


async def _seed(settings: Settings) -> DemoPeople | None:
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine).begin() as session:
            if await demo_exists(session):
                return None
            return await seed_demo(
                session, keystore=KeyStore(settings.key_dir), now=datetime.now(UTC)
            )
    finally:
        await engine.dispose()


def _print_welcome(settings: Settings, host: str, port: int, people: DemoPeople | None) -> None:
    base = f"http://{host}:{port}"
    print("\nJifen demo")
    print(f"  database      {settings.database_url}")
    print(f"  keys          {settings.key_dir}")
    if people is None:
        print("  (the demo data was already there; nothing was added)")
    print("\nOpen")
    print(f"  {base}/                     volunteer pages (phone)")
    print(f"  {base}/admin                admin console (desktop)")
    print(f"  {base}/schema/swagger       API documentation")
    print(f"  {base}/api/v1/ledgers/{PUBLIC_LEDGER}/checkpoint   public ledger checkpoint")
    print(f"\nLogins (password for all: {DEMO_PASSWORD})")
    print("  admin            community admin (青云社区)")
    print("  auditor          read-only auditor")
    print("  district         district admin (锦江街道)")
    print("  resident01..04   residents who captain the four teams")
    print("  resident05..30   residents and volunteers")
    print("  clerk-market     clerk of the points supermarket")
    print("  clerk-barber     clerk of the barber's shop")
    print("\nVerify the ledger any time with:  .venv/bin/jifen ledger verify\n")


def demo(settings: Settings, *, host: str, port: int, serve_after: bool = True) -> int:
    """Prepare the demo database and run the service on it."""
    upgrade(settings.database_url)
    people = asyncio.run(_seed(settings))
    _print_welcome(settings, host, port, people)
    if not serve_after:
        return 0
    return serve(settings, host=host, port=port)
