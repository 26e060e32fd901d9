"""Headline numbers of a community for its admins' dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import BigInteger, cast, func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from checkin.models import APPROVED, Checkin
from ledger.canonical import format_ts
from ledger.models import LedgerAccount, LedgerHold
from organisation.models import Community, Member


@dataclass(frozen=True)
class Headline:
    """Members on record (not erased), distinct volunteers with an approved check-in dated
    this month, points in circulation (the sum of member balances, held points included)
    and points held now by pending redemptions that have not run out."""

    members: int
    volunteers_this_month: int
    circulation_points: int
    held_points: int


async def headline(
    session: AsyncSession, *, community: Community, month_start: date, now: datetime
) -> Headline:
    """The numbers at the top of the dashboard; `month_start` is the 1st on the community's
    calendar."""
    members = await session.scalar(
        select(func.count(col(Member.id))).where(
            Member.community_id == community.id, col(Member.erased_at).is_(None)
        )
    )
    volunteers = await session.scalar(
        select(func.count(func.distinct(col(Checkin.member_id)))).where(
            Checkin.community_id == community.id,
            Checkin.state == APPROVED,
            col(Checkin.local_date) >= month_start,
        )
    )
    member_accounts = select(Member.account).where(Member.community_id == community.id)
    circulation = await session.scalar(
        select(cast(func.coalesce(func.sum(LedgerAccount.balance), 0), BigInteger)).where(
            LedgerAccount.ledger == community.ledger_id,
            col(LedgerAccount.account).in_(member_accounts),
        )
    )
    held = await session.scalar(
        select(cast(func.coalesce(func.sum(LedgerHold.amount), 0), BigInteger)).where(
            LedgerHold.ledger == community.ledger_id,
            LedgerHold.state == "pending",
            col(LedgerHold.expires_ts) > format_ts(now),
            col(LedgerHold.debit).in_(member_accounts),
        )
    )
    return Headline(
        members=int(members or 0),
        volunteers_this_month=int(volunteers or 0),
        circulation_points=int(circulation or 0),
        held_points=int(held or 0),
    )
