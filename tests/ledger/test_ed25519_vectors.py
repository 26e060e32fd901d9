"""Wycheproof Ed25519 vectors through `verify_signature`.

Read from the shared folder next to the project (see its README); none are copied here.
Wycheproof's "acceptable" verdict (none in the current file) would mean the standards allow
either answer, so such a case only has to be answered without an exception.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest

from ledger.signature import verify_signature
from tests.vectors import vectors_dir

VECTORS = vectors_dir()
WYCHEPROOF = VECTORS / "ed25519" / "wycheproof_ed25519_test.json"

VerifyCase = tuple[bytes, dict[str, Any]]


@cache
def _suite() -> dict[str, Any]:
    with WYCHEPROOF.open() as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def _cases() -> list[VerifyCase]:
    """Every test with its group's public key, in file order."""
    return [
        (bytes.fromhex(group["publicKey"]["pk"]), test)
        for group in _suite()["testGroups"]
        for test in group["tests"]
    ]


def test_suite_is_complete() -> None:
    """All cases the file announces are present, with distinct ids and known verdicts."""
    cases = _cases()
    assert len(cases) == _suite()["numberOfTests"]
    assert len({test["tcId"] for _, test in cases}) == len(cases)
    assert {test["result"] for _, test in cases} <= {"valid", "invalid", "acceptable"}


@pytest.mark.parametrize(
    ("public_key", "test"),
    [pytest.param(key, test, id=f"tc{test['tcId']}") for key, test in _cases()],
)
def test_wycheproof_case_gets_expected_verdict(public_key: bytes, test: dict[str, Any]) -> None:
    """A valid case verifies and an invalid one is refused, without raising either way."""
    verdict = verify_signature(public_key, bytes.fromhex(test["sig"]), bytes.fromhex(test["msg"]))
    if test["result"] == "acceptable":
        assert isinstance(verdict, bool)
    else:
        assert verdict is (test["result"] == "valid"), f"{test['comment']} {test['flags']}"


@pytest.mark.parametrize(
    ("public_key", "signature"),
    [
        (b"", bytes(64)),
        (bytes(31), bytes(64)),
        (bytes(33), bytes(64)),
        (bytes(32), b""),
        (bytes(32), bytes(63)),
        (bytes(32), bytes(65)),
        (b"\xff" * 32, bytes(64)),
    ],
    ids=["no-key", "short-key", "long-key", "no-sig", "short-sig", "long-sig", "non-canonical-key"],
)
def test_malformed_key_or_signature_is_refused_without_raising(
    public_key: bytes, signature: bytes
) -> None:
    """Wrong-length keys or signatures and a key with y >= p (not a valid encoding) give False."""
    assert verify_signature(public_key, signature, b"message") is False


@pytest.mark.parametrize("bad", [None, "00" * 32, bytearray(32)], ids=["none", "str", "bytearray"])
def test_non_bytes_input_is_refused_without_raising(bad: Any) -> None:
    """Arguments that are not bytes give False rather than a TypeError."""
    public_key, test = _cases()[0]
    signature, message = bytes.fromhex(test["sig"]), bytes.fromhex(test["msg"])
    assert verify_signature(public_key, signature, message) is True
    assert verify_signature(bad, signature, message) is False
    assert verify_signature(public_key, bad, message) is False
    assert verify_signature(public_key, signature, bad) is False
