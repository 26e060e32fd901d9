"""Checkpoints and proofs served from stored nodes agree with an independent computation."""

from __future__ import annotations

import hashlib

import pytest

from ledger import errors, merkle, proofs, service
from ledger.canonical import canonical_bytes, checkpoint_signing_bytes
from ledger.signature import verify_signature
from ledger.types import Posting
from tests.ledger.conftest import ISSUANCE, LedgerFixture

ENTRY_COUNT = 37


def _reference_root(leaves: list[bytes]) -> bytes:
    """MTH straight from RFC 9162, over whole leaf lists."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    split = 1 << ((len(leaves) - 1).bit_length() - 1)
    left, right = _reference_root(leaves[:split]), _reference_root(leaves[split:])
    return hashlib.sha256(b"\x01" + left + right).digest()


@pytest.fixture
async def filled(opened: LedgerFixture) -> LedgerFixture:
    """A ledger of ENTRY_COUNT credits."""
    await opened.open_accounts("m-a")
    postings = [Posting("credit", ISSUANCE, "m-a", 1, f"r{i}") for i in range(ENTRY_COUNT)]
    async with opened.db.sessions.begin() as session:
        await service.append_batch(
            session,
            keystore=opened.keystore,
            ledger=opened.ledger,
            postings=postings,
            now=opened.now,
        )
    return opened


async def _leaves(fx: LedgerFixture) -> list[bytes]:
    async with fx.db.sessions() as session:
        found = await service.entries(session, ledger=fx.ledger, start_seq=1, limit=1000)
    return [e.canonical for e in found]


async def test_checkpoint_signs_the_root_of_all_entries(filled: LedgerFixture) -> None:
    """A checkpoint states the size and RFC 9162 root, signed under the ledger's key."""
    async with filled.db.sessions.begin() as session:
        checkpoint = await proofs.issue_checkpoint(
            session, keystore=filled.keystore, ledger=filled.ledger, now=filled.now
        )
    leaves = await _leaves(filled)
    assert checkpoint.size == ENTRY_COUNT
    assert checkpoint.root == _reference_root(leaves).hex()
    assert canonical_bytes(checkpoint.body()) == checkpoint.canonical
    public_key = filled.keystore.load(checkpoint.key).public_key
    signed = checkpoint_signing_bytes(checkpoint.canonical)
    assert verify_signature(public_key, bytes.fromhex(checkpoint.sig), signed)


async def test_checkpoint_is_reissued_only_when_the_tree_grew(filled: LedgerFixture) -> None:
    """Asking twice at one size returns the same checkpoint; the older stays retrievable."""
    async with filled.db.sessions.begin() as session:
        first = await proofs.issue_checkpoint(
            session, keystore=filled.keystore, ledger=filled.ledger, now=filled.now
        )
        again = await proofs.issue_checkpoint(
            session, keystore=filled.keystore, ledger=filled.ledger, now=filled.now
        )
    assert again == first
    await filled.credit("m-a", 1, "one-more")
    async with filled.db.sessions.begin() as session:
        later = await proofs.issue_checkpoint(
            session, keystore=filled.keystore, ledger=filled.ledger, now=filled.now
        )
        old = await proofs.checkpoint_at(session, ledger=filled.ledger, size=ENTRY_COUNT)
        latest = await proofs.latest_checkpoint(session, ledger=filled.ledger)
    assert later.size == ENTRY_COUNT + 1
    assert old == first
    assert latest == later


async def test_every_inclusion_proof_verifies(filled: LedgerFixture) -> None:
    """For every entry and several tree sizes the inclusion proof verifies against the root."""
    leaves = await _leaves(filled)
    async with filled.db.sessions() as session:
        for size in (1, 2, 7, 8, 9, 16, ENTRY_COUNT):
            root = _reference_root(leaves[:size])
            for seq in range(1, size + 1):
                proof = await proofs.inclusion_proof(
                    session, ledger=filled.ledger, seq=seq, size=size
                )
                assert merkle.verify_inclusion(
                    leaf_hash=merkle.leaf_hash(leaves[seq - 1]),
                    index=seq - 1,
                    size=size,
                    proof=[bytes.fromhex(h) for h in proof.hashes],
                    root=root,
                )


async def test_every_consistency_proof_verifies(filled: LedgerFixture) -> None:
    """Between any two sizes the consistency proof verifies against both roots."""
    leaves = await _leaves(filled)
    async with filled.db.sessions() as session:
        for size1 in range(1, ENTRY_COUNT + 1, 3):
            for size2 in sorted({size1, min(size1 + 1, ENTRY_COUNT), ENTRY_COUNT}):
                proof = await proofs.consistency_proof(
                    session, ledger=filled.ledger, size1=size1, size2=size2
                )
                assert merkle.verify_consistency(
                    size1=size1,
                    size2=size2,
                    root1=_reference_root(leaves[:size1]),
                    root2=_reference_root(leaves[:size2]),
                    proof=[bytes.fromhex(h) for h in proof],
                )


@pytest.mark.parametrize(("seq", "size"), [(0, 5), (6, 5), (1, ENTRY_COUNT + 1)])
async def test_out_of_range_inclusion_is_refused(
    filled: LedgerFixture, seq: int, size: int
) -> None:
    """An inclusion proof outside the tree is refused with invalid_proof_request."""
    async with filled.db.sessions() as session:
        with pytest.raises(errors.InvalidProofRequest):
            await proofs.inclusion_proof(session, ledger=filled.ledger, seq=seq, size=size)


async def test_unknown_checkpoint_size_is_refused(filled: LedgerFixture) -> None:
    """Asking for a checkpoint that was never issued is refused with checkpoint_not_found."""
    async with filled.db.sessions() as session:
        with pytest.raises(errors.CheckpointNotFound):
            await proofs.checkpoint_at(session, ledger=filled.ledger, size=3)
