"""Tables of the ledger. The schema changes only through Alembic migrations.

`ledger_entries`, `ledger_checkpoints`, `ledger_nodes` and `signing_keys` are append-only:
database triggers refuse UPDATE and DELETE (see the first migration). The other tables hold
state derived from them in the same transaction (heads, balances, pending holds), which
`verify` recomputes.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, Column, Index, LargeBinary
from sqlmodel import Field, SQLModel


class LedgerHead(SQLModel, table=True):
    """One row per ledger: the chain's tip. Appends lock this row."""

    __tablename__ = "ledger_heads"

    ledger: str = Field(primary_key=True, max_length=64)
    size: int = Field(sa_column=Column(BigInteger, nullable=False, default=0))
    head_hash: str = Field(max_length=64)
    last_ts: str = Field(max_length=27)
    key_id: str = Field(max_length=16)
    # The compact range of the Merkle tree (right-edge perfect subtrees), so appends never
    # read the node table.
    frontier: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class SigningKey(SQLModel, table=True):
    """A public key. Private halves live in files under the key directory, never here."""

    __tablename__ = "signing_keys"

    key_id: str = Field(primary_key=True, max_length=16)
    scope: str = Field(max_length=64, index=True)
    purpose: str = Field(max_length=16)
    public_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_ts: str = Field(max_length=27)
    # For ledger keys: the first seq this key signs; it signs until the next key's from_seq.
    from_seq: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class LedgerEntry(SQLModel, table=True):
    """A signed entry. `canonical` holds the exact bytes that were hashed and signed."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        Index("ix_ledger_entries_ref", "ledger", "ref", unique=True),
        Index("ix_ledger_entries_debit", "ledger", "debit", "seq"),
        Index("ix_ledger_entries_credit", "ledger", "credit", "seq"),
    )

    ledger: str = Field(primary_key=True, max_length=64)
    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    ref: str = Field(max_length=200)
    kind: str = Field(max_length=32)
    debit: str = Field(max_length=128)
    credit: str = Field(max_length=128)
    amount: int = Field(sa_column=Column(BigInteger, nullable=False))
    ts: str = Field(max_length=27)
    key_id: str = Field(max_length=16)
    hash: str = Field(max_length=64)
    sig: str = Field(max_length=128)
    canonical: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class LedgerAccount(SQLModel, table=True):
    """An account's balance, maintained in the same transaction as each entry."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (
        CheckConstraint("held >= 0", name="ck_ledger_accounts_held"),
        CheckConstraint("allow_negative OR balance >= held", name="ck_ledger_accounts_available"),
    )

    ledger: str = Field(primary_key=True, max_length=64)
    account: str = Field(primary_key=True, max_length=128)
    balance: int = Field(sa_column=Column(BigInteger, nullable=False, default=0))
    held: int = Field(sa_column=Column(BigInteger, nullable=False, default=0))
    allow_negative: bool = False


class LedgerHold(SQLModel, table=True):
    """A pending transfer and how it ended."""

    __tablename__ = "ledger_holds"
    __table_args__ = (Index("ix_ledger_holds_pending", "ledger", "debit", "state", "expires_ts"),)

    ledger: str = Field(primary_key=True, max_length=64)
    hold_seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    debit: str = Field(max_length=128)
    credit: str = Field(max_length=128)
    amount: int = Field(sa_column=Column(BigInteger, nullable=False))
    expires_ts: str = Field(max_length=27)
    state: str = Field(max_length=16, sa_column_kwargs={"server_default": "pending"})
    resolved_seq: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class LedgerCheckpoint(SQLModel, table=True):
    """A signed statement of the tree's size and root."""

    __tablename__ = "ledger_checkpoints"

    ledger: str = Field(primary_key=True, max_length=64)
    size: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    root: str = Field(max_length=64)
    ts: str = Field(max_length=27)
    key_id: str = Field(max_length=16)
    sig: str = Field(max_length=128)
    canonical: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class LedgerNode(SQLModel, table=True):
    """A perfect subtree hash: (level, index) covers leaves [index * 2**level, ... + 2**level)."""

    __tablename__ = "ledger_nodes"

    ledger: str = Field(primary_key=True, max_length=64)
    level: int = Field(primary_key=True)
    idx: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


__all__ = [
    "LedgerAccount",
    "LedgerCheckpoint",
    "LedgerEntry",
    "LedgerHead",
    "LedgerHold",
    "LedgerNode",
    "SigningKey",
]
