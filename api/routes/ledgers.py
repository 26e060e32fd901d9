"""The public ledger endpoints, at paths outside verifiers rely on.

Keys and checkpoints are readable by anyone. Entries and proofs are readable by anyone when
the community's ledger is public; otherwise by its admins and auditors, and by its members
for their own entries.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import get
from litestar.params import FromPath, QueryParameter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import Access, access
from api.deps import Caller, Context, Db
from api.pagination import MAX_PAGE_SIZE
from ledger import keyring, proofs, service
from ledger.tables import heads
from organisation.auth import Principal
from organisation.errors import NotFound
from organisation.models import Community

Seq = Annotated[int, QueryParameter(ge=1, le=2**53 - 1)]
Size = Annotated[int, QueryParameter(ge=1, le=2**53 - 1)]


class LedgerOut(msgspec.Struct):
    ledger: str
    community: str
    size: int
    public: bool


class ProofOut(msgspec.Struct):
    hashes: list[str]


class InclusionOut(msgspec.Struct):
    seq: int
    size: int
    leaf_hash: str
    hashes: list[str]


async def _community(db: AsyncSession, ledger: str) -> Community:
    statement = select(Community).where(Community.ledger_id == ledger)  # type: ignore[arg-type]
    found = (await db.execute(statement)).scalar_one_or_none()
    if found is None:
        raise NotFound(object="ledger", id=ledger)
    return found


def _reader_scope(community: Community, principal: Principal | None) -> str | None:
    """None when the caller may read every entry; else the only account they may read."""
    if community.ledger_public:
        return None
    if principal is not None and principal.can_read_community(community.id or 0):
        return None
    if principal is not None and principal.community_id == community.id:
        return principal.account
    raise NotFound(object="ledger", id=community.ledger_id)


@get("/api/v1/ledgers", opt=access(Access.PUBLIC), tags=["ledger"])
async def list_ledgers(db: Db) -> list[LedgerOut]:
    """Every ledger with its community's name and current size."""
    statement = (
        select(Community.ledger_id, Community.name, Community.ledger_public, heads.c.size)  # type: ignore[call-overload]
        .join(heads, heads.c.ledger == Community.ledger_id)
        .order_by(Community.ledger_id)
    )
    rows = await db.execute(statement)
    return [LedgerOut(ledger=r[0], community=r[1], size=r[3], public=r[2]) for r in rows]


@get("/api/v1/ledgers/{ledger:str}/keys", opt=access(Access.PUBLIC), tags=["ledger"])
async def list_keys(ledger: FromPath[str], db: Db) -> list[keyring.PublicKeyInfo]:
    """Every signing key of the ledger with its validity and purpose."""
    await _community(db, ledger)
    return await keyring.list_keys(db, scope=ledger)


@get("/api/v1/ledgers/{ledger:str}/checkpoint", opt=access(Access.PUBLIC), tags=["ledger"])
async def checkpoint(
    ledger: FromPath[str],
    db: Db,
    context: Context,
    size: Annotated[int | None, QueryParameter(ge=0, le=2**53 - 1)] = None,
) -> dict[str, Any]:
    """The latest signed checkpoint (signed now if the ledger grew), or the one at `size`."""
    await _community(db, ledger)
    if size is not None:
        return (await proofs.checkpoint_at(db, ledger=ledger, size=size)).public()
    issued = await proofs.issue_checkpoint(
        db, keystore=context.keystore, ledger=ledger, now=context.clock()
    )
    return issued.public()


@get("/api/v1/ledgers/{ledger:str}/entries", opt=access(Access.PUBLIC), tags=["ledger"])
async def list_entries(
    ledger: FromPath[str],
    db: Db,
    caller: Caller,
    start: Seq = 1,
    limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE)] = 100,
) -> list[dict[str, Any]]:
    """Entries from seq `start` in seq order, with every field, `hash` and `sig`."""
    only = _reader_scope(await _community(db, ledger), caller)
    if only is None:
        found = await service.entries(db, ledger=ledger, start_seq=start, limit=limit)
    else:
        found = await service.account_entries_from(
            db, ledger=ledger, account=only, start_seq=start, limit=limit
        )
    return [e.public() for e in found]


@get("/api/v1/ledgers/{ledger:str}/proofs/inclusion", opt=access(Access.PUBLIC), tags=["ledger"])
async def inclusion(
    ledger: FromPath[str], seq: Seq, size: Size, db: Db, caller: Caller
) -> InclusionOut:
    """RFC 9162 inclusion proof of entry `seq` in the tree of `size` entries."""
    only = _reader_scope(await _community(db, ledger), caller)
    if only is not None:
        found = await service.entries(db, ledger=ledger, start_seq=seq, limit=1)
        if not found or found[0].seq != seq or only not in (found[0].debit, found[0].credit):
            raise NotFound(object="entry", id=seq)
    proof = await proofs.inclusion_proof(db, ledger=ledger, seq=seq, size=size)
    return InclusionOut(proof.seq, proof.size, proof.leaf_hash, proof.hashes)


@get("/api/v1/ledgers/{ledger:str}/proofs/consistency", opt=access(Access.PUBLIC), tags=["ledger"])
async def consistency(
    ledger: FromPath[str],
    db: Db,
    caller: Caller,
    from_size: Annotated[int, QueryParameter(name="from", ge=1, le=2**53 - 1)],
    to_size: Annotated[int, QueryParameter(name="to", ge=1, le=2**53 - 1)],
) -> ProofOut:
    """RFC 9162 consistency proof between the trees of `from` and `to` entries."""
    _reader_scope(await _community(db, ledger), caller)
    hashes = await proofs.consistency_proof(db, ledger=ledger, size1=from_size, size2=to_size)
    return ProofOut(hashes=hashes)


ROUTES = [list_ledgers, list_keys, checkpoint, list_entries, inclusion, consistency]
