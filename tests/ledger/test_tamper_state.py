"""Tampering with the head, balances, holds, keys and checkpoints is found and named.

`test_tamper` attacks the entries; these tests attack what surrounds them, and the faults
it leaves unprovoked. Each changes one thing (with the edits that keep everything else
consistent, where the change implies them) and expects exactly the faults it causes. Some
tamper as in `test_tamper`, with the append-only triggers off; others append a validly
signed entry the engine would have refused, as someone holding the ledger key could.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import ColumnElement, Table, and_, delete, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger import service
from ledger.canonical import (
    MAX_SAFE_INTEGER,
    JsonValue,
    canonical_bytes,
    checkpoint_signing_bytes,
    entry_signing_bytes,
    format_ts,
    parse_ts,
    sha256_hex,
)
from ledger.keyring import LEDGER_PURPOSE
from ledger.keys import Signer
from ledger.merkle import CompactRange, leaf_hash
from ledger.tables import accounts, checkpoints, entries, heads, holds, nodes, signing_keys
from ledger.types import (
    HOLD,
    HOLD_COMMIT,
    HOLD_EXPIRE,
    HOLD_VOID,
    META_EXPIRES_TS,
    META_HOLD_SEQ,
    MetaValue,
    Posting,
    entry_body,
)
from ledger.verify import MAX_FAULTS, Fault, Tuning, verify_ledger
from tests.conftest import Database
from tests.ledger import test_tamper
from tests.ledger.conftest import ISSUANCE, LedgerFixture
from tests.ledger.test_tamper import MODES, SIZE, as_attacker

# The 20-entry ledger of `test_tamper`: a key rotation before entry 11, checkpoints 8 and 16.
attacked = test_tamper.attacked
intruder = test_tamper.intruder

HOLD_TTL = timedelta(seconds=600)
ACCOUNT_CHECKS = {
    "ck_ledger_accounts_held": "held >= 0",
    "ck_ledger_accounts_available": "allow_negative OR balance >= held",
}


async def _faults(fx: LedgerFixture, *, fast: bool, tuning: Tuning | None = None) -> list[Fault]:
    report = await verify_ledger(database_url=fx.db.url, ledger=fx.ledger, fast=fast, tuning=tuning)
    return report.faults


def _of(table: Table, ledger: str, **keys: object) -> ColumnElement[bool]:
    """The rows of `table` that belong to `ledger` and have the given values."""
    owner = table.c.scope if table is signing_keys else table.c.ledger
    return and_(owner == ledger, *(table.c[name] == value for name, value in keys.items()))


async def _one(conn: AsyncConnection, table: Table, ledger: str, **keys: object) -> dict[str, Any]:
    result = await conn.execute(select(table).where(_of(table, ledger, **keys)))
    return dict(result.mappings().one())


async def _move(
    conn: AsyncConnection, ledger: str, account: str, *, balance: int = 0, held: int = 0
) -> None:
    """Add to an account's stored balance and held points."""
    await conn.execute(
        update(accounts)
        .where(_of(accounts, ledger, account=account))
        .values(balance=accounts.c.balance + balance, held=accounts.c.held + held)
    )


async def _undo_transfers(conn: AsyncConnection, ledger: str, seqs: range) -> None:
    """Take the effect of the transfers at `seqs` out of the stored balances."""
    for seq in seqs:
        row = await _one(conn, entries, ledger, seq=seq)
        await _move(conn, ledger, row["debit"], balance=row["amount"])
        await _move(conn, ledger, row["credit"], balance=-row["amount"])


async def _frontier(conn: AsyncConnection, ledger: str, size: int) -> bytes:
    """The Merkle frontier of entries 1..size as they are stored now."""
    frontier = CompactRange()
    for seq in range(1, size + 1):
        frontier.append(leaf_hash((await _one(conn, entries, ledger, seq=seq))["canonical"]))
    return frontier.to_bytes()


async def _key_of(fx: LedgerFixture, seq: int) -> Signer:
    """The ledger key that signed entry `seq`."""
    async with fx.db.engine.connect() as conn:
        row = await _one(conn, entries, fx.ledger, seq=seq)
    return fx.keystore.load(row["key_id"])


