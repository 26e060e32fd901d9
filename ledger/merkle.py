"""RFC 9162 (Certificate Transparency v2) section 2.1 Merkle tree over the ledger's entries.

Pure functions, no I/O. Leaf index = entry seq - 1.

The database stores the hash of every *perfect aligned subtree* as a node `(level, index)`:
level 0 holds the leaf hashes and node `(L, i)` covers leaves `[i * 2**L, (i + 1) * 2**L)`.
Every range that RFC 9162's MTH recursion visits decomposes into O(log n) such nodes, so a
proof or a root is computed in two steps that never touch the whole tree:

1. `nodes_for_inclusion` / `nodes_for_consistency` / `nodes_for_root` name the stored nodes
   needed (the caller fetches them in one query);
2. `inclusion_proof` / `consistency_proof` / `root` combine them.

`CompactRange` is the right edge of the tree (the nodes covering `[0, size)`); appending a
leaf to it yields every node the new leaf completes, which is what the writer stores.

Verification follows the algorithms of RFC 9162 sections 2.1.3.2 and 2.1.4.2 and answers
False, never raises, on malformed input. Consistency from size 0 is always refused (as in
transparency-dev/merkle since its PR #236, whose probes the tests run): the empty tree is a
prefix of every tree, so such a "proof" would show nothing, and RFC 9162 requires 0 < size1.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

NodeId = tuple[int, int]
"""A stored perfect subtree: (level, index), covering leaves [index * 2**level, ...)."""

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    """RFC 9162 leaf hash: SHA-256(0x00 || data)."""
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 interior node hash: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _split(length: int) -> int:
    """The largest power of two strictly smaller than `length` (> 1): where MTH splits."""
    return 1 << ((length - 1).bit_length() - 1)


def _perfect(start: int, end: int) -> NodeId | None:
    """The stored node covering exactly [start, end), if that range is a perfect subtree."""
    length = end - start
    if length > 0 and length & (length - 1) == 0 and start % length == 0:
        level = length.bit_length() - 1
        return (level, start >> level)
    return None


def _check_range(start: int, end: int) -> None:
    if start < 0 or end < start:
        raise ValueError(f"invalid leaf range [{start}, {end})")


def perfect_nodes(start: int, end: int) -> list[NodeId]:
    """The perfect aligned subtrees that MTH(D[start:end]) is built from, left to right.

    The split follows MTH exactly (at the largest power of two below the length, counted
    from `start`); for the ranges that proofs use this is at most log2(n) + 1 nodes.
    """
    _check_range(start, end)
    out: list[NodeId] = []
    # An explicit stack keeps left-to-right order without recursion.
    pending = [(start, end)]
    while pending:
        lo, hi = pending.pop()
        if lo == hi:
            continue
        node = _perfect(lo, hi)
        if node is not None:
            out.append(node)
            continue
        mid = lo + _split(hi - lo)
        pending.append((mid, hi))
        pending.append((lo, mid))
    return out


def range_hash(start: int, end: int, nodes: Mapping[NodeId, bytes]) -> bytes:
    """MTH(D[start:end]) combined from stored perfect nodes; KeyError names a missing node."""
    _check_range(start, end)
    if start == end:
        return EMPTY_ROOT
    node = _perfect(start, end)
    if node is not None:
        return nodes[node]
    mid = start + _split(end - start)
    return node_hash(range_hash(start, mid, nodes), range_hash(mid, end, nodes))


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose MTH form PATH(index, D[0:size]), in RFC order (leaf upwards)."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} outside a tree of size {size}")
    siblings: list[tuple[int, int]] = []
    lo, hi = 0, size
    # Walk down from the root; PATH lists the siblings bottom-up, so reverse at the end.
    while hi - lo > 1:
        mid = lo + _split(hi - lo)
        if index < mid:
            siblings.append((mid, hi))
            hi = mid
        else:
            siblings.append((lo, mid))
            lo = mid
    siblings.reverse()
    return siblings


def consistency_ranges(size1: int, size2: int) -> list[tuple[int, int]]:
    """The leaf ranges whose MTH form PROOF(size1, D[0:size2]), in RFC order.

    Empty when the sizes are equal. size1 must be at least 1: a proof from the empty tree
    is meaningless (RFC 9162 requires 0 < size1) and verification always refuses it.
    """
    if size1 < 1 or size2 < size1:
        raise ValueError(f"no consistency proof from size {size1} to size {size2}")
    found: list[tuple[int, int]] = []
    lo, hi = 0, size2
    # SUBPROOF's flag b stays true while [lo, hi) still starts at leaf 0: the subtree where
    # the descent stops is then the whole old tree, whose root the verifier already has.
    starts_at_zero = True
    while hi != size1:
        mid = lo + _split(hi - lo)
        if size1 <= mid:
            found.append((mid, hi))
            hi = mid
        else:
            found.append((lo, mid))
            lo = mid
            starts_at_zero = False
    if not starts_at_zero:
        found.append((lo, hi))
    found.reverse()
    return found


def _nodes_for(ranges: list[tuple[int, int]]) -> set[NodeId]:
    return {node for start, end in ranges for node in perfect_nodes(start, end)}


def nodes_for_inclusion(index: int, size: int) -> set[NodeId]:
    """The stored nodes needed to build the inclusion proof of `index` at `size`."""
    return _nodes_for(inclusion_ranges(index, size))


def nodes_for_consistency(size1: int, size2: int) -> set[NodeId]:
    """The stored nodes needed to build the consistency proof from `size1` to `size2`."""
    return _nodes_for(consistency_ranges(size1, size2))


def frontier_nodes(size: int) -> list[NodeId]:
    """The perfect subtrees covering [0, size), largest first: one per set bit of size."""
    return perfect_nodes(0, size)


def nodes_for_root(size: int) -> set[NodeId]:
    """The stored nodes needed to compute the root at `size`."""
    return set(frontier_nodes(size))


def inclusion_proof(index: int, size: int, nodes: Mapping[NodeId, bytes]) -> list[bytes]:
    """PATH(index, D[0:size]) from stored nodes (at least `nodes_for_inclusion`)."""
    return [range_hash(start, end, nodes) for start, end in inclusion_ranges(index, size)]


def consistency_proof(size1: int, size2: int, nodes: Mapping[NodeId, bytes]) -> list[bytes]:
    """PROOF(size1, D[0:size2]) from stored nodes (at least `nodes_for_consistency`)."""
    return [range_hash(start, end, nodes) for start, end in consistency_ranges(size1, size2)]


def root(size: int, nodes: Mapping[NodeId, bytes]) -> bytes:
    """MTH(D[0:size]) from stored nodes (at least `nodes_for_root`); EMPTY_ROOT at size 0."""
    if size < 0:
        raise ValueError(f"negative tree size {size}")
    return range_hash(0, size, nodes)


# Verification. The inputs come from outside (API clients, auditors), so each is checked
# for type and shape first and anything malformed is simply "not verified". The checks take
# `object` so that the type checker does not consider them dead code.


def _is_size(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_bytes(value: object) -> bool:
    return isinstance(value, bytes)


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def _is_proof(value: object) -> bool:
    # bytes and str are Sequences too; an empty one must not pass as an empty proof.
    if not isinstance(value, Sequence) or isinstance(value, bytes | str):
        return False
    return all(_is_hash(item) for item in value)


def verify_inclusion(
    *, leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether `proof` shows the leaf at `index` in the tree of `size` with `root` (RFC 9162
    section 2.1.3.2); False for any malformed input."""
    if not (_is_size(index) and _is_size(size) and index < size):
        return False
    if not (_is_hash(leaf_hash) and _is_hash(root) and _is_proof(proof)):
        return False
    fn, sn = index, size - 1
    result = leaf_hash
    for sibling in proof:
        if sn == 0:
            return False  # the proof is longer than the path to the root
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            # On the right edge, levels where this node has no right sibling are skipped.
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            result = node_hash(result, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and result == root


def verify_consistency(
    *, size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether `proof` shows the tree of `size1` with `root1` is a prefix of the tree of
    `size2` with `root2` (RFC 9162 section 2.1.4.2); False for any malformed input.

    Equal sizes need an empty proof and equal roots. size1 == 0 is always refused.
    """
    if not (_is_size(size1) and _is_size(size2) and 0 < size1 <= size2):
        return False
    if not _is_proof(proof):
        return False
    if size1 == size2:
        # Compared as bytes without a length check, as transparency-dev/merkle does (its
        # probes accept equal non-hash roots here); a tree is trivially consistent with
        # itself, so this admits nothing about two different trees.
        return len(proof) == 0 and _is_bytes(root1) and root1 == root2
    if not (_is_hash(root1) and _is_hash(root2)) or len(proof) == 0:
        return False
    path = list(proof)
    if size1 & (size1 - 1) == 0:
        # The old tree is a perfect subtree of the new one, so its root starts the path.
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    first = second = path[0]
    for item in path[1:]:
        if sn == 0:
            return False  # the proof is longer than the path to the root
        if fn & 1 or fn == sn:
            first = node_hash(item, first)
            second = node_hash(item, second)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            second = node_hash(second, item)
        fn >>= 1
        sn >>= 1
    return sn == 0 and first == root1 and second == root2


class CompactRange:
    """The right edge of the tree: the perfect subtrees covering [0, size), at most
    log2(size) + 1 hashes, largest first."""

    __slots__ = ("_hashes", "_size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if size < 0:
            raise ValueError(f"negative tree size {size}")
        if len(hashes) != size.bit_count() or not all(_is_hash(h) for h in hashes):
            raise ValueError(f"a compact range of size {size} has {size.bit_count()} hashes")
        self._size = size
        self._hashes = list(hashes)

    @property
    def size(self) -> int:
        """The number of leaves covered."""
        return self._size

    @property
    def hashes(self) -> list[bytes]:
        """The hashes of `frontier_nodes(size)`, largest subtree first (a copy)."""
        return list(self._hashes)

    def append(self, leaf_hash: bytes) -> list[tuple[NodeId, bytes]]:
        """Add the next leaf; return every node it completes, the leaf itself first."""
        if not _is_hash(leaf_hash):
            raise ValueError("a leaf hash is 32 bytes")
        level, index, current = 0, self._size, leaf_hash
        completed: list[tuple[NodeId, bytes]] = [((level, index), current)]
        # A set bit at `level` of the old size means a finished left sibling of that height
        # sits at the end of the frontier: merge with it, like a binary carry.
        while (self._size >> level) & 1:
            current = node_hash(self._hashes.pop(), current)
            level += 1
            index >>= 1
            completed.append(((level, index), current))
        self._hashes.append(current)
        self._size += 1
        return completed

    def root(self) -> bytes:
        """MTH(D[0:size]); EMPTY_ROOT when size is 0."""
        if not self._hashes:
            return EMPTY_ROOT
        # MTH splits off the largest perfect subtree first, so it folds from the right.
        result = self._hashes[-1]
        for left in reversed(self._hashes[:-1]):
            result = node_hash(left, result)
        return result

    def to_bytes(self) -> bytes:
        """The hashes concatenated; `size` determines how many there are."""
        return b"".join(self._hashes)

    @classmethod
    def from_bytes(cls, size: int, data: bytes) -> CompactRange:
        """Inverse of `to_bytes`; ValueError if the length does not fit `size`."""
        count = size.bit_count() if size >= 0 else 0
        if len(data) != count * HASH_SIZE:
            raise ValueError(f"a compact range of size {size} is {count * HASH_SIZE} bytes")
        hashes = [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]
        return cls(size, hashes)

    @classmethod
    def from_nodes(cls, size: int, nodes: Mapping[NodeId, bytes]) -> CompactRange:
        """The compact range at `size` read from stored nodes (`frontier_nodes(size)`)."""
        return cls(size, [nodes[node] for node in frontier_nodes(size)])

    def __repr__(self) -> str:
        return f"CompactRange(size={self._size}, hashes={len(self._hashes)})"
