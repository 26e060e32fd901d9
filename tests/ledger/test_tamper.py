"""Tampering by someone with database access is found, at the entry it touched.

The ledger under attack has 20 entries, a key rotation before entry 11 and signed
checkpoints at sizes 8 and 16. Each test acts as an attacker: inside `as_attacker` the
append-only triggers do not fire, as for a superuser (PostgreSQL) or whoever can write the
file (SQLite).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import column as sa_column
from sqlalchemy import delete, text, update
from sqlalchemy import table as sa_table
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.expression import Executable

from ledger import keyring, proofs, service
from ledger.canonical import canonical_bytes, entry_signing_bytes, sha256_hex
from ledger.keys import KeyStore, Signer
from ledger.merkle import CompactRange
from ledger.types import Posting
from ledger.verify import Fault, Report, verify_ledger
from tests.conftest import Database
from tests.ledger.conftest import LedgerFixture

APPEND_ONLY_TABLES = ("ledger_entries", "ledger_checkpoints", "ledger_nodes", "signing_keys")
SQLITE_TRIGGER = (
    "CREATE TRIGGER {table}_no_{low} BEFORE {op} ON {table} "
    "BEGIN SELECT RAISE(ABORT, '{table} is append-only: {op} refused'); END"
)
MODES = pytest.mark.parametrize("fast", [False, True], ids=["full", "fast"])
SIZE = 20


@asynccontextmanager
async def as_attacker(db: Database) -> AsyncIterator[AsyncConnection]:
    """A transaction in which the append-only triggers do not fire."""
    async with db.engine.begin() as conn:
        if db.backend == "postgresql":
            # Ordinary triggers fire only in the "origin" role; a superuser may leave it.
            await conn.execute(text("SET LOCAL session_replication_role = replica"))
            yield conn
            return
        # SQLite has no such switch: drop the triggers and put them back (as the migration
        # wrote them) before this transaction commits.
        triggers = [(t, op) for t in APPEND_ONLY_TABLES for op in ("UPDATE", "DELETE")]
        for table, op in triggers:
            await conn.execute(text(f"DROP TRIGGER {table}_no_{op.lower()}"))
        yield conn
        for table, op in triggers:
            await conn.execute(text(SQLITE_TRIGGER.format(table=table, low=op.lower(), op=op)))


@pytest.fixture
async def attacked(opened: LedgerFixture) -> LedgerFixture:
    """The ledger under attack, untouched so far (and verifying clean)."""
    await opened.open_accounts("m-a", "m-b", "shop-1")
    for n in range(1, SIZE + 1):
        if n == 11:
            async with opened.db.sessions.begin() as session:
                await service.rotate_key(
                    session, keystore=opened.keystore, ledger=opened.ledger, now=opened.now
                )
        if n <= 4:
            await opened.credit("m-a" if n % 2 else "m-b", 50, f"c{n}")
        else:
            await _append(opened, Posting("spend", "m-a", "shop-1", n % 3 + 1, f"s{n}"))
        if n in (8, 16):
            async with opened.db.sessions.begin() as session:
                await proofs.issue_checkpoint(
                    session, keystore=opened.keystore, ledger=opened.ledger, now=opened.now
                )
    assert (await _verify(opened, fast=False)).ok
    return opened


@pytest.fixture
def intruder(tmp_path: Path) -> Signer:
    """A key the ledger never knew."""
    return KeyStore(tmp_path / "intruder").generate()


async def _append(fx: LedgerFixture, posting: Posting) -> None:
    async with fx.db.sessions.begin() as session:
        await service.append(
            session, keystore=fx.keystore, ledger=fx.ledger, posting=posting, now=fx.now
        )


async def _verify(fx: LedgerFixture, *, fast: bool) -> Report:
    return await verify_ledger(database_url=fx.db.url, ledger=fx.ledger, fast=fast)


def _first(report: Report) -> Fault:
    assert report.faults, "the tampering went unnoticed"
    return report.faults[0]


async def _row(conn: AsyncConnection, ledger: str, seq: int) -> dict[str, Any]:
    result = await conn.execute(
        text("SELECT * FROM ledger_entries WHERE ledger = :l AND seq = :s"), {"l": ledger, "s": seq}
    )
    return dict(result.mappings().one())


async def _set(conn: AsyncConnection, ledger: str, seq: int, **values: object) -> None:
    entries = sa_table("ledger_entries", *(sa_column(c) for c in ("ledger", "seq", *values)))
    mine = (entries.c.ledger == ledger) & (entries.c.seq == seq)
    await conn.execute(update(entries).where(mine).values(values))


async def _resign(
    conn: AsyncConnection,
    ledger: str,
    seq: int,
    change: Callable[[dict[str, Any]], None],
    signer: Signer,
) -> None:
    """Rewrite an entry's signed bytes, hash, signature and columns consistently."""
    body = json.loads((await _row(conn, ledger, seq))["canonical"])
    change(body)
    body["key"] = signer.key_id
    canonical = canonical_bytes(body)
    await _set(
        conn,
        ledger,
        seq,
        amount=body["amount"],
        debit=body["debit"],
        credit=body["credit"],
        key_id=signer.key_id,
        canonical=canonical,
        hash=sha256_hex(canonical),
        sig=signer.sign_hex(entry_signing_bytes(canonical)),
    )


