"""Public keys with their validity, and purpose keys other than the ledger's own.

Ledger keys rotate under the chain lock (`service.rotate_key`) and are valid for a range of
seqs. Keys for other purposes (signed check-in and redemption codes) are scoped to a ledger
too, are never the ledger key, and are valid from their creation until the next key of the
same scope and purpose is created, plus a grace period for codes already shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ledger.canonical import format_ts, parse_ts
from ledger.keys import KeyStore, Signer
from ledger.tables import signing_keys

LEDGER_PURPOSE = "ledger"


@dataclass(frozen=True)
class PublicKeyInfo:
    """What anyone may know about a key."""

    key_id: str
    public_key: str
    purpose: str
    valid_from: str
    valid_until: str | None
    from_seq: int | None
    to_seq: int | None


async def list_keys(session: AsyncSession, *, scope: str) -> list[PublicKeyInfo]:
    """Every key of a ledger, oldest first per purpose, with its validity."""
    statement = (
        select(signing_keys)
        .where(signing_keys.c.scope == scope)
        # Ledger keys follow each other by from_seq: two rotations may share a created_ts
        # (a clock that stood still or stepped back), and their seq ranges must not swap.
        .order_by(
            signing_keys.c.purpose,
            signing_keys.c.from_seq,
            signing_keys.c.created_ts,
            signing_keys.c.key_id,
        )
    )
    rows = list((await session.execute(statement)).mappings())
    infos: list[PublicKeyInfo] = []
    for index, row in enumerate(rows):
        successor = rows[index + 1] if index + 1 < len(rows) else None
        if successor is not None and successor["purpose"] != row["purpose"]:
            successor = None
        next_from_seq = successor["from_seq"] if successor is not None else None
        infos.append(
            PublicKeyInfo(
                key_id=row["key_id"],
                public_key=bytes(row["public_key"]).hex(),
                purpose=row["purpose"],
                valid_from=row["created_ts"],
                valid_until=successor["created_ts"] if successor is not None else None,
                from_seq=row["from_seq"],
                to_seq=next_from_seq - 1 if next_from_seq is not None else None,
            )
        )
    return infos


async def purpose_signer(
    session: AsyncSession, *, keystore: KeyStore, scope: str, purpose: str, now: datetime
) -> Signer:
    """The newest key of `scope` and `purpose`, created on first use."""
    assert purpose != LEDGER_PURPOSE, "ledger keys rotate under the chain lock"
    statement = (
        select(signing_keys.c.key_id)
        .where(signing_keys.c.scope == scope, signing_keys.c.purpose == purpose)
        .order_by(signing_keys.c.created_ts.desc(), signing_keys.c.key_id.desc())
        .limit(1)
    )
    key_id = (await session.execute(statement)).scalar_one_or_none()
    if key_id is not None:
        return keystore.load(key_id)
    return await rotate_purpose_key(
        session, keystore=keystore, scope=scope, purpose=purpose, now=now
    )


async def next_created_ts(session: AsyncSession, *, scope: str, purpose: str, now: datetime) -> str:
    """`now`, or just after the newest key of this scope and purpose if that is not later.

    Keys are ordered by creation: two rotations at one moment (a clock that stood still or
    stepped back) must still have a newest key.
    """
    statement = select(func.max(signing_keys.c.created_ts)).where(
        signing_keys.c.scope == scope, signing_keys.c.purpose == purpose
    )
    newest = (await session.execute(statement)).scalar_one_or_none()
    created = format_ts(now)
    if newest is not None and created <= newest:
        created = format_ts(parse_ts(newest) + timedelta(microseconds=1))
    return created


async def rotate_purpose_key(
    session: AsyncSession, *, keystore: KeyStore, scope: str, purpose: str, now: datetime
) -> Signer:
    """Create a new key for `scope` and `purpose`; it is used from now on.

    Its creation time is kept strictly after the previous key's, so "newest" is never a tie
    even when a clock (or a test) gives two rotations the same moment.
    """
    created = await next_created_ts(session, scope=scope, purpose=purpose, now=now)
    signer = keystore.generate()
    await session.execute(
        signing_keys.insert().values(
            key_id=signer.key_id,
            scope=scope,
            purpose=purpose,
            public_key=signer.public_key,
            created_ts=created,
            from_seq=None,
        )
    )
    return signer


async def public_key(
    session: AsyncSession, *, key_id: str, scope: str, purpose: str
) -> bytes | None:
    """The raw public key of `key_id` if it is a key of that scope and purpose."""
    statement = select(signing_keys.c.public_key).where(
        signing_keys.c.key_id == key_id,
        signing_keys.c.scope == scope,
        signing_keys.c.purpose == purpose,
    )
    found = (await session.execute(statement)).scalar_one_or_none()
    return None if found is None else bytes(found)
