"""Finding members of a community: a page of them, by name, phone, user name or account.

Only a community's admins may search personal data; everyone else (its auditors) finds
members by id or pseudonymous account only, so a search never reveals whether a phone
number or a name is on record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from ledger.models import LedgerAccount
from organisation.models import Community, Member

MAX_QUERY_CHARS = 64


@dataclass(frozen=True)
class Found:
    """One page of members (id order) with each one's balance, and how many match."""

    members: list[tuple[Member, int]]
    total: int


def _matching(query: str, personal: bool) -> Any:
    text = query.strip()[:MAX_QUERY_CHARS]
    wanted = [col(Member.account) == text]
    digits = text.removeprefix("#")
    if digits.isdigit() and len(digits) <= 9:
        wanted.append(col(Member.id) == int(digits))
    if personal:
        lowered = text.lower()
        wanted += [
            func.lower(col(Member.display_name)).contains(lowered, autoescape=True),
            col(Member.phone).contains(text, autoescape=True),
            func.lower(col(Member.username)).contains(lowered, autoescape=True),
        ]
    return or_(*wanted)


async def find_members(
    session: AsyncSession,
    *,
    community: Community,
    query: str,
    personal: bool,
    offset: int,
    limit: int,
) -> Found:
    """Members of the community matching `query` (all when it is blank), in id order."""
    where: list[Any] = [Member.community_id == community.id]
    if query.strip():
        where.append(_matching(query, personal))
    total = await session.scalar(select(func.count(col(Member.id))).where(*where))
    statement = (
        select(Member, func.coalesce(col(LedgerAccount.balance), 0))
        .outerjoin(
            LedgerAccount,
            (col(LedgerAccount.account) == Member.account)
            & (col(LedgerAccount.ledger) == community.ledger_id),
        )
        .where(*where)
        .order_by(col(Member.id))
        .offset(offset)
        .limit(limit)
    )
    rows = [(member, int(balance)) for member, balance in await session.execute(statement)]
    return Found(members=rows, total=int(total or 0))