def _more(amount: int) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        body["amount"] = amount

    return change


@pytest.mark.parametrize(
    ("column", "value"),
    [("amount", 999), ("debit", "m-b"), ("credit", "m-b"), ("kind", "refund"), ("ts", "x")],
)
async def test_a_changed_column_is_found_at_its_entry(
    attacked: LedgerFixture, column: str, value: object
) -> None:
    """A column changed without its signed bytes is named at the entry, by column."""
    async with as_attacker(attacked.db) as conn:
        await _set(conn, attacked.ledger, 6, **{column: value})
    fault = _first(await _verify(attacked, fast=False))
    assert fault.seq == 6
    label = "ts column" if column == "ts" else f"{column} column"
    assert f"{label} differs from the signed bytes" in fault.reason


@MODES
async def test_rewritten_signed_bytes_are_found_at_their_entry(
    attacked: LedgerFixture, fast: bool
) -> None:
    """A new amount written into the canonical bytes, hash and column breaks the signature;
    fast mode names the entry through checkpoint 8's stored leaves."""
    async with as_attacker(attacked.db) as conn:
        body = json.loads((await _row(conn, attacked.ledger, 6))["canonical"])
        body["amount"] = 999
        canonical = canonical_bytes(body)
        await _set(
            conn, attacked.ledger, 6, amount=999, canonical=canonical, hash=sha256_hex(canonical)
        )
    fault = _first(await _verify(attacked, fast=fast))
    assert fault.seq == 6
    expected = "is not the entry signed by checkpoint 8" if fast else "signature does not verify"
    assert expected in fault.reason


async def test_rewritten_entry_past_the_last_checkpoint_breaks_the_next_link(
    attacked: LedgerFixture,
) -> None:
    """Past every checkpoint, fast mode sees a rewritten entry through the next entry's prev."""
    async with as_attacker(attacked.db) as conn:
        body = json.loads((await _row(conn, attacked.ledger, 18))["canonical"])
        body["amount"] = 50
        canonical = canonical_bytes(body)
        await _set(conn, attacked.ledger, 18, canonical=canonical, hash=sha256_hex(canonical))
    fault = _first(await _verify(attacked, fast=True))
    assert fault == Fault(19, "prev does not match the hash of entry 18")


@MODES
async def test_a_deleted_entry_is_a_gap(attacked: LedgerFixture, fast: bool) -> None:
    """A deleted entry is named as missing."""
    async with as_attacker(attacked.db) as conn:
        await conn.execute(
            text("DELETE FROM ledger_entries WHERE ledger = :l AND seq = 6"), {"l": attacked.ledger}
        )
    fault = _first(await _verify(attacked, fast=fast))
    assert fault == Fault(6, "entry 6 is missing (gap)")


@MODES
async def test_swapped_entries_are_found_at_the_first(attacked: LedgerFixture, fast: bool) -> None:
    """Two entries that trade places are found at the earlier seq."""
    async with as_attacker(attacked.db) as conn:
        for old, new in ((5, -1), (6, 5), (-1, 6)):
            await conn.execute(
                text("UPDATE ledger_entries SET seq = :new WHERE ledger = :l AND seq = :old"),
                {"l": attacked.ledger, "old": old, "new": new},
            )
    fault = _first(await _verify(attacked, fast=fast))
    assert fault.seq == 5
    expected = "prev does not match the hash of entry 4" if fast else "seq column differs"
    assert expected in fault.reason


