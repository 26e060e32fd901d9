"""Fixtures for ledger tests: an opened ledger with an issuance account and members."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest

from ledger import service
from ledger.keys import KeyStore
from ledger.types import Posting
from tests.conftest import Database

ISSUANCE = "issuance"


@dataclass
class LedgerFixture:
    """An opened ledger and helpers to act on it, each in its own transaction."""

    db: Database
    keystore: KeyStore
    ledger: str
    now: datetime

    async def open_accounts(self, *names: str) -> None:
        async with self.db.sessions.begin() as session:
            for name in names:
                await service.open_account(session, ledger=self.ledger, account=name)

    async def credit(self, account: str, amount: int, ref: str) -> None:
        posting = Posting("credit", ISSUANCE, account, amount, ref)
        async with self.db.sessions.begin() as session:
            await service.append(
                session, keystore=self.keystore, ledger=self.ledger, posting=posting, now=self.now
            )

    async def balance(self, account: str) -> tuple[int, int]:
        async with self.db.sessions() as session:
            found = await service.balance(
                session, ledger=self.ledger, account=account, now=self.now
            )
        return found.balance_points, found.held_points


@pytest.fixture
async def opened(db: Database, keystore: KeyStore, ledger_id: str, now: datetime) -> LedgerFixture:
    """A new ledger with an issuance account (which may go negative) and no members."""
    async with db.sessions.begin() as session:
        await service.open_ledger(session, keystore=keystore, ledger=ledger_id, now=now)
        await service.open_account(session, ledger=ledger_id, account=ISSUANCE, allow_negative=True)
    return LedgerFixture(db, keystore, ledger_id, now)
