"""Merkle arithmetic for `verify`: perfect subtrees of a block of leaves, and roots.

`verify` splits the leaves into aligned blocks of a power-of-two size, so a full block is
one perfect subtree (a node `ledger.merkle` would store) and the nodes inside a block are
the same nodes as in the whole tree. A worker builds a block's levels; the coordinator
appends block roots to a `CompactRange` and completes a root at any size `S` inside a block
from the block's partial frontier at `S` (`local_frontier`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

from ledger.merkle import EMPTY_ROOT, NODE_PREFIX, CompactRange, node_hash


def perfect_levels(leaves: list[bytes]) -> list[list[bytes]]:
    """Every perfect aligned subtree of `leaves`, level by level: level 0 is the leaves,
    node i of level L covers leaves [i * 2**L, (i + 1) * 2**L)."""
    sha256 = hashlib.sha256
    levels = [leaves]
    current = leaves
    while len(current) > 1:
        # A trailing odd node has no sibling yet: it is not a perfect subtree's child.
        current = [
            sha256(NODE_PREFIX + current[i] + current[i + 1]).digest()
            for i in range(0, len(current) - 1, 2)
        ]
        levels.append(current)
    return levels


def local_frontier(levels: Sequence[Sequence[bytes]], count: int) -> list[bytes]:
    """The perfect subtrees covering the first `count` leaves, largest first."""
    hashes: list[bytes] = []
    offset = 0
    for level in range(count.bit_length() - 1, -1, -1):
        if count >> level & 1:
            hashes.append(levels[level][offset >> level])
            offset += 1 << level
    return hashes


def fold(hashes: Sequence[bytes]) -> bytes:
    """The root of a tree from its frontier (largest subtree first), as RFC 9162's MTH."""
    if not hashes:
        return EMPTY_ROOT
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def tree_root(leaves: list[bytes]) -> bytes:
    """MTH of a list of leaf hashes."""
    if not leaves:
        return EMPTY_ROOT
    return fold(local_frontier(perfect_levels(leaves), len(leaves)))


class ChunkRoots:
    """Roots at chosen sizes, from chunks of `chunk_entries` leaves taken in order.

    Full chunks' roots go into a `CompactRange` one level of `log2(chunk_entries)` up; a
    size inside a chunk combines that range with the chunk's partial frontier at the size.
    Past a missing entry the leaf positions are unknown and no root is known.
    """

    def __init__(self, chunk_entries: int) -> None:
        self.chunk_entries = chunk_entries
        self.top = CompactRange()
        self.roots: dict[int, bytes] = {0: EMPTY_ROOT}
        self.broken_at: int | None = None

    def add(
        self,
        lo: int,
        hi: int,
        root: bytes | None,
        frontiers: Mapping[int, list[bytes]],
        first_missing: int | None,
    ) -> None:
        """Take the next chunk, covering seqs [lo, hi]."""
        if self.broken_at is not None:
            return
        done = self.top.size * self.chunk_entries
        assert lo == done + 1, "chunks come in order"
        for size, hashes in frontiers.items():  # with a gap, only sizes before it
            if size - done < self.chunk_entries:
                self.roots[size] = CompactRange(size, self.top.hashes + hashes).root()
        if first_missing is not None:
            self.broken_at = first_missing
            return
        if hi - lo + 1 == self.chunk_entries:
            assert root is not None
            self.top.append(root)
            self.roots[hi] = self.top.root()
