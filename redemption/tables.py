"""Redemption's tables as SQLAlchemy Core objects, and the dialect's INSERT.

Conditional updates (stock, states) and inserts that may conflict are written in Core so
that what the database decides (a row matched or not, a row inserted or not) is the answer.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from redemption.models import LimitLock, Redemption, RefundRequest, Reward

rewards = cast(Table, Reward.__table__)  # type: ignore[attr-defined]
redemptions = cast(Table, Redemption.__table__)  # type: ignore[attr-defined]
limit_locks = cast(Table, LimitLock.__table__)  # type: ignore[attr-defined]
refunds = cast(Table, RefundRequest.__table__)  # type: ignore[attr-defined]


def dialect_insert(session: AsyncSession, table: Table) -> Any:
    """INSERT for the session's database, with ON CONFLICT support."""
    is_pg = session.get_bind().dialect.name == "postgresql"
    return pg_insert(table) if is_pg else sqlite_insert(table)
