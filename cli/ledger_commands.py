"""Ledger commands that act on the database named by the settings."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from config.database import make_engine, make_sessionmaker
from config.settings import Settings
from ledger import proofs
from ledger.keys import KeyStore
from ledger.models import LedgerHead


async def ledger_ids(settings: Settings, ledger: str | None) -> list[str]:
    """The ledger named, or every ledger in the database."""
    if ledger is not None:
        return [ledger]
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            found = await session.execute(select(LedgerHead.ledger).order_by(LedgerHead.ledger))
            return list(found.scalars())
    finally:
        await engine.dispose()


async def issue_checkpoints(settings: Settings, *, ledger: str | None) -> int:
    """Sign a checkpoint of every ledger's current size and print it."""
    engine = make_engine(settings.database_url)
    keystore = KeyStore(settings.key_dir)
    try:
        for ledger_id in await ledger_ids(settings, ledger):
            async with make_sessionmaker(engine).begin() as session:
                checkpoint = await proofs.issue_checkpoint(
                    session, keystore=keystore, ledger=ledger_id, now=datetime.now(UTC)
                )
            print(f"{ledger_id}: size {checkpoint.size} root {checkpoint.root}")
    finally:
        await engine.dispose()
    return 0
