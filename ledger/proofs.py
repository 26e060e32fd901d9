"""Signed checkpoints and RFC 9162 proofs, read from stored perfect-subtree nodes.

A proof needs O(log n) nodes, fetched in one query: no proof ever walks all leaves.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, and_, bindparam, func, literal_column, or_, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from ledger import errors, merkle, store
from ledger.canonical import (
    JsonValue,
    canonical_bytes,
    checkpoint_signing_bytes,
    format_ts,
)
from ledger.keys import KeyStore
from ledger.models import LedgerCheckpoint, LedgerHead
from ledger.sql import POSTGRESQL, Prebuilt, Runner, Statement
from ledger.tables import nodes
from ledger.types import FORMAT_VERSION


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement: the ledger had `size` entries with Merkle root `root`."""

    ledger: str
    size: int
    root: str
    ts: str
    key: str
    sig: str
    canonical: bytes

    def body(self) -> dict[str, JsonValue]:
        """The signed object."""
        return checkpoint_body(
            ledger=self.ledger, size=self.size, root=self.root, ts=self.ts, key=self.key
        )

    def public(self) -> dict[str, JsonValue]:
        """What the checkpoint endpoint returns."""
        return {"checkpoint": self.body(), "sig": self.sig}


def checkpoint_body(
    *, ledger: str, size: int, root: str, ts: str, key: str
) -> dict[str, JsonValue]:
    """The object whose canonical bytes a checkpoint signs."""
    return {"v": FORMAT_VERSION, "ledger": ledger, "size": size, "root": root, "ts": ts, "key": key}


def _checkpoint(row: LedgerCheckpoint) -> Checkpoint:
    body = json.loads(row.canonical)
    return Checkpoint(
        ledger=row.ledger,
        size=row.size,
        root=row.root,
        ts=body["ts"],
        key=body["key"],
        sig=row.sig,
        canonical=row.canonical,
    )


async def issue_checkpoint(
    session: AsyncSession, *, keystore: KeyStore, ledger: str, now: datetime
) -> Checkpoint:
    """Sign the current size and root, unless a checkpoint of this size exists."""
    head = await store.lock_head(session, ledger)
    if head is None:
        raise errors.LedgerNotFound(ledger=ledger)
    existing = await session.get(LedgerCheckpoint, (ledger, head.size))
    if existing is not None:
        return _checkpoint(existing)
    root_hex = merkle.CompactRange.from_bytes(head.size, head.frontier).root().hex()
    signer = keystore.load(head.key_id)
    body = checkpoint_body(
        ledger=ledger, size=head.size, root=root_hex, ts=format_ts(now), key=signer.key_id
    )
    canonical = canonical_bytes(body)
    row = LedgerCheckpoint(
        ledger=ledger,
        size=head.size,
        root=root_hex,
        ts=format_ts(now),
        key_id=signer.key_id,
        sig=signer.sign_hex(checkpoint_signing_bytes(canonical)),
        canonical=canonical,
    )
    session.add(row)
    await session.flush()
    return _checkpoint(row)


async def latest_checkpoint(session: AsyncSession, *, ledger: str) -> Checkpoint | None:
    """The checkpoint of the largest size, if any was issued."""
    statement = (
        select(LedgerCheckpoint)
        .where(LedgerCheckpoint.ledger == ledger)
        .order_by(col(LedgerCheckpoint.size).desc())
        .limit(1)
    )
    row = (await session.execute(statement)).scalar_one_or_none()
    return None if row is None else _checkpoint(row)


async def checkpoint_at(session: AsyncSession, *, ledger: str, size: int) -> Checkpoint:
    """The checkpoint issued at exactly `size`."""
    row = await session.get(LedgerCheckpoint, (ledger, size))
    if row is None:
        raise errors.CheckpointNotFound(size=size)
    return _checkpoint(row)


async def all_checkpoints(session: AsyncSession, *, ledger: str) -> list[Checkpoint]:
    """Every checkpoint of a ledger, smallest first."""
    statement = (
        select(LedgerCheckpoint)
        .where(LedgerCheckpoint.ledger == ledger)
        .order_by(col(LedgerCheckpoint.size))
    )
    return [_checkpoint(r) for r in (await session.execute(statement)).scalars()]


