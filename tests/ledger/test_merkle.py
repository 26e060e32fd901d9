"""RFC 9162 Merkle tree: known answers, transparency-dev probes, and a naive reference.

Vectors are read from the shared folder next to the project (see its README); none are
copied here.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import merkle
from ledger.merkle import CompactRange, NodeId
from tests.vectors import vectors_dir

VECTORS = vectors_dir()
MERKLE = VECTORS / "merkle"


@cache
def _rfc6962() -> dict[str, Any]:
    with (MERKLE / "rfc6962.json").open() as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def _rfc_leaf_hashes() -> list[bytes]:
    return [merkle.leaf_hash(bytes.fromhex(leaf)) for leaf in _rfc6962()["leaves_hex"]]


def _grow(leaf_hashes: Sequence[bytes]) -> tuple[CompactRange, dict[NodeId, bytes]]:
    """Append every leaf, keeping each node the appends report, as the ledger writer does."""
    compact = CompactRange()
    stored: dict[NodeId, bytes] = {}
    for hashed in leaf_hashes:
        for node, value in compact.append(hashed):
            assert node not in stored, f"node {node} reported twice"
            stored[node] = value
    return compact, stored


def _only(stored: dict[NodeId, bytes], needed: set[NodeId]) -> dict[NodeId, bytes]:
    """The subset a single `WHERE (level, index) IN needed` query would return."""
    return {node: stored[node] for node in needed}


def _log_bound(size: int) -> int:
    """2 * ceil(log2(size)) + 2: the most stored nodes any proof may need."""
    return 2 * (size - 1).bit_length() + 2


def _probe_files(kind: str) -> list[Path]:
    return sorted((MERKLE / kind).rglob("*.json"))


def _probe_id(path: Path) -> str:
    return path.relative_to(VECTORS).as_posix()


def _load_probe(path: Path) -> dict[str, Any]:
    with path.open() as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def _b64(value: str) -> bytes:
    return base64.b64decode(value)


def _b64_list(values: list[str] | None) -> list[bytes]:
    # Go's encoder writes a nil proof as null; it means "no hashes".
    return [_b64(value) for value in values or []]


# --- RFC 6962 / RFC 9162 known answers ---------------------------------------------------


def test_vector_files_are_present() -> None:
    """The shared vectors are found: the known-answer file and probes of both kinds."""
    assert len(_rfc6962()["leaves_hex"]) == 8
    assert _probe_files("inclusion")
    assert _probe_files("consistency")


def test_empty_tree_root_is_sha256_of_nothing() -> None:
    """The root of the empty tree is SHA-256 of no bytes, however it is computed."""
    assert merkle.EMPTY_ROOT.hex() == _rfc6962()["empty_root_hex"]
    assert CompactRange().root() == merkle.EMPTY_ROOT
    assert merkle.root(0, {}) == merkle.EMPTY_ROOT


def test_compact_range_reproduces_every_known_root() -> None:
    """CompactRange.root after each append equals the known root at sizes 1 to 8."""
    compact = CompactRange()
    for size, hashed in enumerate(_rfc_leaf_hashes(), start=1):
        compact.append(hashed)
        assert compact.size == size
        assert compact.root().hex() == _rfc6962()["roots_hex"][str(size)]


def test_stored_nodes_reproduce_every_known_root() -> None:
    """root() over only the nodes named by nodes_for_root equals the known root at 1 to 8."""
    _, stored = _grow(_rfc_leaf_hashes())
    for size in range(1, 9):
        needed = _only(stored, merkle.nodes_for_root(size))
        assert merkle.root(size, needed).hex() == _rfc6962()["roots_hex"][str(size)]


@pytest.mark.parametrize(
    "case",
    _rfc6962()["inclusion"],
    ids=lambda c: f"leaf{c['leaf_index']}-of-{c['tree_size']}",
)
def test_known_inclusion_proof_is_reproduced_and_verifies(case: dict[str, Any]) -> None:
    """Every known inclusion proof is rebuilt exactly from stored nodes and verifies."""
    index, size = case["leaf_index"], case["tree_size"]
    leaves = _rfc_leaf_hashes()
    _, stored = _grow(leaves)
    proof = merkle.inclusion_proof(
        index, size, _only(stored, merkle.nodes_for_inclusion(index, size))
    )
    assert [h.hex() for h in proof] == case["proof_hex"]
    root = bytes.fromhex(_rfc6962()["roots_hex"][str(size)])
    assert merkle.verify_inclusion(
        leaf_hash=leaves[index], index=index, size=size, proof=proof, root=root
    )


@pytest.mark.parametrize(
    "case",
    _rfc6962()["consistency"],
    ids=lambda c: f"{c['size1']}-to-{c['size2']}",
)
def test_known_consistency_proof_is_reproduced_and_verifies(case: dict[str, Any]) -> None:
    """Every known consistency proof is rebuilt exactly from stored nodes and verifies."""
    size1, size2 = case["size1"], case["size2"]
    _, stored = _grow(_rfc_leaf_hashes())
    needed = _only(stored, merkle.nodes_for_consistency(size1, size2))
    proof = merkle.consistency_proof(size1, size2, needed)
    assert [h.hex() for h in proof] == case["proof_hex"]
    roots = _rfc6962()["roots_hex"]
    assert merkle.verify_consistency(
        size1=size1,
        size2=size2,
        root1=bytes.fromhex(roots[str(size1)]),
        root2=bytes.fromhex(roots[str(size2)]),
        proof=proof,
    )


# --- transparency-dev verification probes ------------------------------------------------


@pytest.mark.parametrize("path", _probe_files("inclusion"), ids=_probe_id)
def test_inclusion_probe_gets_expected_verdict(path: Path) -> None:
    """Each transparency-dev inclusion probe verifies exactly when it has no wantErr."""
    probe = _load_probe(path)
    verdict = merkle.verify_inclusion(
        leaf_hash=_b64(probe["leafHash"]),
        index=probe["leafIdx"],
        size=probe["treeSize"],
        proof=_b64_list(probe["proof"]),
        root=_b64(probe["root"]),
    )
    assert verdict is not probe["wantErr"], probe["desc"]


@pytest.mark.parametrize("path", _probe_files("consistency"), ids=_probe_id)
def test_consistency_probe_gets_expected_verdict(path: Path) -> None:
    """Each transparency-dev consistency probe verifies exactly when it has no wantErr."""
    probe = _load_probe(path)
    verdict = merkle.verify_consistency(
        size1=probe["size1"],
        size2=probe["size2"],
        root1=_b64(probe["root1"]),
        root2=_b64(probe["root2"]),
        proof=_b64_list(probe["proof"]),
    )
    assert verdict is not probe["wantErr"], probe["desc"]


# --- naive reference, straight from the RFC 9162 section 2.1 pseudo-code -------------------


def _ref_split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def _ref_mth(data: Sequence[bytes]) -> bytes:
    n = len(data)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + data[0]).digest()
    k = _ref_split(n)
    return hashlib.sha256(b"\x01" + _ref_mth(data[:k]) + _ref_mth(data[k:])).digest()


def _ref_path(m: int, data: Sequence[bytes]) -> list[bytes]:
    n = len(data)
    if n == 1:
        return []
    k = _ref_split(n)
    if m < k:
        return [*_ref_path(m, data[:k]), _ref_mth(data[k:])]
    return [*_ref_path(m - k, data[k:]), _ref_mth(data[:k])]


def _ref_subproof(m: int, data: Sequence[bytes], b: bool) -> list[bytes]:
    n = len(data)
    if m == n:
        return [] if b else [_ref_mth(data)]
    k = _ref_split(n)
    if m <= k:
        return [*_ref_subproof(m, data[:k], b), _ref_mth(data[k:])]
    return [*_ref_subproof(m - k, data[k:], False), _ref_mth(data[:k])]


@settings(deadline=None, max_examples=150)
@given(size=st.integers(1, 300), data=st.data())
def test_proofs_from_stored_nodes_match_the_naive_reference(size: int, data: st.DataObject) -> None:
    """For any tree, roots and proofs built from O(log n) stored nodes equal the RFC's
    recursive definitions, and verify."""
    # The size is drawn first so that large trees are as likely as small ones.
    leaves = data.draw(st.lists(st.binary(max_size=6), min_size=size, max_size=size))
    compact, stored = _grow([merkle.leaf_hash(leaf) for leaf in leaves])
    expected_nodes = {
        (level, index) for level in range(size.bit_length()) for index in range(size >> level)
    }
    assert set(stored) == expected_nodes  # appends report every perfect node, once
    root = _ref_mth(leaves)
    assert compact.root() == root
    assert merkle.root(size, _only(stored, merkle.nodes_for_root(size))) == root

    index = data.draw(st.integers(0, size - 1), label="index")
    needed = merkle.nodes_for_inclusion(index, size)
    assert len(needed) <= _log_bound(size)
    proof = merkle.inclusion_proof(index, size, _only(stored, needed))
    assert proof == _ref_path(index, leaves)
    assert merkle.verify_inclusion(
        leaf_hash=stored[(0, index)], index=index, size=size, proof=proof, root=root
    )

    size1 = data.draw(st.integers(1, size), label="size1")
    needed = merkle.nodes_for_consistency(size1, size)
    assert len(needed) <= _log_bound(size)
    proof = merkle.consistency_proof(size1, size, _only(stored, needed))
    assert proof == _ref_subproof(size1, leaves, True)
    assert merkle.verify_consistency(
        size1=size1, size2=size, root1=_ref_mth(leaves[:size1]), root2=root, proof=proof
    )


@given(size=st.integers(1, 2**62), data=st.data())
def test_nodes_needed_stay_logarithmic_for_huge_trees(size: int, data: st.DataObject) -> None:
    """Even for trees of up to 2**62 leaves a proof needs at most 2*ceil(log2 n)+2 nodes."""
    index = data.draw(st.integers(0, size - 1), label="index")
    size1 = data.draw(st.integers(1, size), label="size1")
    assert len(merkle.nodes_for_inclusion(index, size)) <= _log_bound(size)
    assert len(merkle.nodes_for_consistency(size1, size)) <= _log_bound(size)
    assert len(merkle.nodes_for_root(size)) == size.bit_count()


# --- CompactRange ------------------------------------------------------------------------


@given(leaves=st.lists(st.binary(max_size=4), max_size=70))
def test_compact_range_round_trips_through_bytes_and_nodes(leaves: list[bytes]) -> None:
    """A compact range survives to_bytes/from_bytes and from_nodes with size and root intact."""
    compact, stored = _grow([merkle.leaf_hash(leaf) for leaf in leaves])
    blob = compact.to_bytes()
    assert len(blob) == 32 * compact.size.bit_count()
    for copy in (
        CompactRange.from_bytes(compact.size, blob),
        CompactRange.from_nodes(compact.size, stored),
    ):
        assert copy.size == compact.size
        assert copy.to_bytes() == blob
        assert copy.hashes == compact.hashes
        assert copy.root() == compact.root()


def test_restored_compact_range_keeps_growing_like_the_original() -> None:
    """Appending to a range restored from bytes yields the same nodes and roots."""
    leaves = _rfc_leaf_hashes()
    original, _ = _grow(leaves[:5])
    restored = CompactRange.from_bytes(5, original.to_bytes())
    for hashed in leaves[5:]:
        assert restored.append(hashed) == original.append(hashed)
    assert restored.root().hex() == _rfc6962()["roots_hex"]["8"]


@pytest.mark.parametrize(("size", "length"), [(1, 0), (1, 64), (3, 32), (0, 32), (-1, 0)])
def test_compact_range_refuses_bytes_that_do_not_fit_the_size(size: int, length: int) -> None:
    """from_bytes raises ValueError unless the data is 32 bytes per set bit of a size >= 0."""
    with pytest.raises(ValueError, match=r"compact range|negative"):
        CompactRange.from_bytes(size, b"\x00" * length)


# --- bounds and malformed input ----------------------------------------------------------


@pytest.mark.parametrize(
    ("function", "args"),
    [
        (merkle.inclusion_ranges, (3, 3)),
        (merkle.inclusion_ranges, (-1, 3)),
        (merkle.inclusion_ranges, (0, 0)),
        (merkle.consistency_ranges, (5, 4)),
        (merkle.consistency_ranges, (0, 3)),
        (merkle.consistency_ranges, (0, 0)),
        (merkle.consistency_ranges, (-1, 2)),
        (merkle.perfect_nodes, (4, 3)),
        (merkle.perfect_nodes, (-2, 3)),
        (merkle.nodes_for_inclusion, (8, 8)),
        (merkle.nodes_for_consistency, (9, 8)),
        (merkle.nodes_for_root, (-1,)),
    ],
    ids=lambda value: getattr(value, "__name__", repr(value)),
)
def test_out_of_bounds_sizes_raise_value_error(function: Any, args: tuple[int, ...]) -> None:
    """Out-of-range indices and sizes (index >= size, size1 > size2, size1 = 0, negative)
    raise ValueError."""
    with pytest.raises(ValueError, match=r"range|index|proof|size"):
        function(*args)


def test_perfect_nodes_follow_the_mth_split() -> None:
    """perfect_nodes splits like MTH: [0, 7) is 4 + 2 + 1 leaves, [0, 8) is one node, [4, 10)
    is 4 + 2 leaves counted from its start."""
    assert merkle.perfect_nodes(0, 7) == [(2, 0), (1, 2), (0, 6)]
    assert merkle.perfect_nodes(0, 8) == [(3, 0)]
    assert merkle.perfect_nodes(4, 10) == [(2, 1), (1, 4)]
    assert merkle.perfect_nodes(5, 5) == []


HASH = bytes(32)
GOOD_INCLUSION: dict[str, Any] = {
    "leaf_hash": HASH,
    "index": 0,
    "size": 1,
    "proof": [],
    "root": HASH,
}
GOOD_CONSISTENCY: dict[str, Any] = {
    "size1": 1,
    "size2": 2,
    "root1": HASH,
    "root2": merkle.node_hash(HASH, HASH),
    "proof": [HASH],
}


def test_well_formed_baselines_verify() -> None:
    """The baselines that the malformed-input cases below start from do verify."""
    assert merkle.verify_inclusion(**GOOD_INCLUSION)
    assert merkle.verify_consistency(**GOOD_CONSISTENCY)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("leaf_hash", b"\x00" * 31),
        ("leaf_hash", "00" * 32),
        ("index", -1),
        ("index", True),
        ("index", "0"),
        ("size", None),
        ("size", 0),
        ("proof", None),
        ("proof", b""),
        ("proof", [None]),
        ("root", b""),
        ("root", None),
    ],
)
def test_malformed_inclusion_input_is_refused_without_raising(field: str, value: object) -> None:
    """verify_inclusion answers False, never raises, when any one argument is malformed."""
    assert merkle.verify_inclusion(**{**GOOD_INCLUSION, field: value}) is False


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("size1", -1),
        ("size1", 1.0),
        ("size2", None),
        ("root1", None),
        ("root2", b"\x00" * 33),
        ("proof", None),
        ("proof", [HASH, 7]),
        ("proof", [b"\x00" * 31]),
    ],
)
def test_malformed_consistency_input_is_refused_without_raising(field: str, value: object) -> None:
    """verify_consistency answers False, never raises, when any one argument is malformed."""
    assert merkle.verify_consistency(**{**GOOD_CONSISTENCY, field: value}) is False


def test_consistency_from_the_empty_tree_is_always_refused() -> None:
    """size1 = 0 never verifies, not even 0 to 0 with empty-tree roots and no proof."""
    empty = merkle.EMPTY_ROOT
    assert not merkle.verify_consistency(size1=0, size2=0, root1=empty, root2=empty, proof=[])
    assert not merkle.verify_consistency(size1=0, size2=1, root1=empty, root2=HASH, proof=[])
