"""Signed, short-lived redemption codes and their QR images.

A code is base64url (no padding) of fixed-size bytes: a version byte, the signing key's id
(8 bytes), the code id (16 random bytes), member id, shop id, reward id (0 for a free
amount), amount in points and expiry in Unix milliseconds (8 bytes each, big-endian),
followed by an Ed25519 signature over a domain prefix and everything before it. The key is
the community's "redemption" purpose key, never the ledger key.

Reading a code checks its shape, finds the key among the scanning community's redemption
keys (so another community's code is an unknown key), and verifies the signature before any
field is read; only then are expiry and shop checked, by the caller.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import secrets
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import qrcode
import qrcode.image.svg
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.ext.asyncio import AsyncSession

from ledger import keyring
from ledger.keys import KeyStore, Signer
from redemption import errors

PURPOSE = "redemption"
VERSION = 1
DOMAIN = b"jifen-redemption-code-v1\n"
_BODY = struct.Struct(">B8s16sQQQQQ")
SIGNATURE_BYTES = 64
TOKEN_CHARS = -(-(_BODY.size + SIGNATURE_BYTES) * 4 // 3)  # unpadded base64 length
_TOKEN = re.compile(r"[A-Za-z0-9_-]+")
URL_PATH = "/r/"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class CodeClaims:
    """What a verified code says. `reward_id` None means a free amount at `shop_id`."""

    code_id: str
    member_id: int
    shop_id: int
    reward_id: int | None
    amount_points: int
    expires_at: datetime
    key_id: str


def _unix_ms(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(milliseconds=1)


def _from_unix_ms(milliseconds: int) -> datetime:
    return EPOCH + timedelta(milliseconds=milliseconds)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def encode(claims: CodeClaims, signer: Signer) -> str:
    """The code for `claims`, signed by `signer` (whose id must be `claims.key_id`)."""
    assert signer.key_id == claims.key_id
    body = _BODY.pack(
        VERSION,
        bytes.fromhex(claims.key_id),
        bytes.fromhex(claims.code_id),
        claims.member_id,
        claims.shop_id,
        claims.reward_id or 0,
        claims.amount_points,
        _unix_ms(claims.expires_at),
    )
    return _b64(body + signer.private_key.sign(DOMAIN + body))


def new_claims(
    signer: Signer,
    *,
    member_id: int,
    shop_id: int,
    reward_id: int | None,
    amount_points: int,
    ttl_seconds: int,
    now: datetime,
) -> CodeClaims:
    """Claims for a fresh code with a random id, valid for `ttl_seconds` from `now`."""
    expires_at = _from_unix_ms(_unix_ms(now + timedelta(seconds=ttl_seconds)))
    return CodeClaims(
        code_id=secrets.token_hex(16),
        member_id=member_id,
        shop_id=shop_id,
        reward_id=reward_id,
        amount_points=amount_points,
        expires_at=expires_at,
        key_id=signer.key_id,
    )


async def signer_for(
    session: AsyncSession, *, keystore: KeyStore, ledger: str, now: datetime
) -> Signer:
    """The community's current redemption key (created on first use)."""
    return await keyring.purpose_signer(
        session, keystore=keystore, scope=ledger, purpose=PURPOSE, now=now
    )


def _raw(token: str) -> bytes:
    if len(token) != TOKEN_CHARS or _TOKEN.fullmatch(token) is None:
        raise errors.CodeMalformed()
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError) as exc:
        raise errors.CodeMalformed() from exc
    if len(raw) != _BODY.size + SIGNATURE_BYTES or _b64(raw) != token:
        raise errors.CodeMalformed()  # also refuses non-canonical spellings of the same bytes
    if raw[0] != VERSION:
        raise errors.CodeMalformed(version=raw[0])
    return raw


# Public keys never change once stored (the table is append-only, enforced by the database),
# so a key found once is kept for the life of the process; unknown ids are asked again.
_known_keys: dict[tuple[str, str], bytes] = {}


async def _public_key(session: AsyncSession, key_id: str, ledger: str) -> bytes:
    known = _known_keys.get((key_id, ledger))
    if known is not None:
        return known
    found = await keyring.public_key(session, key_id=key_id, scope=ledger, purpose=PURPOSE)
    if found is None:
        raise errors.CodeUnknownKey()
    _known_keys[(key_id, ledger)] = found
    return found


async def read(session: AsyncSession, *, token: str, ledger: str) -> CodeClaims:
    """The claims of a code signed by one of `ledger`'s redemption keys; nothing is checked
    beyond shape, key and signature (expiry and shop are the caller's)."""
    raw = _raw(token)
    body, signature = raw[: _BODY.size], raw[_BODY.size :]
    key_id = body[1:9].hex()
    public = await _public_key(session, key_id, ledger)
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, DOMAIN + body)
    except InvalidSignature as exc:
        raise errors.CodeBadSignature() from exc
    _, _, code_id, member_id, shop_id, reward_id, amount, expires_ms = _BODY.unpack(body)
    return CodeClaims(
        code_id=code_id.hex(),
        member_id=member_id,
        shop_id=shop_id,
        reward_id=reward_id or None,
        amount_points=amount,
        expires_at=_from_unix_ms(expires_ms),
        key_id=key_id,
    )


def token_from_scan(scanned: str) -> str:
    """The code inside what a scanner read: the code itself or its URL."""
    text = scanned.strip()
    if URL_PATH in text:
        text = text.rsplit(URL_PATH, 1)[1].split("?", 1)[0].split("#", 1)[0]
    return text


def code_url(public_base_url: str, token: str) -> str:
    """The URL the QR image carries; it opens the clerk's confirm page."""
    return f"{public_base_url.rstrip('/')}{URL_PATH}{token}"


def qr_png(text: str) -> bytes:
    """A PNG QR image of `text`."""
    image = qrcode.make(text, border=2)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()


def qr_svg(text: str) -> bytes:
    """An SVG QR image of `text` (one path, scalable)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()