async def _forge(
    fx: LedgerFixture,
    posting: Posting,
    *,
    ts: str | None = None,
    encode: Callable[[dict[str, JsonValue]], bytes] = canonical_bytes,
    **fields: JsonValue,
) -> int:
    """Append an entry signed with the head's key, without the engine's checks, and move the
    head over it as the engine would; `fields` replace signed fields. Returns its seq."""
    async with fx.db.engine.begin() as conn:
        head = await _one(conn, heads, fx.ledger)
        seq: int = head["size"] + 1
        signer = fx.keystore.load(head["key_id"])
        at: str = ts or head["last_ts"]
        body = entry_body(
            ledger=fx.ledger,
            seq=seq,
            ts=at,
            posting=posting,
            prev=head["head_hash"],
            key=signer.key_id,
        )
        canonical = encode(body | fields)
        await conn.execute(
            insert(entries).values(
                ledger=fx.ledger,
                seq=seq,
                ref=posting.ref,
                kind=posting.kind,
                debit=posting.debit,
                credit=posting.credit,
                amount=posting.amount,
                ts=at,
                key_id=signer.key_id,
                hash=sha256_hex(canonical),
                sig=signer.sign_hex(entry_signing_bytes(canonical)),
                canonical=canonical,
            )
        )
        frontier = CompactRange.from_bytes(head["size"], head["frontier"])
        frontier.append(leaf_hash(canonical))
        await conn.execute(
            update(heads)
            .where(_of(heads, fx.ledger))
            .values(
                size=seq,
                head_hash=sha256_hex(canonical),
                last_ts=at,
                frontier=frontier.to_bytes(),
            )
        )
    return seq


@asynccontextmanager
async def _unchecked(db: Database) -> AsyncIterator[AsyncConnection]:
    """A transaction in which the balance table's CHECK constraints do not apply."""
    async with db.engine.begin() as conn:
        if db.backend == "postgresql":
            for name in ACCOUNT_CHECKS:
                await conn.execute(text(f"ALTER TABLE ledger_accounts DROP CONSTRAINT {name}"))
            yield conn
            # Back again for rows written from now on; the tampered rows stay as they are.
            for name, rule in ACCOUNT_CHECKS.items():
                await conn.execute(
                    text(
                        f"ALTER TABLE ledger_accounts ADD CONSTRAINT {name}"
                        f" CHECK ({rule}) NOT VALID"
                    )
                )
            return
        await conn.execute(text("PRAGMA ignore_check_constraints = ON"))
        try:
            yield conn
        finally:
            await conn.execute(text("PRAGMA ignore_check_constraints = OFF"))


# The head row


@MODES
async def test_a_head_hash_that_is_not_the_last_entry_hash_is_found(
    attacked: LedgerFixture, fast: bool
) -> None:
    """A head pointing at another entry's hash is refused."""
    async with attacked.db.engine.begin() as conn:
        other = await _one(conn, entries, attacked.ledger, seq=SIZE - 1)
        await conn.execute(
            update(heads).where(_of(heads, attacked.ledger)).values(head_hash=other["hash"])
        )
    assert await _faults(attacked, fast=fast) == [
        Fault(None, f"head hash differs from the hash of entry {SIZE}")
    ]


@pytest.mark.parametrize("shift", [timedelta(minutes=-1), timedelta(days=30)])
async def test_a_head_ts_other_than_the_last_entrys_is_found(
    attacked: LedgerFixture, shift: timedelta
) -> None:
    """A head whose clock runs behind its last entry, or ahead of it (which would stamp the
    next entries in the future), is refused."""
    async with attacked.db.engine.begin() as conn:
        last = await _one(conn, entries, attacked.ledger, seq=SIZE)
        moved = format_ts(parse_ts(last["ts"]) + shift)
        await conn.execute(update(heads).where(_of(heads, attacked.ledger)).values(last_ts=moved))
    assert await _faults(attacked, fast=False) == [
        Fault(None, f"head ts differs from the ts of entry {SIZE}")
    ]


@MODES
@pytest.mark.parametrize("which", ["retired", "unknown"])
async def test_a_head_naming_a_key_other_than_the_newest_is_found(
    attacked: LedgerFixture, intruder: Signer, fast: bool, which: str
) -> None:
    """A head naming the key rotated out before entry 11, or a key the ledger never had, is
    refused: the next entry would be signed by a key that may not sign it."""
    key_id = (await _key_of(attacked, 1)).key_id if which == "retired" else intruder.key_id
    async with attacked.db.engine.begin() as conn:
        await conn.execute(update(heads).where(_of(heads, attacked.ledger)).values(key_id=key_id))
    assert await _faults(attacked, fast=fast) == [
        Fault(None, f"head names key {key_id}, not the newest key")
    ]


