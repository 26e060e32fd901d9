"""Ed25519 signature verification as a yes/no answer.

Verification is delegated to `cryptography` (OpenSSL), which follows RFC 8032 section 5.1.7
strictly: it refuses S >= L (malleated signatures), non-canonical encodings of R, and keys
that are not points on the curve. The Wycheproof vectors in the tests pin this behaviour.
Wycheproof also has an "acceptable" verdict for cases where the standards leave room (none
occur in the vector file used); for those the tests would accept either answer, and this
module keeps whatever OpenSSL decides rather than adding its own rules.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64


def _is_bytes(value: object, size: int | None = None) -> bool:
    # Takes `object` so the type checker keeps this defensive check for callers that pass
    # untyped data (decoded JSON, database rows).
    return isinstance(value, bytes) and (size is None or len(value) == size)


def verify_signature(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """Whether `signature` is a valid Ed25519 signature of `message` under `public_key`;
    False, never an exception, for wrong lengths, invalid points or bad signatures."""
    if not (
        _is_bytes(public_key, PUBLIC_KEY_SIZE)
        and _is_bytes(signature, SIGNATURE_SIZE)
        and _is_bytes(message)
    ):
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        # ValueError: the key bytes do not decode to a curve point.
        return False
    return True