@MODES
async def test_an_inserted_forged_entry_is_found(
    attacked: LedgerFixture, intruder: Signer, fast: bool
) -> None:
    """An entry slipped in at seq 6 under an unknown key, later entries moved up, is named."""
    ledger = attacked.ledger
    async with as_attacker(attacked.db) as conn:
        for seq in range(SIZE, 5, -1):
            await conn.execute(
                text("UPDATE ledger_entries SET seq = seq + 1 WHERE ledger = :l AND seq = :s"),
                {"l": ledger, "s": seq},
            )
        template = await _row(conn, ledger, 5)
        body = json.loads(template["canonical"])
        body |= {"seq": 6, "ref": "forged", "amount": 40, "prev": template["hash"]}
        body["key"] = intruder.key_id
        canonical = canonical_bytes(body)
        row = {**template, "seq": 6, "ref": "forged", "amount": 40, "key_id": intruder.key_id}
        row |= {"canonical": canonical, "hash": sha256_hex(canonical)}
        row["sig"] = intruder.sign_hex(entry_signing_bytes(canonical))
        await conn.execute(
            text(
                "INSERT INTO ledger_entries VALUES (:ledger, :seq, :ref, :kind, :debit, :credit,"
                " :amount, :ts, :key_id, :hash, :sig, :canonical)"
            ),
            row,
        )
        await conn.execute(
            text("UPDATE ledger_heads SET size = :n WHERE ledger = :l"),
            {"l": ledger, "n": SIZE + 1},
        )
    fault = _first(await _verify(attacked, fast=fast))
    assert fault.seq == 6
    expected = "is not the entry signed by checkpoint 8" if fast else "signed by unknown key"
    assert expected in fault.reason


@MODES
async def test_an_entry_resigned_by_an_unknown_key_is_found(
    attacked: LedgerFixture, intruder: Signer, fast: bool
) -> None:
    """An entry re-signed by a key that is not the ledger's is named."""
    async with as_attacker(attacked.db) as conn:
        await _resign(conn, attacked.ledger, 6, _more(999), intruder)
    fault = _first(await _verify(attacked, fast=fast))
    assert fault.seq == 6
    expected = "is not the entry signed by checkpoint 8" if fast else "signed by unknown key"
    assert expected in fault.reason


async def test_an_entry_signed_by_a_retired_key_is_found(attacked: LedgerFixture) -> None:
    """An entry after the rotation re-signed by the first key is outside that key's range."""
    async with attacked.db.sessions() as session:
        first_key = (await service.entries(session, ledger=attacked.ledger, start_seq=1, limit=1))[
            0
        ]
    old = attacked.keystore.load(first_key.key)
    async with as_attacker(attacked.db) as conn:
        await _resign(conn, attacked.ledger, 18, _more(18), old)
    fault = _first(await _verify(attacked, fast=False))
    assert fault.seq == 18
    assert f"signed by key {old.key_id} outside its range (it signs seqs 1..10)" in fault.reason


async def test_a_key_rotated_out_before_it_signed_may_sign_nothing(
    attacked: LedgerFixture,
) -> None:
    """Two rotations with no entry between retire the first of the two new keys at once:
    the ledger verifies clean, and an entry re-signed with that key is named."""
    signers = []
    for _ in range(2):
        async with attacked.db.sessions.begin() as session:
            await service.rotate_key(
                session, keystore=attacked.keystore, ledger=attacked.ledger, now=attacked.now
            )
            keys = await keyring.list_keys(session, scope=attacked.ledger)
            signers.append([k for k in keys if k.purpose == keyring.LEDGER_PURPOSE][-1])
    await _append(attacked, Posting("spend", "m-a", "shop-1", 1, "after-two-rotations"))
    assert (await _verify(attacked, fast=False)).ok
    skipped = attacked.keystore.load(signers[0].key_id)
    async with as_attacker(attacked.db) as conn:
        await _resign(conn, attacked.ledger, SIZE + 1, _more(1), skipped)
    fault = _first(await _verify(attacked, fast=False))
    assert fault.seq == SIZE + 1
    assert f"signed by key {skipped.key_id} outside its range" in fault.reason


@MODES
async def test_an_entry_resigned_with_the_ledger_key_is_named_by_its_checkpoint(
    attacked: LedgerFixture, fast: bool
) -> None:
    """An entry rewritten and validly re-signed (a stolen key) is named exactly, because the
    stored leaf hashes still give checkpoint 8's signed root."""
    async with attacked.db.sessions() as session:
        first = (await service.entries(session, ledger=attacked.ledger, start_seq=6, limit=1))[0]
    async with as_attacker(attacked.db) as conn:
        await _resign(conn, attacked.ledger, 6, _more(7), attacked.keystore.load(first.key))
    fault = _first(await _verify(attacked, fast=fast))
    assert fault == Fault(6, "entry 6 is not the entry signed by checkpoint 8")


