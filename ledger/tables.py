"""The ledger's tables as SQLAlchemy Core objects, for statements built once and reused."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table

from ledger.models import (
    LedgerAccount,
    LedgerCheckpoint,
    LedgerEntry,
    LedgerHead,
    LedgerHold,
    LedgerNode,
    SigningKey,
)

heads = cast(Table, LedgerHead.__table__)  # type: ignore[attr-defined]
entries = cast(Table, LedgerEntry.__table__)  # type: ignore[attr-defined]
accounts = cast(Table, LedgerAccount.__table__)  # type: ignore[attr-defined]
holds = cast(Table, LedgerHold.__table__)  # type: ignore[attr-defined]
nodes = cast(Table, LedgerNode.__table__)  # type: ignore[attr-defined]
checkpoints = cast(Table, LedgerCheckpoint.__table__)  # type: ignore[attr-defined]
signing_keys = cast(Table, SigningKey.__table__)  # type: ignore[attr-defined]