def _flipped(frontier: bytes) -> bytes:
    return bytes([frontier[0] ^ 1]) + frontier[1:]


def _short(frontier: bytes) -> bytes:
    return frontier[:-1]


@MODES
@pytest.mark.parametrize("garble", [_flipped, _short], ids=["wrong-hash", "wrong-length"])
async def test_a_head_frontier_that_does_not_give_the_root_is_found(
    attacked: LedgerFixture, fast: bool, garble: Callable[[bytes], bytes]
) -> None:
    """A Merkle frontier with a changed hash, or one that does not even fit the size, is
    refused: the next checkpoint would sign a root the entries do not give."""
    async with attacked.db.engine.begin() as conn:
        head = await _one(conn, heads, attacked.ledger)
        await conn.execute(
            update(heads)
            .where(_of(heads, attacked.ledger))
            .values(frontier=garble(head["frontier"]))
        )
    assert await _faults(attacked, fast=fast) == [
        Fault(None, f"head Merkle frontier does not give the root of entries 1..{SIZE}")
    ]


@MODES
async def test_entries_beyond_a_rolled_back_head_are_found(
    attacked: LedgerFixture, fast: bool
) -> None:
    """A head moved back to entry 18, consistently, with the balances rolled back too,
    leaves entries 19 and 20 past the head: they are named."""
    keep = SIZE - 2
    async with attacked.db.engine.begin() as conn:
        last = await _one(conn, entries, attacked.ledger, seq=keep)
        frontier = await _frontier(conn, attacked.ledger, keep)
        await conn.execute(
            update(heads)
            .where(_of(heads, attacked.ledger))
            .values(size=keep, head_hash=last["hash"], last_ts=last["ts"], frontier=frontier)
        )
        await _undo_transfers(conn, attacked.ledger, range(keep + 1, SIZE + 1))
    assert await _faults(attacked, fast=fast) == [
        Fault(keep + 1, f"entries up to {SIZE} exist beyond the head's size {keep}")
    ]


@MODES
@pytest.mark.parametrize("seq", [0, -1])
async def test_an_entry_below_seq_1_is_found(attacked: LedgerFixture, fast: bool, seq: int) -> None:
    """A row slipped in before the first entry is named by its seq, and only it: entry 1
    links to no entry before it."""
    async with attacked.db.engine.begin() as conn:
        first = await _one(conn, entries, attacked.ledger, seq=1)
        await conn.execute(insert(entries).values({**first, "seq": seq, "ref": "before-1"}))
    assert await _faults(attacked, fast=fast) == [Fault(seq, f"entry with seq {seq} below 1")]


@MODES
async def test_a_head_beyond_its_entries_is_a_gap_at_the_end(
    attacked: LedgerFixture, fast: bool
) -> None:
    """A head claiming two more entries than there are names them as missing. Chunks of four
    keep the gap in a chunk of its own, after the chunks that hold checkpoints 8 and 16."""
    async with attacked.db.engine.begin() as conn:
        await conn.execute(update(heads).where(_of(heads, attacked.ledger)).values(size=SIZE + 2))
    tuning = Tuning(chunk_entries=4)
    assert await _faults(attacked, fast=fast, tuning=tuning) == [
        Fault(SIZE + 1, f"entries {SIZE + 1}..{SIZE + 2} are missing (gap)")
    ]


@MODES
async def test_a_gap_is_named_first_even_in_the_chunk_of_earlier_checkpoints(
    attacked: LedgerFixture, fast: bool
) -> None:
    """The last entry deleted, in the one chunk that also holds checkpoints 8 and 16: those
    still verify (their roots come from the entries before the gap), and the gap is the
    first and only fault."""
    async with as_attacker(attacked.db) as conn:
        await _undo_transfers(conn, attacked.ledger, range(SIZE, SIZE + 1))
        await conn.execute(delete(entries).where(_of(entries, attacked.ledger, seq=SIZE)))
    assert await _faults(attacked, fast=fast) == [Fault(SIZE, f"entry {SIZE} is missing (gap)")]


# Entries and checkpoints, beyond what `test_tamper` covers


