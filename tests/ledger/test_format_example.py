"""The worked example of docs/ledger-format.md, reproduced byte for byte."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import merkle, proofs, service
from ledger.canonical import canonical_bytes
from ledger.keys import KeyStore
from ledger.types import Posting
from tests.conftest import Database

DOC = Path(__file__).resolve().parents[2] / "docs" / "ledger-format.md"
# RFC 8032 section 7.1, test 1: a private key everyone can reproduce.
EXAMPLE_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
MEMBER = "m-5a1f0c9e3b7d2a64"
SHOP = "shop-7c21"


def _at(minute: int) -> datetime:
    return datetime(2026, 3, 1, 9, minute, 0, 123456, tzinfo=UTC)


async def build_example(db: Database, keystore: KeyStore, ledger: str) -> str:
    """Build the example ledger and render the block the document shows."""
    key = Ed25519PrivateKey.from_private_bytes(EXAMPLE_SEED)
    async with db.sessions.begin() as session:
        await service.open_ledger(
            session, keystore=keystore, ledger=ledger, now=_at(0), first_key=key
        )
        await service.open_account(session, ledger=ledger, account="issuance", allow_negative=True)
        for account in (MEMBER, SHOP):
            await service.open_account(session, ledger=ledger, account=account)
    credit = Posting(
        "checkin.credit",
        "issuance",
        MEMBER,
        30,
        "checkin/41",
        {"checkin": 41, "rules": "3b5d0e" + "0" * 58, "note": "巡逻 60 分钟"},
    )
    async with db.sessions.begin() as session:
        await service.append(session, keystore=keystore, ledger=ledger, posting=credit, now=_at(1))
        hold = await service.place_hold(
            session,
            keystore=keystore,
            ledger=ledger,
            posting=Posting("redeem", MEMBER, SHOP, 12, "redeem/9f2c", {"reward": 7}),
            ttl_seconds=600,
            now=_at(2),
        )
        await service.resolve_hold(
            session,
            keystore=keystore,
            ledger=ledger,
            hold_seq=hold.entry.seq,
            action="commit",
            ref="redeem/9f2c/commit",
            now=_at(3),
        )
        checkpoint = await proofs.issue_checkpoint(
            session, keystore=keystore, ledger=ledger, now=_at(4)
        )
        entries = await service.entries(session, ledger=ledger, start_seq=1, limit=10)
    lines = [f"key {checkpoint.key} public {keystore.load(checkpoint.key).public_key.hex()}"]
    for entry in entries:
        lines += [
            f"entry {entry.seq} canonical {entry.canonical.decode()}",
            f"entry {entry.seq} hash {entry.hash}",
            f"entry {entry.seq} leaf {merkle.leaf_hash(entry.canonical).hex()}",
            f"entry {entry.seq} sig {entry.sig}",
        ]
    lines += [
        f"checkpoint canonical {checkpoint.canonical.decode()}",
        f"checkpoint sig {checkpoint.sig}",
    ]
    return "\n".join(lines)


def documented_example() -> str:
    """The block between the example markers of the format document."""
    text = DOC.read_text(encoding="utf-8")
    match = re.search(
        r"<!-- example:begin -->\n```text\n(.*?)\n```\n<!-- example:end -->", text, re.S
    )
    assert match is not None, "the format document lost its worked example"
    return match.group(1)


async def test_worked_example_matches_the_document(db: Database, keystore: KeyStore) -> None:
    """Entries, hashes, leaf hashes, signatures and the checkpoint equal the document's bytes."""
    assert await build_example(db, keystore, "example") == documented_example()


def test_canonical_bytes_equal_rfc8785_for_the_example() -> None:
    """Every canonical object in the document is exactly what the rfc8785 package produces."""
    for line in documented_example().splitlines():
        if " canonical " in line:
            body = json.loads(line.split(" canonical ", 1)[1])
            assert canonical_bytes(body) == rfc8785.dumps(body)
