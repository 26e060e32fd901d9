"""Signing a batch's entries on several threads gives each message its own signature, in order."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import signing
from ledger.keys import KeyStore


@pytest.mark.parametrize("count", [0, 1, 3, 4, 7, 8, 9, 16, 101])
def test_signatures_come_back_in_the_order_of_the_messages(count: int, tmp_path: Path) -> None:
    signer = KeyStore(tmp_path).import_key(Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
    messages = [os.urandom(50) + i.to_bytes(4, "big") for i in range(count)]
    signatures = signing.sign_all(signer, messages)
    # Ed25519 is deterministic: each message's one-thread signature is the only right answer.
    assert signatures == [signer.sign_hex(m) for m in messages]
