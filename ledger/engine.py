"""The append state machine: decides, builds and signs entries, with no I/O.

`store.py` reads the chain head (locked), the accounts, holds and references a batch
touches, hands them to a `Batch`, applies each operation in order, then writes what the
batch produced. Refusal precedence, for each operation, is the order of the checks in
`Batch.apply`: hold lookup, well-formedness, idempotency, hold state, accounts, funds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta

from ledger import errors
from ledger.canonical import canonical_bytes, entry_signing_bytes, format_ts, parse_ts, sha256_hex
from ledger.keys import Signer
from ledger.merkle import CompactRange, NodeId, leaf_hash
from ledger.signing import sign_all
from ledger.types import (
    HOLD,
    HOLD_COMMIT,
    HOLD_EXPIRE,
    HOLD_VOID,
    META_EXPIRES_TS,
    META_HOLD_SEQ,
    Appended,
    Entry,
    HoldAction,
    MetaValue,
    Posting,
    entry_body,
    validate_posting,
)

RESOLUTION_KIND: Mapping[HoldAction, str] = {
    "commit": HOLD_COMMIT,
    "void": HOLD_VOID,
    "expire": HOLD_EXPIRE,
}
RESOLVED_STATE: Mapping[str, str] = {
    HOLD_COMMIT: "committed",
    HOLD_VOID: "voided",
    HOLD_EXPIRE: "expired",
}


@dataclass(frozen=True)
class Transfer:
    """Move points now."""

    posting: Posting


@dataclass(frozen=True)
class PlaceHold:
    """Reserve points on the debit account for `ttl_seconds` after the entry's time."""

    posting: Posting
    ttl_seconds: int


@dataclass(frozen=True)
class ResolveHold:
    """Commit, void or expire the hold recorded at `hold_seq`."""

    hold_seq: int
    action: HoldAction
    ref: str
    meta: Mapping[str, MetaValue] = field(default_factory=dict)


Operation = Transfer | PlaceHold | ResolveHold


@dataclass
class HoldState:
    """A hold as the batch sees it; `state` is pending until resolved."""

    hold_seq: int
    debit: str
    credit: str
    amount: int
    expires_ts: str
    state: str = "pending"
    resolved_seq: int | None = None
    is_new: bool = False
    resolved_now: bool = False


@dataclass
class AccountState:
    """An account as the batch sees it, with its overdue pending holds (oldest first)."""

    balance: int
    held: int
    allow_negative: bool
    overdue: list[HoldState] = field(default_factory=list)
    balance_delta: int = 0
    held_delta: int = 0


