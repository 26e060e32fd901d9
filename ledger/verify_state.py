"""The coordinator's side of `verify` for keys, checkpoints, balances and holds.

Chunks report balance deltas and hold events; `Replay` adds them up in seq order and, at the
end, compares the result with the stored derived state (`ledger_accounts`, `ledger_holds`).
Replay follows `ledger.engine`: a hold reserves points on its debit account (held grows,
balance stays); a commit moves the points from debit to credit and releases them; a void or
an expiry only releases them; every other kind moves points from debit to credit.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.canonical import canonical_bytes, checkpoint_signing_bytes
from ledger.engine import RESOLVED_STATE
from ledger.keys import key_id_for
from ledger.proofs import checkpoint_body
from ledger.types import HOLD_EXPIRE
from ledger.verify_core import (
    ChunkResult,
    HoldEvent,
    HoldPlaced,
    HoldResolved,
    KeySpan,
    public_key,
    verifies,
)
from ledger.verify_db import AccountRow, CheckpointRow, HoldRow, KeyRow

# (seq or None for a ledger-wide fault, reason)
Problem = tuple[int | None, str]


def key_spans(keys: list[KeyRow]) -> tuple[list[KeySpan], list[Problem]]:
    """The ledger keys and the seqs each may sign: from its from_seq to the next key's.

    `keys` come in rotation order (from_seq, then created_ts, as `keyring.list_keys` orders
    them). A key followed by one with the same from_seq (two rotations with no entry
    between) signs nothing: the second rotation retired it.
    """
    problems: list[Problem] = []
    usable: list[KeyRow] = []
    for key in keys:
        if key_id_for(key.public_key) != key.key_id:
            problems.append((None, f"signing key {key.key_id}'s id does not match its public key"))
        elif key.from_seq is None:
            problems.append((None, f"ledger key {key.key_id} has no from_seq"))
        else:
            usable.append(key)
    spans = []
    for index, key in enumerate(usable):
        assert key.from_seq is not None
        successor = usable[index + 1] if index + 1 < len(usable) else None
        until = successor.from_seq if successor is not None else None
        spans.append(KeySpan(key.key_id, key.public_key, key.from_seq, until))
    return spans, problems


def checkpoint_problem(ledger: str, row: CheckpointRow, spans: dict[str, KeySpan]) -> str | None:
    """What is wrong with a stored checkpoint short of its root, or None if it is signed."""
    name = f"checkpoint {row.size}"
    try:
        body = checkpoint_body(
            ledger=ledger, size=row.size, root=row.root, ts=row.ts, key=row.key_id
        )
        expected = canonical_bytes(body)
    except ValueError:
        return f"{name}'s columns are outside format v1"
    if expected != row.canonical:
        return f"{name}'s canonical bytes differ from its columns"
    span = spans.get(row.key_id)
    if span is None:
        return f"{name} is signed by unknown key {row.key_id}"
    # A checkpoint is signed by the key of the head at that size: the key that signed entry
    # `size` or, right after a rotation, the one that signs entry `size + 1`.
    if not (span.covers(row.size) or span.from_seq == row.size + 1):
        return f"{name} is signed by key {row.key_id}, which was not the key at size {row.size}"
    message = checkpoint_signing_bytes(row.canonical)
    if not verifies(public_key(span.public_key), row.sig, message):
        return f"{name}'s signature does not verify under key {row.key_id}"
    return None


@dataclass
class _Hold:
    debit: str
    credit: str
    amount: int
    expires_ts: str
    state: str = "pending"
    resolved_seq: int | None = None


class Replay:
    """Balances and holds replayed from the chunks, in seq order."""

    def __init__(self, accounts: list[AccountRow]) -> None:
        self.accounts = {row.account: row for row in accounts}
        self.balance: dict[str, int] = {}
        self.held: dict[str, int] = {}
        self.holds: dict[int, _Hold] = {}
        self.problems: list[Problem] = []

    def add(self, result: ChunkResult) -> None:
        """Take one chunk's deltas; chunks must come in seq order."""
        for account, lows in result.new_lows.items():
            start = self.balance.get(account, 0) - self.held.get(account, 0)
            row = self.accounts.get(account)
            if row is not None and row.allow_negative:
                continue
            below = next(((seq, start + low) for seq, low in lows if start + low < 0), None)
            if below is not None:
                seq, available = below
                self.problems.append((seq, f"account {account} goes below zero ({available})"))
        for account, delta in result.balance_deltas.items():
            self.balance[account] = self.balance.get(account, 0) + delta
        for account, delta in result.held_deltas.items():
            self.held[account] = self.held.get(account, 0) + delta
        for event in result.hold_events:
            self._hold_event(event)

    def _hold_event(self, event: HoldEvent) -> None:
        if isinstance(event, HoldPlaced):
            expires_ts = event.expires_ts
            if not isinstance(expires_ts, str):
                self.problems.append((event.seq, "hold has no expires_ts in its meta"))
                expires_ts = ""
            self.holds[event.seq] = _Hold(event.debit, event.credit, event.amount, expires_ts)
            return
        hold_seq = event.hold_seq
        hold = self.holds.get(hold_seq) if type(hold_seq) is int else None
        problem = _resolution_problem(event, hold)
        if problem is not None:
            self.problems.append((event.seq, problem))
        if hold is not None and hold.state == "pending":
            hold.state, hold.resolved_seq = RESOLVED_STATE[event.kind], event.seq

    def finish(self, holds: list[HoldRow]) -> list[Problem]:
        """Compare the replay with the stored balances and holds."""
        problems = list(self.problems)
        problems.extend(self._account_problems())
        problems.extend(self._hold_problems(holds))
        return problems

    def _account_problems(self) -> list[Problem]:
        problems: list[Problem] = []
        for account in sorted(set(self.balance) | set(self.held)):
            if account not in self.accounts:
                problems.append((None, f"account {account} has entries but no balance row"))
        total = 0
        for name, row in self.accounts.items():
            total += row.balance
            replayed = (self.balance.get(name, 0), self.held.get(name, 0))
            if (row.balance, row.held) != replayed:
                problems.append(
                    (
                        None,
                        f"balance of {name} is {row.balance} (held {row.held}) but the entries "
                        f"give {replayed[0]} (held {replayed[1]})",
                    )
                )
            if row.held < 0 or (row.balance < row.held and not row.allow_negative):
                problems.append((None, f"account {name} is below zero in its balance row"))
        if total != 0:
            problems.append((None, f"balances sum to {total}, not 0"))
        return problems

    def _hold_problems(self, rows: list[HoldRow]) -> list[Problem]:
        problems: list[Problem] = []
        stored = {row.hold_seq: row for row in rows}
        for seq, hold in self.holds.items():
            row = stored.pop(seq, None)
            if row is None:
                problems.append((None, f"hold {seq} has no row in ledger_holds"))
            elif _hold_fields(hold) != _hold_fields(row):
                problems.append((None, f"ledger_holds row of hold {seq} differs from the entries"))
        problems.extend((None, f"ledger_holds row {seq} has no hold entry") for seq in stored)
        return problems


def _hold_fields(hold: HoldRow | _Hold) -> tuple[object, ...]:
    return (hold.debit, hold.credit, hold.amount, hold.expires_ts, hold.state, hold.resolved_seq)


def _resolution_problem(event: HoldResolved, hold: _Hold | None) -> str | None:
    kind, hold_seq = event.kind, event.hold_seq
    if hold is None:
        return f"{kind} names hold {hold_seq!r}, which is not an earlier hold entry"
    if hold.state != "pending":
        return f"{kind} resolves hold {hold_seq}, already {hold.state} by entry {hold.resolved_seq}"
    if (event.debit, event.credit, event.amount) != (hold.debit, hold.credit, hold.amount):
        return f"{kind} differs from hold {hold_seq} in its accounts or amount"
    overdue = hold.expires_ts <= event.ts  # as `ledger.engine` decides it
    if kind == HOLD_EXPIRE and not overdue:
        return f"hold.expire before hold {hold_seq} expired at {hold.expires_ts}"
    if kind != HOLD_EXPIRE and overdue:
        return f"{kind} after hold {hold_seq} expired at {hold.expires_ts}"
    return None