@MODES
async def test_consecutive_missing_entries_are_one_gap(attacked: LedgerFixture, fast: bool) -> None:
    """Entries 6 and 7 deleted (their transfers taken out of the balances) are named as one
    gap, and checkpoint 8's stored leaves name entry 6 as the first not signed."""
    async with as_attacker(attacked.db) as conn:
        await _undo_transfers(conn, attacked.ledger, range(6, 8))
        await conn.execute(
            delete(entries).where(_of(entries, attacked.ledger), entries.c.seq.in_([6, 7]))
        )
    assert await _faults(attacked, fast=fast) == [
        Fault(6, "entries 6..7 are missing (gap)"),
        Fault(6, "entry 6 is not the entry signed by checkpoint 8"),
    ]


@MODES
async def test_a_root_that_cannot_be_recomputed_is_named(
    attacked: LedgerFixture, fast: bool
) -> None:
    """With entry 6 and its stored leaf deleted, checkpoint 8 can be neither recomputed nor
    matched to stored leaves: it is named from entry 1, with the missing entry."""
    async with as_attacker(attacked.db) as conn:
        await _undo_transfers(conn, attacked.ledger, range(6, 7))
        await conn.execute(delete(entries).where(_of(entries, attacked.ledger, seq=6)))
        await conn.execute(delete(nodes).where(_of(nodes, attacked.ledger, level=0, idx=5)))
    assert await _faults(attacked, fast=fast) == [
        Fault(
            1,
            "root at size 8 cannot be recomputed (entry 6 is missing); "
            "no earlier checkpoint agrees; 1 later checkpoints differ too",
        ),
        Fault(6, "entry 6 is missing (gap)"),
    ]


@MODES
async def test_a_changed_hash_column_is_found(attacked: LedgerFixture, fast: bool) -> None:
    """A hash column that is not the SHA-256 of the entry's bytes is named at the entry."""
    async with as_attacker(attacked.db) as conn:
        await conn.execute(
            update(entries)
            .where(_of(entries, attacked.ledger, seq=6))
            .values(hash=sha256_hex(b"forged"))
        )
    assert await _faults(attacked, fast=fast) == [
        Fault(6, "hash column differs from the SHA-256 of the canonical bytes")
    ]


@MODES
async def test_a_validly_resigned_entry_breaks_the_next_link(
    attacked: LedgerFixture, fast: bool
) -> None:
    """Entry 18 rewritten and re-signed with the ledger key (past every checkpoint), with the
    head's frontier made to match, is sound on its own; entry 19's prev no longer matches it."""
    async with as_attacker(attacked.db) as conn:
        row = await _one(conn, entries, attacked.ledger, seq=18)
        body = {**json.loads(row["canonical"]), "ref": "s18-rewritten"}
        canonical = canonical_bytes(body)
        signer = attacked.keystore.load(row["key_id"])
        await conn.execute(
            update(entries)
            .where(_of(entries, attacked.ledger, seq=18))
            .values(
                ref="s18-rewritten",
                canonical=canonical,
                hash=sha256_hex(canonical),
                sig=signer.sign_hex(entry_signing_bytes(canonical)),
            )
        )
        frontier = await _frontier(conn, attacked.ledger, SIZE)
        await conn.execute(
            update(heads).where(_of(heads, attacked.ledger)).values(frontier=frontier)
        )
    assert await _faults(attacked, fast=fast) == [
        Fault(19, "prev does not match the hash of entry 18")
    ]


@pytest.mark.parametrize("column", ["ref", "key_id"])
async def test_a_changed_ref_or_key_column_is_found(attacked: LedgerFixture, column: str) -> None:
    """The ref and key_id columns, like the others, must repeat the signed bytes."""
    value = "s6-forged" if column == "ref" else "0" * 16
    async with as_attacker(attacked.db) as conn:
        before = (await _one(conn, entries, attacked.ledger, seq=6))[column]
        await conn.execute(
            update(entries).where(_of(entries, attacked.ledger, seq=6)).values({column: value})
        )
    assert await _faults(attacked, fast=False) == [
        Fault(6, f"{column} column differs from the signed bytes ({value!r} != {before!r})")
    ]


async def _forge_spend(fx: LedgerFixture, **forged: Any) -> int:
    """Forge a transfer of 1 point from m-a to shop-1 and apply it to the balances."""
    seq = await _forge(fx, Posting("spend", "m-a", "shop-1", 1, "forged"), **forged)
    async with fx.db.engine.begin() as conn:
        await _move(conn, fx.ledger, "m-a", balance=-1)
        await _move(conn, fx.ledger, "shop-1", balance=1)
    return seq


