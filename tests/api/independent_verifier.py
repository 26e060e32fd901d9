"""An independent verifier of Jifen ledgers, written from docs/ledger-format.md alone.

It uses hashlib, cryptography, json and rfc8785, and nothing of the service's own ledger
code (no ledger.canonical, ledger.merkle or ledger.verify*): two implementations that agree
on real HTTP responses are the point. Every check raises AssertionError naming what failed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ENTRY_FIELDS = (
    "v", "ledger", "seq", "ts", "kind", "debit", "credit", "amount", "ref", "meta", "prev", "key",
)  # fmt: skip
CHECKPOINT_FIELDS = ("v", "ledger", "size", "root", "ts", "key")
ZERO_HASH = "0" * 64
ENTRY_CONTEXT = b"jifen-entry-v1\n"
CHECKPOINT_CONTEXT = b"jifen-checkpoint-v1\n"


def canonical(value: Mapping[str, Any]) -> bytes:
    """RFC 8785 canonical bytes."""
    encoded: bytes = rfc8785.dumps(dict(value))
    return encoded


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def leaf_hash(entry_canonical: bytes) -> bytes:
    return sha256(b"\x00" + entry_canonical)


def node_hash(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right)


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """RFC 9162 section 2.1.1: MTH over leaf hashes."""
    if not leaves:
        return sha256(b"")
    if len(leaves) == 1:
        return leaves[0]
    split = 1 << ((len(leaves) - 1).bit_length() - 1)  # largest power of two below n
    return node_hash(merkle_root(leaves[:split]), merkle_root(leaves[split:]))


def verify_signature(public_key_hex: str, message: bytes, signature_hex: str, what: str) -> None:
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex)).verify(
            bytes.fromhex(signature_hex), message
        )
    except (InvalidSignature, ValueError) as exc:
        raise AssertionError(f"{what}: bad signature") from exc


def check_keys(keys: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """Key ids are the first 16 hex characters of SHA-256 of the raw public key."""
    by_id = {}
    for key in keys:
        raw = bytes.fromhex(key["public_key"])
        assert len(raw) == 32, f"key {key['key_id']}: not a 32-byte Ed25519 key"
        assert hashlib.sha256(raw).hexdigest()[:16] == key["key_id"], f"key {key['key_id']}: id"
        by_id[key["key_id"]] = key
    return by_id


def check_entries(
    entries: Sequence[Mapping[str, Any]], keys: Mapping[str, Mapping[str, Any]], ledger: str
) -> list[bytes]:
    """Verify a whole chain from seq 1; returns the leaf hashes in seq order."""
    previous = ZERO_HASH
    leaves = []
    last_ts = ""
    for expected_seq, entry in enumerate(entries, start=1):
        where = f"entry {entry.get('seq')}"
        assert set(entry) == {*ENTRY_FIELDS, "hash", "sig"}, f"{where}: fields {sorted(entry)}"
        assert entry["v"] == 1, f"{where}: version"
        assert entry["ledger"] == ledger, f"{where}: ledger"
        assert entry["seq"] == expected_seq, f"{where}: seq should be {expected_seq}"
        assert entry["prev"] == previous, f"{where}: prev does not link to the entry before"
        assert entry["ts"] >= last_ts, f"{where}: ts goes back in time"
        assert entry["debit"] != entry["credit"], f"{where}: debit and credit are the same"
        assert entry["amount"] > 0, f"{where}: amount"
        body = canonical({name: entry[name] for name in ENTRY_FIELDS})
        assert hashlib.sha256(body).hexdigest() == entry["hash"], f"{where}: hash"
        key = keys.get(entry["key"])
        assert key is not None, f"{where}: unknown key"
        assert key["purpose"] == "ledger", f"{where}: not a ledger key"
        first, last = key["from_seq"], key["to_seq"]
        assert first <= entry["seq"], f"{where}: signed before its key was valid"
        assert last is None or entry["seq"] <= last, f"{where}: signed after its key was replaced"
        verify_signature(key["public_key"], ENTRY_CONTEXT + body, entry["sig"], where)
        leaves.append(leaf_hash(body))
        previous = entry["hash"]
        last_ts = entry["ts"]
    return leaves


def check_checkpoint(
    signed: Mapping[str, Any], keys: Mapping[str, Mapping[str, Any]], leaves: Sequence[bytes]
) -> Mapping[str, Any]:
    """A checkpoint's signature, and its root against the first `size` leaves."""
    checkpoint: Mapping[str, Any] = signed["checkpoint"]
    assert set(checkpoint) == set(CHECKPOINT_FIELDS), f"checkpoint fields {sorted(checkpoint)}"
    key = keys.get(checkpoint["key"])
    assert key is not None, "checkpoint: unknown key"
    assert key["purpose"] == "ledger", "checkpoint: not a ledger key"
    body = canonical(checkpoint)
    verify_signature(key["public_key"], CHECKPOINT_CONTEXT + body, signed["sig"], "checkpoint")
    size = checkpoint["size"]
    assert size <= len(leaves), "checkpoint: larger than the entries"
    assert merkle_root(leaves[:size]).hex() == checkpoint["root"], "checkpoint: root"
    return checkpoint


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[str], root: bytes) -> None:
    """RFC 9162 section 2.1.3.2."""
    assert 0 <= index < size, "inclusion: index outside the tree"
    fn, sn, r = index, size - 1, leaf
    for item in proof:
        p = bytes.fromhex(item)
        assert sn != 0, "inclusion: proof too long"
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    assert sn == 0, "inclusion: proof too short"
    assert r == root, "inclusion: proof does not lead to the root"


def verify_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[str]
) -> None:
    """RFC 9162 section 2.1.4.2."""
    assert 0 < size1 <= size2, "consistency: sizes out of order"
    hashes = [bytes.fromhex(h) for h in proof]
    if size1 == size2:
        assert not hashes, "consistency: equal sizes need no proof"
        assert root1 == root2, "consistency: equal sizes need equal roots"
        return
    if size1 & (size1 - 1) == 0:  # a power of two: the old root is a node of the new tree
        hashes = [root1, *hashes]
    assert hashes, "consistency: empty proof"
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = hashes[0]
    for c in hashes[1:]:
        assert sn != 0, "consistency: proof too long"
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    assert sn == 0, "consistency: proof too short"
    assert fr == root1, "consistency: proof does not match the old root"
    assert sr == root2, "consistency: proof does not match the new root"
