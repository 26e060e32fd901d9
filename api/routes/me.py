"""A member's own profile, balance and history."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import get, patch
from litestar.params import JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import Access, access
from api.deps import Context, Db, Me
from api.pagination import Limit, Page
from ledger import service
from organisation.auth import Principal
from organisation.models import Community, Member


class ProfileOut(msgspec.Struct):
    member_id: int
    community_id: int
    account: str
    display_name: str | None
    phone: str | None
    username: str | None
    building_id: int | None
    date_of_birth: date | None
    leaderboard_opt_out: bool
    roles: list[str]
    team_ids: list[int]


class ProfileIn(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """What a member may change about themselves; everything else is server-owned."""

    display_name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] | None = None
    leaderboard_opt_out: bool | None = None


class BalanceOut(msgspec.Struct):
    balance_points: int
    held_points: int
    available_points: int


async def _me(db: AsyncSession, principal: Principal) -> tuple[Member, Community]:
    member = await db.get(Member, principal.member_id)
    assert member is not None
    community = await db.get(Community, member.community_id)
    assert community is not None
    return member, community


def _profile(member: Member, principal: Principal) -> ProfileOut:
    return ProfileOut(
        member_id=principal.member_id,
        community_id=member.community_id,
        account=member.account,
        display_name=member.display_name,
        phone=member.phone,
        username=member.username,
        building_id=member.building_id,
        date_of_birth=member.date_of_birth,
        leaderboard_opt_out=member.leaderboard_opt_out,
        roles=sorted(principal.roles),
        team_ids=sorted(principal.team_ids),
    )


@get("/api/v1/me", opt=access(Access.MEMBER), tags=["me"])
async def profile(db: Db, principal: Me) -> ProfileOut:
    """Who I am, my roles and my teams."""
    member, _ = await _me(db, principal)
    return _profile(member, principal)


@patch("/api/v1/me", opt=access(Access.MEMBER), tags=["me"])
async def update_profile(data: JSONBody[ProfileIn], db: Db, principal: Me) -> ProfileOut:
    """Correct my display name or leave public leaderboards."""
    member, _ = await _me(db, principal)
    if data.display_name is not None:
        member.display_name = data.display_name
    if data.leaderboard_opt_out is not None:
        member.leaderboard_opt_out = data.leaderboard_opt_out
    await db.flush()
    return _profile(member, principal)


@get("/api/v1/me/balance", opt=access(Access.MEMBER), tags=["me"])
async def balance(db: Db, principal: Me, context: Context) -> BalanceOut:
    """My points: balance, held by pending redemptions, and available."""
    member, community = await _me(db, principal)
    found = await service.balance(
        db, ledger=community.ledger_id, account=member.account, now=context.clock()
    )
    return BalanceOut(found.balance_points, found.held_points, found.available_points)


@get("/api/v1/me/history", opt=access(Access.MEMBER), tags=["me"])
async def history(
    db: Db,
    principal: Me,
    before: Annotated[int | None, QueryParameter(ge=1, le=2**53 - 1)] = None,
    limit: Limit = 50,
) -> Page[dict[str, Any]]:
    """My ledger entries, newest first; pass `next` as `before` for the next page."""
    member, community = await _me(db, principal)
    found = await service.account_entries(
        db, ledger=community.ledger_id, account=member.account, before_seq=before, limit=limit
    )
    following = found[-1].seq if len(found) == limit else None
    return Page(items=[e.public() for e in found], next=following)


ROUTES = [profile, update_profile, balance, history]
