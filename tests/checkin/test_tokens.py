"""The binary layout of signed codes, pinned, and strict parsing (pure, no database)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from checkin import tokens
from checkin.errors import TokenBadSignature, TokenMalformed
from ledger.keys import KeyStore, Signer

# Ed25519 signatures are deterministic, so a fixed key and nonce give fixed codes.
PINNED_EVENT_CODE = (
    "AUVWR1qnVGNHTAAAACkDhETAAAECAwQFBgcYVGRU8ErsVCfBOTffhw_2e1mJYkcT-GKg3lfEcVJhCJ4RQahs"
    "ONHYIwO_MYgzVhqAqJnPrA2K32sJd00WJCoJ"
)
PINNED_MEMBER_CODE = (
    "AU1WR1qnVGNHTAAAAAdpo_IAaaPzLAgJCgsMDQ4PzCo3O3s-ihUmblx4hTO83HJtOZWdrshYOzdIhsatgl-M"
    "ogTFcwQKcsUE7q1rtZldvXIqJqPdC_GITyCen6AOCw"
)


@pytest.fixture(scope="module")
def signer(tmp_path_factory: pytest.TempPathFactory) -> Signer:
    """The fixed key of the pinned codes (private bytes 0, 1, ..., 31)."""
    store = KeyStore(Path(tmp_path_factory.mktemp("pinned-keys")))
    return store.import_key(Ed25519PrivateKey.from_private_bytes(bytes(range(32))))


def test_event_code_bytes_are_pinned(signer: Signer) -> None:
    """An event code is 90 bytes (120 characters) laid out as the module documents."""
    code = tokens.sign_event_code(signer, event_id=41, bucket=59_000_000, nonce=bytes(range(8)))
    assert code == PINNED_EVENT_CODE
    raw = base64.urlsafe_b64decode(code + "==")
    assert len(code) == 120
    assert len(raw) == 90
    assert raw[0] == 1
    assert raw[1:2] == b"E"
    assert raw[2:10].hex() == signer.key_id
    assert int.from_bytes(raw[10:14], "big") == 41
    assert int.from_bytes(raw[14:18], "big") == 59_000_000
    assert raw[18:26] == bytes(range(8))
    signer.private_key.public_key().verify(raw[26:], tokens.DOMAIN + raw[:26])


def test_member_code_bytes_are_pinned(signer: Signer) -> None:
    """A member code is 94 bytes (126 characters) with its validity window."""
    code = tokens.sign_member_code(
        signer,
        member_id=7,
        not_before=1_772_352_000,
        not_after=1_772_352_300,
        nonce=bytes(range(8, 16)),
    )
    assert code == PINNED_MEMBER_CODE
    raw = base64.urlsafe_b64decode(code + "==")
    assert len(raw) == 94
    assert raw[1:2] == b"M"
    assert int.from_bytes(raw[10:14], "big") == 7
    assert int.from_bytes(raw[14:18], "big") == 1_772_352_000
    assert int.from_bytes(raw[18:22], "big") == 1_772_352_300


def test_a_verified_code_gives_its_claims(signer: Signer) -> None:
    """Parsing then verifying with the right key yields the signed claims."""
    parsed = tokens.parse(PINNED_EVENT_CODE, tokens.Kind.EVENT)
    assert parsed.key_id == signer.key_id
    claims = tokens.event_claims(tokens.verify(parsed, signer.private_key.public_key()))
    assert claims == tokens.EventClaims(event_id=41, bucket=59_000_000)
    member = tokens.verify(
        tokens.parse(PINNED_MEMBER_CODE, tokens.Kind.MEMBER), signer.private_key.public_key()
    )
    assert tokens.member_claims(member) == tokens.MemberClaims(7, 1_772_352_000, 1_772_352_300)


def test_another_key_does_not_verify(signer: Signer) -> None:
    """A code checked against any other public key is refused as a bad signature."""
    parsed = tokens.parse(PINNED_EVENT_CODE, tokens.Kind.EVENT)
    with pytest.raises(TokenBadSignature):
        tokens.verify(parsed, Ed25519PrivateKey.generate().public_key())


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "encoding"),
        (PINNED_EVENT_CODE + "=", "encoding"),  # padding
        (PINNED_EVENT_CODE.replace("_", "/"), "encoding"),  # the standard alphabet
        (PINNED_EVENT_CODE[:-4], "length"),
        (PINNED_EVENT_CODE + "AAAA", "length"),
        (PINNED_EVENT_CODE + "A" * 200, "encoding"),  # too long to decode at all
        (" " + PINNED_EVENT_CODE, "encoding"),
        (PINNED_MEMBER_CODE, "length"),  # a member code where an event code is expected
        ("Ak" + PINNED_EVENT_CODE[2:], "version"),
    ],
)
def test_malformed_codes_are_refused_before_any_key_is_used(text: str, reason: str) -> None:
    """Anything but the one canonical spelling of a well-formed code is token_malformed."""
    with pytest.raises(TokenMalformed) as refused:
        tokens.parse(text, tokens.Kind.EVENT)
    assert refused.value.details["reason"] == reason


def test_a_second_spelling_of_the_same_bytes_is_malformed() -> None:
    """Setting the unused low bits of the last character keeps the bytes but is refused."""
    assert PINNED_MEMBER_CODE.endswith("w")  # 0b110000: the low four bits are unused
    tokens.parse(PINNED_MEMBER_CODE, tokens.Kind.MEMBER)
    with pytest.raises(TokenMalformed) as refused:
        tokens.parse(PINNED_MEMBER_CODE[:-1] + "x", tokens.Kind.MEMBER)
    assert refused.value.details["reason"] == "encoding"


def test_a_code_of_the_other_kind_is_malformed() -> None:
    """An event code's bytes under the member kind's length still fail on the kind byte."""
    raw = bytearray(base64.urlsafe_b64decode(PINNED_MEMBER_CODE + "=="))
    raw[1] = ord("E")
    text = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    with pytest.raises(TokenMalformed) as refused:
        tokens.parse(text, tokens.Kind.MEMBER)
    assert refused.value.details["reason"] == "kind"
