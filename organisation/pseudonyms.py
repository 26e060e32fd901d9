"""Pseudonymous ledger accounts: a keyed hash, so the chain names nobody."""

from __future__ import annotations

import hashlib
import hmac
import secrets

SECRET_BYTES = 32
ACCOUNT_HEX_CHARS = 20
ISSUANCE_ACCOUNT = "issuance"
SETTLEMENT_ACCOUNT = "settlement"
EXPIRY_ACCOUNT = "expiry"
COMMUNITY_ACCOUNTS = (ISSUANCE_ACCOUNT, SETTLEMENT_ACCOUNT, EXPIRY_ACCOUNT)


def new_secret() -> bytes:
    """A fresh per-community pseudonym secret."""
    return secrets.token_bytes(SECRET_BYTES)


def member_account(secret: bytes, member_id: int) -> str:
    """The ledger account of a member: `m-` and 20 hex characters of HMAC-SHA256."""
    digest = hmac.new(secret, f"member:{member_id}".encode(), hashlib.sha256).hexdigest()
    return f"m-{digest[:ACCOUNT_HEX_CHARS]}"


def shop_account(shop_id: int) -> str:
    """The ledger account of a shop (shops are not persons; their id is public)."""
    return f"shop-{shop_id}"


def placeholder_account() -> str:
    """A unique stand-in until the row's id is known."""
    return f"pending-{secrets.token_hex(12)}"
