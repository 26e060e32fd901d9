"""Purpose keys and the public key list."""

from __future__ import annotations

from datetime import datetime

from ledger import keyring, service
from ledger.keys import KeyStore
from tests.conftest import Database


async def test_rotation_at_the_same_moment_still_yields_the_newest_key(
    db: Database, keystore: KeyStore, ledger_id: str, now: datetime
) -> None:
    """Two rotations at one instant: the second key is the one used afterwards."""
    async with db.sessions.begin() as session:
        first = await keyring.rotate_purpose_key(
            session, keystore=keystore, scope=ledger_id, purpose="checkin", now=now
        )
        second = await keyring.rotate_purpose_key(
            session, keystore=keystore, scope=ledger_id, purpose="checkin", now=now
        )
        current = await keyring.purpose_signer(
            session, keystore=keystore, scope=ledger_id, purpose="checkin", now=now
        )
    assert first.key_id != second.key_id
    assert current.key_id == second.key_id


async def test_key_list_gives_ledger_key_ranges(
    db: Database, keystore: KeyStore, ledger_id: str, now: datetime
) -> None:
    """After a ledger key rotation the list shows where each key's range ends and starts."""
    async with db.sessions.begin() as session:
        await service.open_ledger(session, keystore=keystore, ledger=ledger_id, now=now)
        new_key = await service.rotate_key(session, keystore=keystore, ledger=ledger_id, now=now)
        listed = await keyring.list_keys(session, scope=ledger_id)
    ledger_keys = [k for k in listed if k.purpose == "ledger"]
    assert [(k.from_seq, k.to_seq) for k in ledger_keys] == [(1, 0), (1, None)]
    assert ledger_keys[-1].key_id == new_key
    assert all(len(bytes.fromhex(k.public_key)) == 32 for k in listed)
