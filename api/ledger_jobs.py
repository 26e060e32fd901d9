"""Periodic ledger work: sign a checkpoint of every ledger that grew."""

from __future__ import annotations

from sqlalchemy import or_, select

from api.context import AppContext
from ledger import proofs
from ledger.tables import checkpoints, heads


async def issue_due_checkpoints(context: AppContext) -> int:
    """Sign a checkpoint for each ledger whose size passed its latest checkpoint."""
    latest = (
        select(checkpoints.c.size)
        .where(checkpoints.c.ledger == heads.c.ledger)
        .order_by(checkpoints.c.size.desc())
        .limit(1)
        .scalar_subquery()
    )
    statement = select(heads.c.ledger).where(
        heads.c.size > 0, or_(latest.is_(None), heads.c.size > latest)
    )
    async with context.sessions() as session:
        grown = list((await session.execute(statement)).scalars())
    for ledger in grown:
        async with context.sessions.begin() as session:
            await proofs.issue_checkpoint(
                session, keystore=context.keystore, ledger=ledger, now=context.clock()
            )
    return len(grown)