async def test_a_signed_entry_earlier_than_its_predecessor_is_found(
    attacked: LedgerFixture,
) -> None:
    """A validly signed entry dated before the entry it follows is named."""
    earlier = format_ts(attacked.now - timedelta(hours=1))
    seq = await _forge_spend(attacked, ts=earlier)
    assert await _faults(attacked, fast=False) == [
        Fault(seq, f"ts {earlier} is earlier than the ts of entry {seq - 1}")
    ]


async def test_a_signed_entry_of_another_ledger_is_found(attacked: LedgerFixture) -> None:
    """A validly signed entry whose bytes name another ledger is named."""
    seq = await _forge_spend(attacked, ledger="other-ledger")
    assert await _faults(attacked, fast=False) == [
        Fault(seq, f"entry belongs to ledger 'other-ledger', not {attacked.ledger!r}")
    ]


def _json(body: dict[str, JsonValue]) -> bytes:
    """Bytes shaped like canonical bytes, for values that canonical bytes refuse."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


@pytest.mark.parametrize(
    ("meta", "problem"),
    [
        ({"é": "x"}, "$.meta: object keys must be ASCII strings"),
        ({"n": MAX_SAFE_INTEGER + 1}, "$.meta.n: integer outside the JSON-safe range"),
    ],
    ids=["non-ascii-key", "unsafe-integer"],
)
async def test_a_signed_value_outside_format_v1_is_found(
    attacked: LedgerFixture, meta: dict[str, JsonValue], problem: str
) -> None:
    """A validly signed entry holding a value the format excludes is named, with the value."""
    seq = await _forge_spend(attacked, encode=_json, meta=meta)
    assert await _faults(attacked, fast=False) == [
        Fault(seq, f"canonical bytes hold a value outside format v1 ({problem})")
    ]


# Keys and checkpoints


async def _add_ledger_key(
    fx: LedgerFixture, key_id: str, public_key: bytes, from_seq: int | None
) -> None:
    async with fx.db.engine.begin() as conn:
        await conn.execute(
            insert(signing_keys).values(
                key_id=key_id,
                scope=fx.ledger,
                purpose=LEDGER_PURPOSE,
                public_key=public_key,
                created_ts=format_ts(fx.now),
                from_seq=from_seq,
            )
        )


@MODES
async def test_a_key_whose_id_does_not_match_its_public_key_is_found(
    attacked: LedgerFixture, intruder: Signer, fast: bool
) -> None:
    """A ledger key row under an id that is not its public key's is named and not used."""
    key_id = secrets.token_hex(8)
    await _add_ledger_key(attacked, key_id, intruder.public_key, SIZE + 1)
    assert await _faults(attacked, fast=fast) == [
        Fault(None, f"signing key {key_id}'s id does not match its public key")
    ]


@MODES
async def test_a_ledger_key_without_from_seq_is_found(
    attacked: LedgerFixture, intruder: Signer, fast: bool
) -> None:
    """A ledger key row that says nothing of which entries it signs is named."""
    await _add_ledger_key(attacked, intruder.key_id, intruder.public_key, None)
    assert await _faults(attacked, fast=fast) == [
        Fault(None, f"ledger key {intruder.key_id} has no from_seq")
    ]


async def _resign_checkpoint(fx: LedgerFixture, size: int, signer: Signer) -> None:
    """Rewrite a checkpoint's key, bytes and signature consistently under `signer`."""
    async with as_attacker(fx.db) as conn:
        row = await _one(conn, checkpoints, fx.ledger, size=size)
        canonical = canonical_bytes({**json.loads(row["canonical"]), "key": signer.key_id})
        await conn.execute(
            update(checkpoints)
            .where(_of(checkpoints, fx.ledger, size=size))
            .values(
                key_id=signer.key_id,
                canonical=canonical,
                sig=signer.sign_hex(checkpoint_signing_bytes(canonical)),
            )
        )


@MODES
async def test_a_checkpoint_signed_by_an_unknown_key_is_found(
    attacked: LedgerFixture, intruder: Signer, fast: bool
) -> None:
    """A checkpoint re-signed by a key the ledger never had is refused."""
    await _resign_checkpoint(attacked, 8, intruder)
    assert await _faults(attacked, fast=fast) == [
        Fault(None, f"checkpoint 8 is signed by unknown key {intruder.key_id}")
    ]


