"""Checks of one chunk of entries, with no I/O: the part of `verify` that runs in parallel.

A chunk is a run of seqs `[lo, hi]` whose leaf indices form an aligned block of a power-of-two
size, so a full chunk is one perfect Merkle subtree. A scan checks each stored row of the
chunk and returns what the coordinator needs to finish the job without seeing the rows: the
chunk's subtree root, its partial frontiers at the sizes where a root must be known (signed
checkpoints, the head), the recomputed hash and ts of its last entry, balance deltas, hold
events and the chunk's faults.

Rows come with their predecessor (seq `lo - 1`) when it exists, so the link into the chunk is
checked here like any other and a chunk needs nothing from its neighbours.

Per-entry work is what the checks need and no more: one JSON parse, one re-canonicalisation,
two SHA-256 and one Ed25519 verification, whose cost dominates.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.canonical import ZERO_HASH_HEX, entry_signing_bytes
from ledger.merkle import LEAF_PREFIX
from ledger.types import HOLD, HOLD_COMMIT, HOLD_RESOLUTIONS, META_EXPIRES_TS, META_HOLD_SEQ
from ledger.verify_entry import FullRow, check_entry, parse_entry
from ledger.verify_tree import local_frontier, perfect_levels

MAX_FAULTS_PER_CHUNK = 50

# seq, hash, canonical
FastRow = tuple[int, str, bytes]

# In canonical (sorted-key) bytes of format v1 the last occurrence of this marker is the
# top-level `prev` key: see `prev_of`.
_PREV_MARKER = b'"prev":"'
_HEX_HASH_CHARS = 64


@dataclass(frozen=True)
class KeySpan:
    """A ledger signing key and the seqs it may sign: [from_seq, until_seq)."""

    key_id: str
    public_key: bytes
    from_seq: int
    until_seq: int | None

    def covers(self, seq: int) -> bool:
        """Whether this key may sign entry `seq`."""
        return self.from_seq <= seq and (self.until_seq is None or seq < self.until_seq)

    def describe(self) -> str:
        """The seqs this key may sign, for messages."""
        if self.until_seq == self.from_seq:
            return "none: it was rotated out before it signed"
        last = "on" if self.until_seq is None else str(self.until_seq - 1)
        return f"{self.from_seq}..{last}"


@dataclass(frozen=True)
class ChunkTask:
    """A chunk to scan: its seqs, the mode, the ledger's keys and the sizes needing a root."""

    ledger: str
    lo: int
    hi: int
    fast: bool
    keys: tuple[KeySpan, ...]
    cuts: tuple[int, ...]
    # Accounts allowed below zero (issuance): their running lows need not be tracked.
    negative_ok: frozenset[str] = frozenset()


class HoldPlaced(NamedTuple):
    """A hold entry, as replay needs it."""

    seq: int
    debit: str
    credit: str
    amount: int
    expires_ts: object  # from meta: a str unless the entry is malformed


class HoldResolved(NamedTuple):
    """A commit, void or expiry entry, as replay needs it."""

    kind: str
    seq: int
    hold_seq: object  # from meta: an int unless the entry is malformed
    debit: str
    credit: str
    amount: int
    ts: str


HoldEvent = HoldPlaced | HoldResolved


@dataclass
class ChunkResult:
    """What the coordinator needs from a chunk; `faults` are (seq, reason)."""

    lo: int
    hi: int
    checked: int = 0
    first_missing: int | None = None
    faults: list[tuple[int, str]] = field(default_factory=list)
    root: bytes | None = None
    frontiers: dict[int, list[bytes]] = field(default_factory=dict)
    last_hash: str | None = None
    last_ts: str | None = None
    balance_deltas: dict[str, int] = field(default_factory=dict)
    held_deltas: dict[str, int] = field(default_factory=dict)
    # Per account, each new low of its running change of available points within the chunk,
    # as (seq, change): the coordinator, knowing the account's available points at the
    # chunk's start, finds the first entry that took it below zero.
    new_lows: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    hold_events: list[HoldEvent] = field(default_factory=list)

    def fault(self, seq: int, reason: str) -> None:
        """Record a fault, up to a bound: the first ones are what a reader needs."""
        if len(self.faults) < MAX_FAULTS_PER_CHUNK:
            self.faults.append((seq, reason))

    def gap(self, first: int, last: int) -> None:
        """Record that seqs first..last have no row."""
        text = f"entry {first} is missing (gap)"
        if last > first:
            text = f"entries {first}..{last} are missing (gap)"
        self.fault(first, text)
        if self.first_missing is None:
            self.first_missing = first