@dataclass
class Batch:
    """Applies operations to a locked chain head; collects what must be written."""

    ledger: str
    size: int
    head_hash: str
    frontier: CompactRange
    ts: str
    signer: Signer
    existing: dict[str, Entry]
    accounts: dict[str, AccountState]
    holds: dict[int, HoldState]
    entries: list[Entry] = field(default_factory=list)
    nodes: list[tuple[NodeId, bytes]] = field(default_factory=list)

    def apply(self, operation: Operation) -> Appended:
        """Apply one operation, or raise its refusal having changed nothing."""
        posting, hold = self._posting_for(operation)
        replay = self._replay(posting)
        if replay is not None:
            return Appended(replay, replayed=True)
        if hold is not None:
            self._check_hold(hold, posting.kind)
        debit = self._account(posting.debit, "debit")
        credit = self._account(posting.credit, "credit")
        if hold is None:  # transfers and new holds spend; resolutions move held points
            self._ensure_funds(debit, posting.amount, posting.debit)
        entry = self._emit(posting)
        _apply_effects(posting.kind, posting.amount, debit, credit)
        if hold is not None:
            hold.state = RESOLVED_STATE[posting.kind]
            hold.resolved_seq = entry.seq
            hold.resolved_now = True
        elif posting.kind == HOLD:
            self._record_new_hold(entry, posting)
        return Appended(entry)

    def _posting_for(self, operation: Operation) -> tuple[Posting, HoldState | None]:
        """The well-formed posting the operation records (and its hold), or a refusal."""
        if isinstance(operation, Transfer):
            validate_posting(operation.posting)
            return operation.posting, None
        if isinstance(operation, PlaceHold):
            validate_posting(operation.posting)
            # The clock of a hold starts at its entry's time, which never runs behind the
            # chain: a hold is never born expired because the caller's clock lagged.
            expires = parse_ts(self.ts) + timedelta(seconds=operation.ttl_seconds)
            meta = {**operation.posting.meta, META_EXPIRES_TS: format_ts(expires)}
            p = operation.posting
            posting = Posting(HOLD, p.debit, p.credit, p.amount, p.ref, meta)
            validate_posting(posting, ledger_kinds_allowed=True)
            return posting, None
        hold = self.holds.get(operation.hold_seq)
        if hold is None:
            raise errors.HoldNotFound(hold=operation.hold_seq)
        meta = {**operation.meta, META_HOLD_SEQ: operation.hold_seq}
        kind = RESOLUTION_KIND[operation.action]
        posting = Posting(kind, hold.debit, hold.credit, hold.amount, operation.ref, meta)
        validate_posting(posting, ledger_kinds_allowed=True)
        return posting, hold

    def _replay(self, posting: Posting) -> Entry | None:
        first = self.existing.get(posting.ref)
        if first is None:
            return None
        differs = _comparable(first.posting()).same_content(_comparable(posting))
        if differs is not None:
            raise errors.IdempotencyMismatch(field=differs, seq=first.seq)
        return first

    def _check_hold(self, hold: HoldState, kind: str) -> None:
        if hold.state != "pending":
            raise errors.HoldAlreadyResolved(hold=hold.hold_seq, state=hold.state)
        overdue = hold.expires_ts <= self.ts
        if kind != HOLD_EXPIRE and overdue:
            raise errors.HoldExpired(hold=hold.hold_seq)
        if kind == HOLD_EXPIRE and not overdue:
            raise errors.HoldNotExpired(hold=hold.hold_seq)

    def _account(self, account: str, field_name: str) -> AccountState:
        state = self.accounts.get(account)
        if state is None:
            raise errors.AccountNotFound(field=field_name, account=account)
        return state

    def _ensure_funds(self, debit: AccountState, amount: int, account: str) -> None:
        if debit.allow_negative:
            return
        available = debit.balance - debit.held
        if available >= amount:
            return
        releasable = sum(h.amount for h in debit.overdue if h.state == "pending")
        if available + releasable < amount:
            raise errors.InsufficientPoints(available=available + releasable, required=amount)
        # Overdue holds would have expired already had the expiry task run: expire them
        # now, in this transaction, so the account's CHECK constraint still holds.
        for hold in debit.overdue:
            if hold.state == "pending":
                self.apply(ResolveHold(hold.hold_seq, "expire", expiry_ref(hold.hold_seq)))
        assert debit.balance - debit.held >= amount, account

    def _emit(self, posting: Posting) -> Entry:
        seq = self.size + 1
        body = entry_body(
            ledger=self.ledger,
            seq=seq,
            ts=self.ts,
            posting=posting,
            prev=self.head_hash,
            key=self.signer.key_id,
        )
        canonical = canonical_bytes(body)
        entry = Entry(
            ledger=self.ledger,
            seq=seq,
            ts=self.ts,
            kind=posting.kind,
            debit=posting.debit,
            credit=posting.credit,
            amount=posting.amount,
            ref=posting.ref,
            meta=dict(posting.meta),
            prev=self.head_hash,
            key=self.signer.key_id,
            hash=sha256_hex(canonical),
            sig="",  # see `sign_entries`
            canonical=canonical,
        )
        self.nodes.extend(self.frontier.append(leaf_hash(canonical)))
        self.entries.append(entry)
        self.existing[entry.ref] = entry
        self.size = seq
        self.head_hash = entry.hash
        return entry

    def sign_entries(self) -> dict[int, Entry]:
        """Sign the entries emitted so far; return them by seq.

        Entries are emitted unsigned: a signature is not part of what the next entry's
        `prev` hashes, so the batch's signatures are made together, on several threads.
        """
        messages = [entry_signing_bytes(e.canonical) for e in self.entries]
        signatures = sign_all(self.signer, messages)
        self.entries = [replace(e, sig=s) for e, s in zip(self.entries, signatures, strict=True)]
        return {e.seq: e for e in self.entries}

    def _record_new_hold(self, entry: Entry, posting: Posting) -> None:
        expires_ts = posting.meta[META_EXPIRES_TS]
        assert isinstance(expires_ts, str)
        self.holds[entry.seq] = HoldState(
            hold_seq=entry.seq,
            debit=posting.debit,
            credit=posting.credit,
            amount=posting.amount,
            expires_ts=expires_ts,
            is_new=True,
        )


def expiry_ref(hold_seq: int) -> str:
    """The reference of the entry that expires a hold; one per hold, whoever writes it."""
    return f"hold/{hold_seq}/expire"


def _comparable(posting: Posting) -> Posting:
    """A posting without the expiry the ledger stamps on holds, which depends on `now`."""
    meta = {k: v for k, v in posting.meta.items() if k != META_EXPIRES_TS}
    return Posting(posting.kind, posting.debit, posting.credit, posting.amount, posting.ref, meta)


def _apply_effects(kind: str, amount: int, debit: AccountState, credit: AccountState) -> None:
    if kind == HOLD:
        debit.held += amount
        debit.held_delta += amount
    elif kind in (HOLD_VOID, HOLD_EXPIRE):
        debit.held -= amount
        debit.held_delta -= amount
    else:
        if kind == HOLD_COMMIT:
            debit.held -= amount
            debit.held_delta -= amount
        debit.balance -= amount
        debit.balance_delta -= amount
        credit.balance += amount
        credit.balance_delta += amount