@MODES
@pytest.mark.parametrize(("size", "signed_by"), [(8, 11), (16, 1)], ids=["newer", "retired"])
async def test_a_checkpoint_signed_by_another_ledger_key_is_found(
    attacked: LedgerFixture, fast: bool, size: int, signed_by: int
) -> None:
    """A checkpoint re-signed by a ledger key that was not the head's key at its size (the
    key of entry 11 for size 8, the key of entry 1 for size 16) is refused."""
    signer = await _key_of(attacked, signed_by)
    await _resign_checkpoint(attacked, size, signer)
    reason = (
        f"checkpoint {size} is signed by key {signer.key_id}, which was not the key at size {size}"
    )
    assert await _faults(attacked, fast=fast) == [Fault(None, reason)]


@MODES
async def test_a_checkpoint_with_columns_outside_the_format_is_found(
    attacked: LedgerFixture, fast: bool
) -> None:
    """A checkpoint whose size no canonical bytes could hold is refused."""
    size = MAX_SAFE_INTEGER + 1
    async with as_attacker(attacked.db) as conn:
        await conn.execute(
            update(checkpoints).where(_of(checkpoints, attacked.ledger, size=8)).values(size=size)
        )
    assert await _faults(attacked, fast=fast) == [
        Fault(None, f"checkpoint {size}'s columns are outside format v1")
    ]


# Balances


async def test_an_account_with_entries_but_no_balance_row_is_found(opened: LedgerFixture) -> None:
    """An account whose row is deleted is named, even when its entries net to zero."""
    await opened.open_accounts("m-a", "shop-1")
    await opened.credit("m-a", 10, "c1")
    async with opened.db.sessions.begin() as session:
        await service.append(
            session,
            keystore=opened.keystore,
            ledger=opened.ledger,
            posting=Posting("spend", "m-a", "shop-1", 10, "s1"),
            now=opened.now,
        )
    async with opened.db.engine.begin() as conn:
        await conn.execute(delete(accounts).where(_of(accounts, opened.ledger, account="m-a")))
    assert await _faults(opened, fast=False) == [
        Fault(None, "account m-a has entries but no balance row")
    ]


@pytest.fixture
async def holding(opened: LedgerFixture) -> LedgerFixture:
    """m-a gets 30 points (entry 1), hold 2 of 10 stays pending, hold 3 of 5 is committed
    by entry 4: m-a has 25 with 10 held, shop-1 has 5."""
    await opened.open_accounts("m-a", "shop-1")
    await opened.credit("m-a", 30, "c1")
    for ref, amount in (("h2", 10), ("h3", 5)):
        async with opened.db.sessions.begin() as session:
            await service.place_hold(
                session,
                keystore=opened.keystore,
                ledger=opened.ledger,
                posting=Posting("redeem", "m-a", "shop-1", amount, ref),
                ttl_seconds=int(HOLD_TTL.total_seconds()),
                now=opened.now,
            )
    async with opened.db.sessions.begin() as session:
        await service.resolve_hold(
            session,
            keystore=opened.keystore,
            ledger=opened.ledger,
            hold_seq=3,
            action="commit",
            ref="hold/3/commit",
            now=opened.now,
        )
    assert await opened.balance("m-a") == (25, 10)
    assert await _faults(opened, fast=False) == []
    return opened


async def test_a_changed_held_amount_is_found(holding: LedgerFixture) -> None:
    """A balance row whose held points the entries do not give is named, with both figures."""
    async with holding.db.engine.begin() as conn:
        await _move(conn, holding.ledger, "m-a", held=1)
    assert await _faults(holding, fast=False) == [
        Fault(None, "balance of m-a is 25 (held 11) but the entries give 25 (held 10)")
    ]


async def test_a_balance_row_below_zero_is_found(holding: LedgerFixture) -> None:
    """Negative held points in a balance row (past the table's CHECK) are named, besides the
    difference from the entries."""
    async with _unchecked(holding.db) as conn:
        await _move(conn, holding.ledger, "m-a", held=-11)
    assert await _faults(holding, fast=False) == [
        Fault(None, "balance of m-a is 25 (held -1) but the entries give 25 (held 10)"),
        Fault(None, "account m-a is below zero in its balance row"),
    ]