def _pretty(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, ensure_ascii=False).encode()


def _extra_field(body: dict[str, Any]) -> bytes:
    return canonical_bytes({**body, "note": "x"})


def _boolean_amount(body: dict[str, Any]) -> bytes:
    return json.dumps({**body, "amount": True}, sort_keys=True, separators=(",", ":")).encode()


def _trailing_newline(body: dict[str, Any]) -> bytes:
    return canonical_bytes(body) + b"\n"


@pytest.mark.parametrize(
    ("rewrite", "reason"),
    [
        (_pretty, "canonical bytes are not in canonical form"),
        (_extra_field, "canonical bytes are not a format-v1 entry"),
        (_boolean_amount, "canonical bytes are not a format-v1 entry"),
        (_trailing_newline, "canonical bytes are not a format-v1 entry"),
    ],
)
async def test_signed_bytes_outside_the_format_are_refused(
    attacked: LedgerFixture, rewrite: Callable[[dict[str, Any]], bytes], reason: str
) -> None:
    """Bytes that are not canonical format v1 are named even when validly signed."""
    async with attacked.db.sessions() as session:
        [entry] = await service.entries(session, ledger=attacked.ledger, start_seq=6, limit=1)
    signer = attacked.keystore.load(entry.key)
    async with as_attacker(attacked.db) as conn:
        canonical = rewrite(json.loads(entry.canonical))
        signature = signer.sign_hex(entry_signing_bytes(canonical))
        await _set(
            conn, attacked.ledger, 6, canonical=canonical, hash=sha256_hex(canonical), sig=signature
        )
    fault = _first(await _verify(attacked, fast=False))
    assert fault == Fault(6, reason)


async def test_a_validly_signed_overdraft_is_found_at_its_entry(attacked: LedgerFixture) -> None:
    """An entry re-signed with the ledger key to spend more than the account holds is named
    as the entry that took the account below zero."""
    async with attacked.db.sessions() as session:
        [entry] = await service.entries(session, ledger=attacked.ledger, start_seq=18, limit=1)
    async with as_attacker(attacked.db) as conn:
        await _resign(conn, attacked.ledger, 18, _more(500), attacked.keystore.load(entry.key))
    fault = _first(await _verify(attacked, fast=False))
    assert fault.seq == 18
    assert fault.reason.startswith("account m-a goes below zero")


async def test_a_rewritten_hold_row_is_found(opened: LedgerFixture) -> None:
    """A pending hold marked voided in ledger_holds, with no entry that voids it, is named."""
    await opened.open_accounts("m-a", "shop-1")
    await opened.credit("m-a", 30, "c1")
    async with opened.db.sessions.begin() as session:
        hold = await service.place_hold(
            session,
            keystore=opened.keystore,
            ledger=opened.ledger,
            posting=Posting("redeem", "m-a", "shop-1", 10, "h1"),
            ttl_seconds=600,
            now=opened.now,
        )
    async with opened.db.engine.begin() as conn:  # holds are derived state, not append-only
        await conn.execute(
            text("UPDATE ledger_holds SET state = 'voided' WHERE ledger = :l AND hold_seq = :s"),
            {"l": opened.ledger, "s": hold.entry.seq},
        )
    report = await _verify(opened, fast=False)
    assert report.faults == [Fault(None, "ledger_holds row of hold 2 differs from the entries")]


async def _truncate(fx: LedgerFixture, keep: int) -> None:
    """Cut the chain to `keep` entries as an attacker would, so the engine appends again."""
    ledger = fx.ledger
    async with as_attacker(fx.db) as conn:
        params = {"l": ledger, "k": keep}
        await conn.execute(
            text("DELETE FROM ledger_entries WHERE ledger = :l AND seq > :k"), params
        )
        nodes = await conn.execute(
            text("SELECT level, idx FROM ledger_nodes WHERE ledger = :l"), params
        )
        for level, idx in nodes.all():
            if (idx + 1) << level > keep:  # the node covers a removed leaf
                await conn.execute(
                    text("DELETE FROM ledger_nodes WHERE ledger = :l AND level = :v AND idx = :i"),
                    {**params, "v": level, "i": idx},
                )
        leaves = await conn.execute(
            text("SELECT hash FROM ledger_nodes WHERE ledger = :l AND level = 0 ORDER BY idx"),
            params,
        )
        frontier = CompactRange()
        for (leaf,) in leaves.all():
            frontier.append(leaf)
        head_hash = (await _row(conn, ledger, keep))["hash"]
        await conn.execute(
            text(
                "UPDATE ledger_heads SET size = :k, head_hash = :h, frontier = :f WHERE ledger = :l"
            ),
            {**params, "h": head_hash, "f": frontier.to_bytes()},
        )


