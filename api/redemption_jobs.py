"""Periodic redemption work: expire overdue holds, and post points expiry where it is on.

Both are safe in several processes at once: the ledger serialises each community's chain,
a hold expires once (`hold/{seq}/expire`) and an expiry posts once per member and period
(`expiry/{account}/{period}`).
"""

from __future__ import annotations

from sqlmodel import col, select

from api.context import AppContext
from organisation.models import Community
from redemption import expiry, holds
from redemption.models import CommunityRedemptionSettings

HOLD_EXPIRY_INTERVAL_SECONDS = 15.0
POINTS_EXPIRY_INTERVAL_SECONDS = 3600.0


async def expire_overdue_holds(context: AppContext) -> int:
    """Expire every community's overdue holds and return their reserved stock."""
    async with context.sessions() as session:
        communities = list((await session.execute(select(Community))).scalars())
    released = 0
    for community in communities:
        async with context.sessions.begin() as session:
            released += await holds.expire_holds(
                session, keystore=context.keystore, community=community, now=context.clock()
            )
    return released


async def expire_points(context: AppContext) -> int:
    """Post the points expiry due in every community that has it switched on."""
    enabled = select(CommunityRedemptionSettings.community_id).where(
        col(CommunityRedemptionSettings.expiry_enabled).is_(True)
    )
    async with context.sessions() as session:
        community_ids = list((await session.execute(enabled)).scalars())
    posted = 0
    for community_id in community_ids:
        async with context.sessions.begin() as session:
            community = await session.get(Community, community_id)
            policy = await session.get(CommunityRedemptionSettings, community_id)
            assert community is not None
            assert policy is not None
            run = await expiry.expire_points(
                session,
                keystore=context.keystore,
                community=community,
                policy=policy,
                now=context.clock(),
            )
            posted += run.posted
    return posted