async def test_an_issuance_account_no_longer_allowed_below_zero_is_found(
    holding: LedgerFixture,
) -> None:
    """Issuance stripped of its right to go negative (past the table's CHECK) is named twice:
    at the entry that took it below zero, and for its balance row."""
    async with _unchecked(holding.db) as conn:
        await conn.execute(
            update(accounts)
            .where(_of(accounts, holding.ledger, account=ISSUANCE))
            .values(allow_negative=False)
        )
    assert await _faults(holding, fast=False) == [
        Fault(1, f"account {ISSUANCE} goes below zero (-30)"),
        Fault(None, f"account {ISSUANCE} is below zero in its balance row"),
    ]


# Holds: the stored rows


async def _set_hold(conn: AsyncConnection, ledger: str, hold_seq: int, **values: object) -> None:
    await conn.execute(update(holds).where(_of(holds, ledger, hold_seq=hold_seq)).values(values))


async def test_a_deleted_hold_row_is_found(holding: LedgerFixture) -> None:
    """A hold entry whose ledger_holds row is gone is named."""
    async with holding.db.engine.begin() as conn:
        await conn.execute(delete(holds).where(_of(holds, holding.ledger, hold_seq=2)))
    assert await _faults(holding, fast=False) == [Fault(None, "hold 2 has no row in ledger_holds")]


@pytest.mark.parametrize("hold_seq", [1, 9], ids=["transfer", "beyond-the-head"])
async def test_a_hold_row_without_a_hold_entry_is_found(
    holding: LedgerFixture, hold_seq: int
) -> None:
    """A ledger_holds row at a transfer, or past the last entry, is named."""
    async with holding.db.engine.begin() as conn:
        row = await _one(conn, holds, holding.ledger, hold_seq=2)
        await conn.execute(insert(holds).values({**row, "hold_seq": hold_seq}))
    assert await _faults(holding, fast=False) == [
        Fault(None, f"ledger_holds row {hold_seq} has no hold entry")
    ]


@pytest.mark.parametrize(
    ("hold_seq", "values"),
    [
        (3, {"state": "pending", "resolved_seq": None}),
        (3, {"state": "voided"}),
        (3, {"resolved_seq": 2}),
        (2, {"state": "committed", "resolved_seq": 4}),
        (2, {"amount": 9}),
        (2, {"debit": "shop-1", "credit": "m-a"}),
        (2, {"expires_ts": "2026-03-01T09:00:00.000000Z"}),
    ],
    ids=["reopened", "state", "resolved-seq", "resolved", "amount", "accounts", "expiry"],
)
async def test_a_rewritten_hold_row_is_found(
    holding: LedgerFixture, hold_seq: int, values: dict[str, object]
) -> None:
    """A hold row that differs from its entries in any field, resolved or not, is named."""
    async with holding.db.engine.begin() as conn:
        await _set_hold(conn, holding.ledger, hold_seq, **values)
    assert await _faults(holding, fast=False) == [
        Fault(None, f"ledger_holds row of hold {hold_seq} differs from the entries")
    ]


async def test_too_many_faults_are_counted_not_listed(holding: LedgerFixture) -> None:
    """Past MAX_FAULTS faults the report lists the first ones and counts the rest."""
    extra = 3
    async with holding.db.engine.begin() as conn:
        row = await _one(conn, holds, holding.ledger, hold_seq=2)
        rows = [{**row, "hold_seq": 100 + n} for n in range(MAX_FAULTS + extra)]
        await conn.execute(insert(holds), rows)
    faults = await _faults(holding, fast=False)
    assert faults[:2] == [
        Fault(None, "ledger_holds row 100 has no hold entry"),
        Fault(None, "ledger_holds row 101 has no hold entry"),
    ]
    assert faults[MAX_FAULTS:] == [Fault(None, f"{extra} more faults not listed")]
    assert len(faults) == MAX_FAULTS + 1


# Holds: signed entries that resolve them wrongly


def _resolution(kind: str, hold_seq: MetaValue, amount: int, credit: str = "shop-1") -> Posting:
    return Posting(kind, "m-a", credit, amount, f"forged-{kind}", {META_HOLD_SEQ: hold_seq})


