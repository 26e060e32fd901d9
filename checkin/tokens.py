"""Signed codes: the venue's rotating event code and a member's personal code.

A code is a compact binary record signed with Ed25519 and written in base64url without
padding. Integers are unsigned big-endian. The signature covers `DOMAIN` followed by every
byte before it, so the version and kind bytes are signed too.

Event code (kind "E", 90 bytes, 120 characters), shown as a QR code at the venue:

    offset  size  field
         0     1  version = 1
         1     1  kind = 0x45 ("E")
         2     8  key id (the 16 hex characters of the signing key's id, as 8 bytes)
        10     4  event id
        14     4  time bucket = floor(unix seconds / ttl_seconds)
        18     8  nonce (random)
        26    64  Ed25519 signature

Member code (kind "M", 94 bytes, 126 characters), a member's personal code:

    offset  size  field
         0     1  version = 1
         1     1  kind = 0x4D ("M")
         2     8  key id
        10     4  member id
        14     4  not before (unix seconds)
        18     4  not after (unix seconds, excluded)
        22     8  nonce (random)
        30    64  Ed25519 signature

Parsing is strict: only the base64url alphabet, no padding, the one canonical encoding of
the bytes, the exact length of the kind, version 1. Fields are readable only from a
`Verified` code, which only `verify` makes: nothing in a code is trusted before its
signature is checked (the key id is used, unverified, only to find the key to check with).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from dataclasses import dataclass
from enum import Enum

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from checkin.errors import TokenBadSignature, TokenMalformed
from ledger.keys import Signer

VERSION = 1
DOMAIN = b"jifen-code-v1\n"
SIGNATURE_BYTES = 64
NONCE_BYTES = 8
KEY_ID_BYTES = 8
MAX_TEXT_CHARS = 200  # longer input is refused before any decoding
_ALPHABET = re.compile(r"[A-Za-z0-9_-]+")
_HEADER = struct.Struct(">BB8s")
_EVENT_FIELDS = struct.Struct(">II8s")
_MEMBER_FIELDS = struct.Struct(">III8s")
MAX_UINT32 = 2**32 - 1


class Kind(Enum):
    """What a code is for, with its kind byte and its signing key's purpose."""

    EVENT = (0x45, "checkin")
    MEMBER = (0x4D, "member-code")

    @property
    def byte(self) -> int:
        return self.value[0]

    @property
    def purpose(self) -> str:
        return self.value[1]

    @property
    def fields(self) -> struct.Struct:
        return _EVENT_FIELDS if self is Kind.EVENT else _MEMBER_FIELDS

    @property
    def size(self) -> int:
        return _HEADER.size + self.fields.size + SIGNATURE_BYTES


@dataclass(frozen=True)
class Parsed:
    """A well-formed code whose signature is not yet checked; only `key_id` may be used."""

    kind: Kind
    key_id: str
    signed: bytes  # every byte before the signature
    signature: bytes


@dataclass(frozen=True)
class Verified:
    """A code whose signature checked out under the key of `key_id`."""

    kind: Kind
    key_id: str
    signed: bytes


@dataclass(frozen=True)
class EventClaims:
    event_id: int
    bucket: int


@dataclass(frozen=True)
class MemberClaims:
    member_id: int
    not_before: int
    not_after: int


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode_strict(text: str) -> bytes:
    if len(text) > MAX_TEXT_CHARS or _ALPHABET.fullmatch(text) is None or len(text) % 4 == 1:
        raise TokenMalformed(reason="encoding")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error:
        raise TokenMalformed(reason="encoding") from None
    if _b64encode(raw) != text:  # unused low bits set: a second spelling of the same bytes
        raise TokenMalformed(reason="encoding")
    return raw


def sha256_hex(text: str) -> str:
    """What is stored and put in ledger meta for a scanned code: SHA-256 of its text."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def parse(text: str, kind: Kind) -> Parsed:
    """The structure of `text` as a code of `kind`; TokenMalformed if it is not one."""
    raw = _b64decode_strict(text)
    if len(raw) != kind.size:
        raise TokenMalformed(reason="length")
    version, kind_byte, key_id = _HEADER.unpack_from(raw)
    if version != VERSION:
        raise TokenMalformed(reason="version")
    if kind_byte != kind.byte:
        raise TokenMalformed(reason="kind")
    cut = len(raw) - SIGNATURE_BYTES
    return Parsed(kind, key_id.hex(), raw[:cut], raw[cut:])


def verify(parsed: Parsed, public_key: Ed25519PublicKey) -> Verified:
    """The code with its signature checked; TokenBadSignature if it does not verify."""
    try:
        public_key.verify(parsed.signature, DOMAIN + parsed.signed)
    except InvalidSignature:
        raise TokenBadSignature() from None
    return Verified(parsed.kind, parsed.key_id, parsed.signed)


def event_claims(code: Verified) -> EventClaims:
    assert code.kind is Kind.EVENT
    event_id, bucket, _nonce = _EVENT_FIELDS.unpack_from(code.signed, _HEADER.size)
    return EventClaims(event_id=event_id, bucket=bucket)


def member_claims(code: Verified) -> MemberClaims:
    assert code.kind is Kind.MEMBER
    member_id, not_before, not_after, _nonce = _MEMBER_FIELDS.unpack_from(code.signed, _HEADER.size)
    return MemberClaims(member_id=member_id, not_before=not_before, not_after=not_after)


def _sign(signer: Signer, kind: Kind, fields: bytes) -> str:
    signed = _HEADER.pack(VERSION, kind.byte, bytes.fromhex(signer.key_id)) + fields
    return _b64encode(signed + signer.private_key.sign(DOMAIN + signed))


def _uint32(value: int, name: str) -> int:
    if not 0 <= value <= MAX_UINT32:
        raise ValueError(f"{name} {value} does not fit in 32 bits")
    return value


def sign_event_code(signer: Signer, *, event_id: int, bucket: int, nonce: bytes) -> str:
    """An event code for `bucket`, signed by the community's check-in key."""
    assert len(nonce) == NONCE_BYTES
    fields = _EVENT_FIELDS.pack(_uint32(event_id, "event id"), _uint32(bucket, "bucket"), nonce)
    return _sign(signer, Kind.EVENT, fields)


def sign_member_code(
    signer: Signer, *, member_id: int, not_before: int, not_after: int, nonce: bytes
) -> str:
    """A member's personal code valid from `not_before` until just before `not_after`."""
    assert len(nonce) == NONCE_BYTES
    fields = _MEMBER_FIELDS.pack(
        _uint32(member_id, "member id"),
        _uint32(not_before, "not before"),
        _uint32(not_after, "not after"),
        nonce,
    )
    return _sign(signer, Kind.MEMBER, fields)