async def tree_size(session: AsyncSession, *, ledger: str) -> int:
    """The number of entries in the ledger."""
    size = (
        await session.execute(select(LedgerHead.size).where(LedgerHead.ledger == ledger))
    ).scalar_one_or_none()
    if size is None:
        raise errors.LedgerNotFound(ledger=ledger)
    return size


def _probe_nodes(dialect: str) -> Statement:
    """PostgreSQL: nodes by (level, idx) given as two arrays, one index probe each (a LATERAL
    subquery), so that the statement's text and plan are the same whatever the tree's size:
    a proof's cost then grows only by the few probes that a deeper tree adds."""
    assert dialect == POSTGRESQL, dialect
    levels = bindparam("levels", type_=ARRAY(Integer))
    indexes = bindparam("idxs", type_=ARRAY(BigInteger))
    wanted = func.unnest(levels, indexes).table_valued("level", "idx").render_derived(name="w")
    found = (
        select(nodes.c.hash)
        .where(
            nodes.c.ledger == bindparam("ledger", type_=String),
            nodes.c.level == wanted.c.level,
            nodes.c.idx == wanted.c.idx,
        )
        .offset(literal_column("0"))
        .lateral("found")
    )
    return (
        select(wanted.c.level, wanted.c.idx, found.c.hash).select_from(wanted).join(found, true())
    )


PROBE_NODES = Prebuilt(_probe_nodes)


async def _nodes(
    session: AsyncSession, ledger: str, wanted: Collection[merkle.NodeId]
) -> dict[merkle.NodeId, bytes]:
    if not wanted:
        return {}
    runner = await Runner.open(session)
    if runner.postgresql:
        ordered = sorted(wanted)
        params = {
            "ledger": ledger,
            "levels": [level for level, _ in ordered],
            "idxs": [idx for _, idx in ordered],
        }
        rows = await runner.rows(PROBE_NODES, params)
    else:
        matches = [and_(nodes.c.level == level, nodes.c.idx == idx) for level, idx in wanted]
        statement = select(nodes.c.level, nodes.c.idx, nodes.c.hash).where(
            nodes.c.ledger == ledger, or_(*matches)
        )
        rows = list(await session.execute(statement))
    found = {(level, idx): bytes(digest) for level, idx, digest in rows}
    missing = set(wanted) - set(found)
    if missing:
        raise RuntimeError(f"ledger {ledger} lacks Merkle nodes {sorted(missing)[:4]}")
    return found


@dataclass(frozen=True)
class InclusionProof:
    """Proof that entry `seq` is leaf `seq - 1` of the tree of `size` leaves."""

    seq: int
    size: int
    leaf_hash: str
    hashes: list[str]


async def inclusion_proof(
    session: AsyncSession, *, ledger: str, seq: int, size: int
) -> InclusionProof:
    """RFC 9162 inclusion proof of entry `seq` in the tree of `size` entries."""
    current = await tree_size(session, ledger=ledger)
    if not 1 <= seq <= size <= current:
        raise errors.InvalidProofRequest(seq=seq, size=size, tree_size=current)
    index = seq - 1
    wanted = merkle.nodes_for_inclusion(index, size) | {(0, index)}
    nodes = await _nodes(session, ledger, wanted)
    proof = merkle.inclusion_proof(index, size, nodes)
    return InclusionProof(seq, size, nodes[(0, index)].hex(), [h.hex() for h in proof])


async def consistency_proof(
    session: AsyncSession, *, ledger: str, size1: int, size2: int
) -> list[str]:
    """RFC 9162 consistency proof between the trees of `size1` and `size2` entries."""
    current = await tree_size(session, ledger=ledger)
    if not 1 <= size1 <= size2 <= current:
        raise errors.InvalidProofRequest(size1=size1, size2=size2, tree_size=current)
    nodes = await _nodes(session, ledger, merkle.nodes_for_consistency(size1, size2))
    return [h.hex() for h in merkle.consistency_proof(size1, size2, nodes)]


async def root_at(session: AsyncSession, *, ledger: str, size: int) -> str:
    """The Merkle root of the first `size` entries, from stored nodes."""
    current = await tree_size(session, ledger=ledger)
    if not 0 <= size <= current:
        raise errors.InvalidProofRequest(size=size, tree_size=current)
    nodes = await _nodes(session, ledger, merkle.nodes_for_root(size))
    return merkle.root(size, nodes).hex()