@MODES
async def test_a_truncated_chain_reextended_differently_fails_its_checkpoint(
    attacked: LedgerFixture, fast: bool
) -> None:
    """A chain cut to 12 entries and re-extended is caught by checkpoint 16, at the first seq
    after the last agreeing checkpoint (8): every link and signature is valid."""
    await _truncate(attacked, 12)
    for n in range(13, SIZE + 1):
        await _append(attacked, Posting("spend", "m-a", "m-b", 1, f"rewritten{n}"))
    report = await _verify(attacked, fast=fast)
    assert _first(report) == Fault(
        9, "root at size 16 differs from signed checkpoint 16; last agreeing checkpoint is 8"
    )
    assert all(fault.seq is None for fault in report.faults[1:])  # only balances besides


@MODES
async def test_a_truncated_chain_is_caught_by_a_later_checkpoint(
    attacked: LedgerFixture, fast: bool
) -> None:
    """A chain cut below a signed checkpoint is missing the entries that checkpoint covers."""
    await _truncate(attacked, 12)
    fault = _first(await _verify(attacked, fast=fast))
    assert fault == Fault(13, "checkpoint 16 was signed over entries beyond the size 12")


@MODES
@pytest.mark.parametrize("resign", [False, True], ids=["column", "bytes"])
async def test_a_checkpoint_with_a_wrong_root_is_found(
    attacked: LedgerFixture, intruder: Signer, fast: bool, resign: bool
) -> None:
    """A checkpoint whose root was changed, with or without its signed bytes, is refused."""
    root = "ab" * 32
    async with as_attacker(attacked.db) as conn:
        params = {"l": attacked.ledger, "r": root}
        await conn.execute(
            text("UPDATE ledger_checkpoints SET root = :r WHERE ledger = :l AND size = 8"), params
        )
        if resign:
            row = (
                (
                    await conn.execute(
                        text("SELECT * FROM ledger_checkpoints WHERE ledger = :l AND size = 8"),
                        params,
                    )
                )
                .mappings()
                .one()
            )
            body = {**json.loads(row["canonical"]), "root": root}
            await conn.execute(
                text("UPDATE ledger_checkpoints SET canonical = :c WHERE ledger = :l AND size = 8"),
                {**params, "c": canonical_bytes(body)},
            )
    report = await _verify(attacked, fast=fast)
    expected = "signature does not verify" if resign else "canonical bytes differ from its columns"
    [fault] = report.faults  # the entries are sound: nothing else is wrong
    assert fault.seq is None
    assert f"checkpoint 8's {expected}" in fault.reason


async def test_a_tampered_balance_is_found(attacked: LedgerFixture) -> None:
    """A balance row that the entries do not give is named, with both figures."""
    async with attacked.db.engine.begin() as conn:  # balances are derived state, not append-only
        await conn.execute(
            text(
                "UPDATE ledger_accounts SET balance = balance + 100"
                " WHERE ledger = :l AND account = :a"
            ),
            {"l": attacked.ledger, "a": "m-a"},
        )
    report = await _verify(attacked, fast=False)
    stored = await attacked.balance("m-a")
    expected = (
        f"balance of m-a is {stored[0]} (held 0) but the entries give {stored[0] - 100} (held 0)"
    )
    assert report.faults == [Fault(None, expected), Fault(None, "balances sum to 100, not 0")]


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
@pytest.mark.parametrize("statement", ["UPDATE", "DELETE"])
async def test_the_database_refuses_to_rewrite_history(
    attacked: LedgerFixture, table: str, statement: str
) -> None:
    """Without the attacker's bypass, the database refuses to change or remove history."""
    owner = "scope" if table == "signing_keys" else "ledger"
    target = sa_table(table, sa_column(owner))
    mine = target.c[owner] == attacked.ledger
    if statement == "UPDATE":
        sql: Executable = update(target).where(mine).values({owner: target.c[owner]})
    else:
        sql = delete(target).where(mine)
    with pytest.raises(DBAPIError, match="append-only"):
        async with attacked.db.engine.begin() as conn:
            await conn.execute(sql)
    assert (await _verify(attacked, fast=True)).ok


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
async def test_postgresql_refuses_truncate(postgresql_db: Database, table: str) -> None:
    """PostgreSQL refuses to truncate a history table."""
    with pytest.raises(DBAPIError, match="append-only"):
        async with postgresql_db.engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {table}"))
