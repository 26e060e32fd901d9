"""Values of the ledger: postings in, entries out."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from ledger.canonical import MAX_SAFE_INTEGER, JsonValue
from ledger.errors import InvalidPosting, SameAccount

FORMAT_VERSION = 1

# Kinds with a meaning to the ledger itself; every other kind is a plain transfer whose
# name is chosen by the application (for example "checkin.credit" or "refund").
HOLD = "hold"
HOLD_COMMIT = "hold.commit"
HOLD_VOID = "hold.void"
HOLD_EXPIRE = "hold.expire"
HOLD_RESOLUTIONS = (HOLD_COMMIT, HOLD_VOID, HOLD_EXPIRE)
# Meta keys the ledger writes for hold kinds; applications may not set them.
META_HOLD_SEQ = "hold"
META_EXPIRES_TS = "expires_ts"

LEDGER_ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
ACCOUNT_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9:._-]{0,127}")
KIND_PATTERN = re.compile(r"[a-z][a-z0-9._]{0,31}")
REF_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9:._/-]{0,199}")
META_KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,31}")
MAX_META_ITEMS = 16
MAX_META_TEXT_CHARS = 500

MetaValue = str | int


@dataclass(frozen=True)
class Posting:
    """A request to move `amount` points from `debit` to `credit`, keyed by `ref`."""

    kind: str
    debit: str
    credit: str
    amount: int
    ref: str
    meta: Mapping[str, MetaValue] = field(default_factory=dict)

    def same_content(self, other: Posting) -> str | None:
        """The first field that differs from `other`, or None when they agree."""
        for name in ("kind", "debit", "credit", "amount"):
            if getattr(self, name) != getattr(other, name):
                return name
        if dict(self.meta) != dict(other.meta):
            return "meta"
        return None


@dataclass(frozen=True)
class Entry:
    """A signed entry as stored: the fields of format version 1 plus `hash` and `sig`."""

    ledger: str
    seq: int
    ts: str
    kind: str
    debit: str
    credit: str
    amount: int
    ref: str
    meta: Mapping[str, MetaValue]
    prev: str
    key: str
    hash: str
    sig: str
    canonical: bytes

    def body(self) -> dict[str, JsonValue]:
        """The signed object, exactly the fields of the format."""
        return entry_body(
            ledger=self.ledger,
            seq=self.seq,
            ts=self.ts,
            posting=self.posting(),
            prev=self.prev,
            key=self.key,
        )

    def posting(self) -> Posting:
        """The posting this entry records."""
        return Posting(self.kind, self.debit, self.credit, self.amount, self.ref, self.meta)

    def public(self) -> dict[str, JsonValue]:
        """What the public entries endpoint returns: the body with `hash` and `sig`."""
        return {**self.body(), "hash": self.hash, "sig": self.sig}

    @classmethod
    def from_canonical(cls, canonical: bytes, *, hash_hex: str, sig_hex: str) -> Entry:
        """Rebuild an entry from its stored canonical bytes."""
        body = json.loads(canonical)
        return cls(
            ledger=body["ledger"],
            seq=body["seq"],
            ts=body["ts"],
            kind=body["kind"],
            debit=body["debit"],
            credit=body["credit"],
            amount=body["amount"],
            ref=body["ref"],
            meta=body["meta"],
            prev=body["prev"],
            key=body["key"],
            hash=hash_hex,
            sig=sig_hex,
            canonical=canonical,
        )


def entry_body(
    *, ledger: str, seq: int, ts: str, posting: Posting, prev: str, key: str
) -> dict[str, JsonValue]:
    """The object whose canonical bytes are hashed and signed."""
    return {
        "v": FORMAT_VERSION,
        "ledger": ledger,
        "seq": seq,
        "ts": ts,
        "kind": posting.kind,
        "debit": posting.debit,
        "credit": posting.credit,
        "amount": posting.amount,
        "ref": posting.ref,
        "meta": dict(posting.meta),
        "prev": prev,
        "key": key,
    }


@dataclass(frozen=True)
class Appended:
    """The outcome of a posting: its entry, and whether it was already there."""

    entry: Entry
    replayed: bool = False


@dataclass(frozen=True)
class Balance:
    """An account's points: `available_points` = `balance_points` - `held_points`."""

    balance_points: int
    held_points: int

    @property
    def available_points(self) -> int:
        return self.balance_points - self.held_points


HoldAction = Literal["commit", "void", "expire"]


def _require(condition: bool, field_name: str, problem: str) -> None:
    if not condition:
        raise InvalidPosting(f"{field_name}: {problem}", field=field_name)


def validate_ledger_id(ledger: str) -> None:
    """Refuse ledger ids outside the documented alphabet."""
    _require(LEDGER_ID_PATTERN.fullmatch(ledger) is not None, "ledger", "bad ledger id")


def validate_account(account: str, field_name: str = "account") -> None:
    """Refuse account ids outside the documented alphabet."""
    _require(ACCOUNT_PATTERN.fullmatch(account) is not None, field_name, "bad account id")


def validate_posting(posting: Posting, *, ledger_kinds_allowed: bool = False) -> None:
    """Refuse a malformed posting, naming the first bad field."""
    _require(KIND_PATTERN.fullmatch(posting.kind) is not None, "kind", "bad kind")
    is_hold_kind = posting.kind == HOLD or posting.kind in HOLD_RESOLUTIONS
    _require(ledger_kinds_allowed or not is_hold_kind, "kind", "reserved for holds")
    validate_account(posting.debit, "debit")
    validate_account(posting.credit, "credit")
    _require(
        type(posting.amount) is int and 0 < posting.amount <= MAX_SAFE_INTEGER,
        "amount",
        "must be a positive integer",
    )
    _require(REF_PATTERN.fullmatch(posting.ref) is not None, "ref", "bad reference")
    _validate_meta(posting.meta, ledger_keys_allowed=ledger_kinds_allowed)
    if posting.debit == posting.credit:
        raise SameAccount(field="credit")


def _validate_meta(meta: Mapping[str, MetaValue], *, ledger_keys_allowed: bool) -> None:
    _require(len(meta) <= MAX_META_ITEMS, "meta", "too many items")
    for key, value in meta.items():
        _require(META_KEY_PATTERN.fullmatch(key) is not None, "meta", f"bad key {key!r}")
        reserved = key in (META_HOLD_SEQ, META_EXPIRES_TS)
        _require(ledger_keys_allowed or not reserved, "meta", f"{key!r} is reserved")
        if type(value) is int:
            _require(abs(value) <= MAX_SAFE_INTEGER, "meta", f"{key!r} out of range")
            continue
        _require(isinstance(value, str), "meta", f"{key!r} must be text or an integer")
        assert isinstance(value, str)
        _require(len(value) <= MAX_META_TEXT_CHARS, "meta", f"{key!r} too long")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            _require(False, "meta", f"{key!r} holds a lone surrogate")