@pytest.mark.parametrize("named", [1, 99, "2"], ids=["transfer", "absent", "text"])
async def test_a_resolution_of_no_hold_is_found(holding: LedgerFixture, named: MetaValue) -> None:
    """A void naming a transfer, no entry at all, or a hold's seq as text is named; its
    release of 10 held points is in the balances."""
    seq = await _forge(holding, _resolution(HOLD_VOID, named, 10))
    async with holding.db.engine.begin() as conn:
        await _move(conn, holding.ledger, "m-a", held=-10)
    assert await _faults(holding, fast=False) == [
        Fault(seq, f"hold.void names hold {named!r}, which is not an earlier hold entry")
    ]


async def test_a_second_resolution_of_a_hold_is_found(holding: LedgerFixture) -> None:
    """A void of hold 3, already committed by entry 4, is named with the first resolution."""
    seq = await _forge(holding, _resolution(HOLD_VOID, 3, 5))
    async with holding.db.engine.begin() as conn:
        await _move(conn, holding.ledger, "m-a", held=-5)
    assert await _faults(holding, fast=False) == [
        Fault(seq, "hold.void resolves hold 3, already committed by entry 4")
    ]


@pytest.mark.parametrize(
    ("amount", "credit"), [(4, "shop-1"), (10, ISSUANCE)], ids=["amount", "credit"]
)
async def test_a_resolution_unlike_its_hold_is_found(
    holding: LedgerFixture, amount: int, credit: str
) -> None:
    """A void of hold 2 for another amount or to another account is named; it still voids
    the hold, as the stored row says."""
    seq = await _forge(holding, _resolution(HOLD_VOID, 2, amount, credit))
    async with holding.db.engine.begin() as conn:
        await _move(conn, holding.ledger, "m-a", held=-amount)
        await _set_hold(conn, holding.ledger, 2, state="voided", resolved_seq=seq)
    assert await _faults(holding, fast=False) == [
        Fault(seq, "hold.void differs from hold 2 in its accounts or amount")
    ]


async def test_an_expiry_before_the_hold_expired_is_found(holding: LedgerFixture) -> None:
    """An expiry of hold 2 dated before its expiry time is named; the row says expired."""
    expires = format_ts(holding.now + HOLD_TTL)
    seq = await _forge(holding, _resolution(HOLD_EXPIRE, 2, 10))
    async with holding.db.engine.begin() as conn:
        await _move(conn, holding.ledger, "m-a", held=-10)
        await _set_hold(conn, holding.ledger, 2, state="expired", resolved_seq=seq)
    assert await _faults(holding, fast=False) == [
        Fault(seq, f"hold.expire before hold 2 expired at {expires}")
    ]


@pytest.mark.parametrize(("kind", "state"), [(HOLD_COMMIT, "committed"), (HOLD_VOID, "voided")])
async def test_a_resolution_after_the_hold_expired_is_found(
    holding: LedgerFixture, kind: str, state: str
) -> None:
    """A commit or void of hold 2 dated at its expiry time is named; the balances and the
    row show it as done."""
    expires = format_ts(holding.now + HOLD_TTL)
    seq = await _forge(holding, _resolution(kind, 2, 10), ts=expires)
    async with holding.db.engine.begin() as conn:
        await _move(conn, holding.ledger, "m-a", held=-10)
        if kind == HOLD_COMMIT:
            await _move(conn, holding.ledger, "m-a", balance=-10)
            await _move(conn, holding.ledger, "shop-1", balance=10)
        await _set_hold(conn, holding.ledger, 2, state=state, resolved_seq=seq)
    assert await _faults(holding, fast=False) == [
        Fault(seq, f"{kind} after hold 2 expired at {expires}")
    ]


@pytest.mark.parametrize("meta", [{}, {META_EXPIRES_TS: 5}], ids=["absent", "integer"])
async def test_a_hold_without_an_expiry_is_found(
    holding: LedgerFixture, meta: dict[str, MetaValue]
) -> None:
    """A signed hold with no expiry time (or one that is not text) is named; its points are
    held and its row has no expiry."""
    seq = await _forge(holding, Posting(HOLD, "m-a", "shop-1", 3, "forged-hold", meta))
    async with holding.db.engine.begin() as conn:
        await _move(conn, holding.ledger, "m-a", held=3)
        row = await _one(conn, holds, holding.ledger, hold_seq=2)
        await conn.execute(
            insert(holds).values({**row, "hold_seq": seq, "amount": 3, "expires_ts": ""})
        )
    assert await _faults(holding, fast=False) == [Fault(seq, "hold has no expires_ts in its meta")]
