"""Password and set-up code hashing with Argon2id (memory-hard)."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from organisation.errors import WeakPassword

MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_CHARS = 200
SETUP_CODE_DIGITS = 8

_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps the timing the same.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


def hash_password(password: str) -> str:
    """An Argon2id hash of an acceptable password."""
    if not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
        raise WeakPassword(field="password")
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether `password` matches; takes as long when there is no stored hash."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_setup_code() -> str:
    """A one-time code an admin hands to a new member."""
    return "".join(secrets.choice("0123456789") for _ in range(SETUP_CODE_DIGITS))