_PUBLIC_KEYS: dict[bytes, Ed25519PublicKey | None] = {}


def public_key(raw: bytes) -> Ed25519PublicKey | None:
    """The key object for raw public key bytes, cached per process; None if not a point."""
    if raw not in _PUBLIC_KEYS:
        try:
            _PUBLIC_KEYS[raw] = Ed25519PublicKey.from_public_bytes(raw)
        except ValueError:
            _PUBLIC_KEYS[raw] = None
    return _PUBLIC_KEYS[raw]


def verifies(key: Ed25519PublicKey | None, sig_hex: str, message: bytes) -> bool:
    """Whether `sig_hex` is a valid signature of `message`; False for malformed input."""
    if key is None:
        return False
    try:
        key.verify(bytes.fromhex(sig_hex), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def prev_of(canonical: bytes) -> bytes | None:
    """The top-level `prev` value of format-v1 canonical bytes, without parsing them.

    The marker `"prev":"` can only end a key whose text ends in `prev`: the quote after
    `prev` cannot be string content (that would be escaped as `\\"`), so it closes a string,
    and a string followed by `:` is a key. In sorted order the only keys after the top-level
    `prev` are `ref`, `seq`, `ts` and `v`, so the last marker is the top-level one; `meta`, the
    only object that may hold a `prev` key, comes before it. Bytes of another shape yield a
    value that does not match the expected hash, which is then the fault reported.
    """
    at = canonical.rfind(_PREV_MARKER)
    if at < 0:
        return None
    start = at + len(_PREV_MARKER)
    end = start + _HEX_HASH_CHARS
    if canonical[end : end + 1] != b'"':
        return None
    return canonical[start:end]


def _finish(task: ChunkTask, result: ChunkResult, leaves: list[bytes], expected: int) -> None:
    """Close the chunk: a gap at its end, then its subtree root and partial frontiers."""
    result.checked = len(leaves)
    if expected <= task.hi:
        result.gap(expected, task.hi)
    cuts = task.cuts
    if result.first_missing is not None:
        # Leaf positions are unknown past a gap: roots only at the sizes before it.
        leaves = leaves[: result.first_missing - task.lo]
        cuts = tuple(size for size in cuts if size < result.first_missing)
    levels = perfect_levels(leaves)
    if result.first_missing is None and leaves and len(leaves) & (len(leaves) - 1) == 0:
        result.root = levels[-1][0]
    for size in cuts:
        result.frontiers[size] = local_frontier(levels, size - task.lo + 1)


def scan(task: ChunkTask, rows: Sequence[Any]) -> ChunkResult:
    """Scan a chunk's rows (tuples or driver records, predecessor first) in the task's mode."""
    return scan_fast(task, rows) if task.fast else scan_full(task, rows)


def scan_fast(task: ChunkTask, rows: Sequence[FastRow]) -> ChunkResult:
    """Fast checks of a chunk: hashes, links, contiguity and the Merkle leaves."""
    result = ChunkResult(task.lo, task.hi)
    leaves: list[bytes] = []
    expected = task.lo
    last: bytes | None = ZERO_HASH_HEX.encode() if task.lo == 1 else None
    sha256 = hashlib.sha256
    for seq, hash_hex, canonical in rows:
        if seq < task.lo:  # the predecessor: only its hash matters
            if task.lo > 1:  # entry 1 has none: a row below it is a fault of its own
                last = sha256(canonical).hexdigest().encode()
            continue
        if seq != expected:
            result.gap(expected, seq - 1)
            last = None  # the link across a gap is not checkable; the gap is the fault
        digest = sha256(canonical).hexdigest()
        if digest != hash_hex:
            result.fault(seq, "hash column differs from the SHA-256 of the canonical bytes")
        elif last is not None and prev_of(canonical) != last:
            result.fault(seq, f"prev does not match the hash of entry {seq - 1}")
        last = digest.encode()
        leaves.append(sha256(LEAF_PREFIX + canonical).digest())
        expected = seq + 1
    if expected > task.hi and last is not None:
        result.last_hash = last.decode()
    _finish(task, result, leaves, expected)
    return result


def scan_full(task: ChunkTask, rows: Sequence[FullRow]) -> ChunkResult:
    """Full checks of a chunk: the fast checks, the signed content, keys and signatures."""
    scanner = _FullScanner(task)
    for row in rows:
        if row[0] < task.lo:
            if task.lo > 1:  # entry 1 has no predecessor; rows below it are faults elsewhere
                scanner.predecessor(row)
        else:
            scanner.entry(row)
    result = scanner.result
    if scanner.expected > task.hi:
        result.last_hash, result.last_ts = scanner.last_hash, scanner.last_ts
    _finish(task, result, scanner.leaves, scanner.expected)
    return result


class _FullScanner:
    """Walks a chunk's rows in seq order, keeping the link, ts, key and balance state."""

    def __init__(self, task: ChunkTask) -> None:
        self.task = task
        self.result = ChunkResult(task.lo, task.hi)
        self.leaves: list[bytes] = []
        self.expected = task.lo
        self.last_hash: str | None = ZERO_HASH_HEX if task.lo == 1 else None
        self.last_ts = ""
        self.spans = {span.key_id: span for span in task.keys}
        self.span: KeySpan | None = None
        self.key: Ed25519PublicKey | None = None
        self.running: dict[str, int] = {}
        self.lowest: dict[str, int] = {}

    def predecessor(self, row: FullRow) -> None:
        """Take the hash and signed ts of the entry before the chunk."""
        self.last_hash = hashlib.sha256(row[10]).hexdigest()
        body = parse_entry(row[10])
        self.last_ts = body["ts"] if body is not None else ""

    def entry(self, row: FullRow) -> None:
        """Check one entry; always record its leaf and hash so later checks stay aligned."""
        seq, canonical = row[0], row[10]
        if seq != self.expected:
            self.result.gap(self.expected, seq - 1)
            self.last_hash = None  # the link across a gap is not checkable
        digest = hashlib.sha256(canonical).hexdigest()
        body = parse_entry(canonical)
        if body is None:
            self.result.fault(seq, "canonical bytes are not a format-v1 entry")
        else:
            reason = check_entry(row, body, digest, self.task.ledger, self.last_hash)
            if reason is None and body["ts"] < self.last_ts:
                reason = f"ts {body['ts']} is earlier than the ts of entry {seq - 1}"
            unsigned = self._signature_problem(seq, body["key"], row[9], canonical)
            if unsigned is None:  # signed content counts, whatever else is wrong
                self._replay(seq, body)
            reason = reason or unsigned
            if reason is not None:
                self.result.fault(seq, reason)
            self.last_ts = body["ts"]
        self.last_hash = digest
        self.leaves.append(hashlib.sha256(LEAF_PREFIX + canonical).digest())
        self.expected = seq + 1

    def _signature_problem(self, seq: int, key_id: str, sig: str, canonical: bytes) -> str | None:
        """Whether the entry is signed by the ledger key that the signed bytes name."""
        span = self.span
        if span is None or span.key_id != key_id or not span.covers(seq):
            span = self.spans.get(key_id)
            if span is None:
                return f"signed by unknown key {key_id} (not a ledger key of {self.task.ledger})"
            if not span.covers(seq):
                return f"signed by key {key_id} outside its range (it signs seqs {span.describe()})"
            self.span, self.key = span, public_key(span.public_key)
        if not verifies(self.key, sig, entry_signing_bytes(canonical)):
            return f"signature does not verify under key {key_id}"
        return None

    def _replay(self, seq: int, body: dict[str, Any]) -> None:
        """Apply an entry's effect on balances, as `ledger.engine` does, to the deltas."""
        kind, debit, credit, amount = body["kind"], body["debit"], body["credit"], body["amount"]
        held, balance = self.result.held_deltas, self.result.balance_deltas
        if kind == HOLD:
            held[debit] = held.get(debit, 0) + amount
            self._available(seq, debit, -amount)
            expires_ts = body["meta"].get(META_EXPIRES_TS)
            self.result.hold_events.append(HoldPlaced(seq, debit, credit, amount, expires_ts))
            return
        if kind in HOLD_RESOLUTIONS:
            hold_seq = body["meta"].get(META_HOLD_SEQ)
            event = HoldResolved(kind, seq, hold_seq, debit, credit, amount, body["ts"])
            self.result.hold_events.append(event)
            held[debit] = held.get(debit, 0) - amount
            if kind != HOLD_COMMIT:  # a void or expiry only releases the held points
                self._available(seq, debit, amount)
                return
        else:
            self._available(seq, debit, -amount)
        balance[debit] = balance.get(debit, 0) - amount
        balance[credit] = balance.get(credit, 0) + amount
        self._available(seq, credit, amount)

    def _available(self, seq: int, account: str, change: int) -> None:
        running = self.running.get(account, 0) + change
        self.running[account] = running
        if change < 0 and running < self.lowest.get(account, 0):
            self.lowest[account] = running
            if account not in self.task.negative_ok:
                self.result.new_lows.setdefault(account, []).append((seq, running))
