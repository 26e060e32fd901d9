"""Public keys that verify codes, looked up by key id and purpose, cached per process.

A code names its key; the key's scope is the ledger id of the community that issued it. A
key that a newer key of the same scope and purpose replaced keeps verifying for `grace`
after the replacement (codes already shown or printed), then its codes are refused as
expired. Key rows never change (the table is append-only), so a key once read is cached; only
whether it has been replaced is read again, at most every `RECHECK` of the passed-in time.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Table, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from checkin.errors import TokenExpired, TokenUnknownKey
from ledger.canonical import parse_ts
from ledger.tables import signing_keys
from organisation.models import Community

communities: Table = Community.__table__  # type: ignore[attr-defined]

RECHECK = timedelta(seconds=60)
MAX_CACHED_KEYS = 1024


@dataclass(frozen=True)
class VerifyingKey:
    """A public key of a scope (a community's ledger id) and purpose."""

    key_id: str
    scope: str
    community_id: int  # the community whose ledger id is the scope
    purpose: str
    public_key: Ed25519PublicKey
    created_ts: str
    replaced_at: datetime | None
    checked_at: datetime


_cache: OrderedDict[tuple[str, str], VerifyingKey] = OrderedDict()


async def _replaced_at(session: AsyncSession, row: VerifyingKey) -> datetime | None:
    later = or_(
        signing_keys.c.created_ts > row.created_ts,
        and_(signing_keys.c.created_ts == row.created_ts, signing_keys.c.key_id > row.key_id),
    )
    statement = select(func.min(signing_keys.c.created_ts)).where(
        signing_keys.c.scope == row.scope, signing_keys.c.purpose == row.purpose, later
    )
    found = (await session.execute(statement)).scalar_one_or_none()
    return None if found is None else parse_ts(found)


async def _load(session: AsyncSession, key_id: str, purpose: str, now: datetime) -> VerifyingKey:
    statement = (
        select(
            signing_keys.c.scope,
            signing_keys.c.public_key,
            signing_keys.c.created_ts,
            communities.c.id,
        )
        .join(communities, communities.c.ledger_id == signing_keys.c.scope)
        .where(signing_keys.c.key_id == key_id, signing_keys.c.purpose == purpose)
    )
    row = (await session.execute(statement)).one_or_none()
    if row is None:  # no such key, a key of another purpose, or of no community's ledger
        raise TokenUnknownKey(key_id=key_id)
    scope, raw, created_ts, community_id = row
    return VerifyingKey(
        key_id=key_id,
        scope=scope,
        community_id=community_id,
        purpose=purpose,
        public_key=Ed25519PublicKey.from_public_bytes(bytes(raw)),
        created_ts=created_ts,
        replaced_at=None,
        checked_at=now,
    )


async def verifying_key(
    session: AsyncSession, *, key_id: str, purpose: str, now: datetime, grace: timedelta
) -> VerifyingKey:
    """The key `key_id` of `purpose`; TokenUnknownKey if there is none, TokenExpired if it
    was replaced more than `grace` ago."""
    cached = _cache.get((key_id, purpose))
    found = cached if cached is not None else await _load(session, key_id, purpose, now)
    stale = cached is None or not found.checked_at <= now < found.checked_at + RECHECK
    if found.replaced_at is None and stale:
        found = replace(found, replaced_at=await _replaced_at(session, found), checked_at=now)
    _cache[(key_id, purpose)] = found
    _cache.move_to_end((key_id, purpose))
    while len(_cache) > MAX_CACHED_KEYS:
        _cache.popitem(last=False)
    if found.replaced_at is not None and now >= found.replaced_at + grace:
        raise TokenExpired(reason="key_replaced")
    return found
