"""One stored entry against its signed bytes: format, canonical form, columns, hash, link."""

from __future__ import annotations

import json
from typing import Any

from ledger.canonical import canonical_bytes
from ledger.types import FORMAT_VERSION

# seq, ref, kind, debit, credit, amount, ts, key_id, hash, sig, canonical
FullRow = tuple[int, str, str, str, str, int, str, str, str, str, bytes]

_DECODER = json.JSONDecoder()
ENTRY_FIELDS = frozenset(
    ("v", "ledger", "seq", "ts", "kind", "debit", "credit", "amount", "ref", "meta", "prev", "key")
)
# The row columns that repeat signed fields, in row order, with the field each repeats.
_COLUMNS = (
    ("seq", "seq"),
    ("ref", "ref"),
    ("kind", "kind"),
    ("debit", "debit"),
    ("credit", "credit"),
    ("amount", "amount"),
    ("ts", "ts"),
    ("key_id", "key"),
)


def parse_entry(canonical: bytes) -> dict[str, Any] | None:
    """The parsed entry if it has exactly the fields of format v1 with their types, else None.

    Typed `Any` because it is parsed JSON; the checks here are what make its shape known.
    """
    try:
        text = canonical.decode()
        # raw_decode, not json.loads: it skips the whitespace scans and the encoding sniffing
        # that canonical bytes never need, a third of the parse time.
        body, end = _DECODER.raw_decode(text)
    except ValueError:  # includes bytes that are not UTF-8
        return None
    if end != len(text) or type(body) is not dict or body.keys() != ENTRY_FIELDS:
        return None
    return body if _well_typed(body) else None


def _well_typed(body: dict[str, Any]) -> bool:
    # `type(...) is` rather than isinstance, so that JSON `true` is not taken for 1; one
    # expression rather than loops, because this runs for every entry.
    meta = body["meta"]
    return (
        type(body["ledger"]) is str
        and type(body["ts"]) is str
        and type(body["kind"]) is str
        and type(body["debit"]) is str
        and type(body["credit"]) is str
        and type(body["ref"]) is str
        and type(body["prev"]) is str
        and type(body["key"]) is str
        and type(body["seq"]) is int
        and type(body["amount"]) is int
        and type(body["v"]) is int
        and body["v"] == FORMAT_VERSION
        and type(meta) is dict
        and all(type(value) is str or type(value) is int for value in meta.values())
    )


def check_entry(
    row: FullRow, body: dict[str, Any], digest: str, ledger: str, prev: str | None
) -> str | None:
    """The first problem of a parsed entry short of its key and signature, or None.

    `digest` is the SHA-256 hex of the canonical bytes and `prev` the recomputed hash of the
    entry before (None when that entry is missing, so the link cannot be checked).
    """
    problem = _form_problem(row, body, ledger)
    if problem is not None:
        return problem
    if digest != row[8]:
        return "hash column differs from the SHA-256 of the canonical bytes"
    if prev is not None and body["prev"] != prev:
        return f"prev does not match the hash of entry {row[0] - 1}"
    return None


def _form_problem(row: FullRow, body: dict[str, Any], ledger: str) -> str | None:
    """Whether the stored bytes are canonical, of this ledger, and repeated by the columns."""
    try:
        recanonical = canonical_bytes(body)
    except ValueError as exc:
        return f"canonical bytes hold a value outside format v1 ({exc})"
    if recanonical != row[10]:
        return "canonical bytes are not in canonical form"
    if body["ledger"] != ledger:
        return f"entry belongs to ledger {body['ledger']!r}, not {ledger!r}"
    signed: tuple[object, ...] = (
        body["seq"],
        body["ref"],
        body["kind"],
        body["debit"],
        body["credit"],
        body["amount"],
        body["ts"],
        body["key"],
    )
    if signed != row[:8]:
        return _column_problem(row, body)
    return None


def _column_problem(row: FullRow, body: dict[str, Any]) -> str:
    for at, (column, name) in enumerate(_COLUMNS):
        if row[at] != body[name]:
            return f"{column} column differs from the signed bytes ({row[at]!r} != {body[name]!r})"
    raise AssertionError("the row and its signed fields differ, but no column does")
