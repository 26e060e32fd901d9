"""Use cases of the organisation: each takes the caller's session and never commits."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col, select

from ledger import service as ledger_service
from ledger.keys import KeyStore
from ledger.types import LEDGER_ID_PATTERN
from organisation import pseudonyms
from organisation.errors import AlreadyTaken, InvalidInput, NotFound
from organisation.models import (
    Building,
    Community,
    Grid,
    Member,
    RoleGrant,
    Shop,
    SubDistrict,
    Team,
    TeamMembership,
)
from organisation.passwords import hash_password, new_setup_code

SETUP_CODE_TTL = timedelta(days=7)
ROLES = ("district_admin", "admin", "auditor", "captain", "clerk")

Row = TypeVar("Row", bound=SQLModel)


async def get_in_community(
    session: AsyncSession, model: type[Row], object_id: int, community_id: int
) -> Row:
    """The object with `object_id` if it belongs to `community_id`; otherwise NotFound."""
    found = await session.get(model, object_id)
    if found is None or getattr(found, "community_id", None) != community_id:
        raise NotFound(object=model.__name__.lower(), id=object_id)
    return found


async def _flush_unique(session: AsyncSession) -> None:
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise AlreadyTaken() from exc


async def create_sub_district(session: AsyncSession, *, name: str) -> SubDistrict:
    row = SubDistrict(name=name)
    session.add(row)
    await session.flush()
    return row


async def create_community(
    session: AsyncSession,
    *,
    keystore: KeyStore,
    sub_district_id: int,
    name: str,
    ledger_id: str,
    ledger_public: bool,
    now: datetime,
) -> Community:
    """A community with its own ledger and the ledger's community accounts."""
    if await session.get(SubDistrict, sub_district_id) is None:
        raise NotFound(object="sub_district", id=sub_district_id)
    if LEDGER_ID_PATTERN.fullmatch(ledger_id) is None:
        raise InvalidInput("ledger_id: lowercase letters, digits and dashes", field="ledger_id")
    row = Community(
        sub_district_id=sub_district_id,
        name=name,
        ledger_id=ledger_id,
        pseudonym_secret=pseudonyms.new_secret(),
        ledger_public=ledger_public,
        created_at=now,
    )
    session.add(row)
    await _flush_unique(session)
    await ledger_service.open_ledger(session, keystore=keystore, ledger=ledger_id, now=now)
    for account in pseudonyms.COMMUNITY_ACCOUNTS:
        await ledger_service.open_account(
            session,
            ledger=ledger_id,
            account=account,
            allow_negative=account == pseudonyms.ISSUANCE_ACCOUNT,
        )
    return row


async def create_grid(session: AsyncSession, *, community_id: int, name: str) -> Grid:
    row = Grid(community_id=community_id, name=name)
    session.add(row)
    await session.flush()
    return row


async def create_building(
    session: AsyncSession, *, community_id: int, grid_id: int, name: str
) -> Building:
    await get_in_community(session, Grid, grid_id, community_id)
    row = Building(community_id=community_id, grid_id=grid_id, name=name)
    session.add(row)
    await session.flush()
    return row


async def create_team(
    session: AsyncSession, *, community_id: int, name: str, name_en: str = ""
) -> Team:
    row = Team(community_id=community_id, name=name, name_en=name_en)
    session.add(row)
    await session.flush()
    return row


async def create_member(
    session: AsyncSession,
    *,
    community: Community,
    display_name: str,
    phone: str | None,
    username: str | None,
    building_id: int | None,
    date_of_birth: date | None,
    now: datetime,
    with_setup_code: bool = True,
) -> tuple[Member, str | None]:
    """A new member with a ledger account and a one-time set-up code (returned in clear).

    Seeding scripts that set passwords themselves pass `with_setup_code=False`.
    """
    assert community.id is not None
    if building_id is not None:
        await get_in_community(session, Building, building_id, community.id)
    if phone is None and username is None:
        raise InvalidInput("a phone number or a user name is needed", field="username")
    code = new_setup_code() if with_setup_code else None
    member = Member(
        community_id=community.id,
        account=pseudonyms.placeholder_account(),
        display_name=display_name,
        phone=phone,
        username=username,
        building_id=building_id,
        date_of_birth=date_of_birth,
        setup_code_hash=hash_password(code) if code is not None else None,
        setup_expires_at=now + SETUP_CODE_TTL if code is not None else None,
        created_at=now,
    )
    session.add(member)
    await _flush_unique(session)
    assert member.id is not None
    member.account = pseudonyms.member_account(community.pseudonym_secret, member.id)
    await session.flush()
    await ledger_service.open_account(session, ledger=community.ledger_id, account=member.account)
    return member, code


async def erase_member(session: AsyncSession, *, member: Member, now: datetime) -> None:
    """Erase personal data; the pseudonymous account and the chain stay as they are."""
    member.display_name = None
    member.phone = None
    member.username = None
    member.password_hash = None
    member.setup_code_hash = None
    member.building_id = None
    member.date_of_birth = None
    member.active = False
    member.erased_at = now
    await session.flush()


async def add_to_team(session: AsyncSession, *, team: Team, member: Member, now: datetime) -> None:
    if team.community_id != member.community_id:
        raise NotFound(object="member", id=member.id or 0)
    assert team.id is not None
    assert member.id is not None
    if await session.get(TeamMembership, (team.id, member.id)) is None:
        session.add(TeamMembership(team_id=team.id, member_id=member.id, joined_at=now))
        await session.flush()


async def remove_from_team(session: AsyncSession, *, team: Team, member: Member) -> None:
    assert team.id is not None
    assert member.id is not None
    row = await session.get(TeamMembership, (team.id, member.id))
    if row is None:
        raise NotFound(object="team_membership", id=member.id)
    await session.delete(row)
    await session.flush()


async def team_ids_of(session: AsyncSession, member_id: int) -> list[int]:
    statement = select(TeamMembership.team_id).where(TeamMembership.member_id == member_id)
    return list((await session.execute(statement)).scalars())


async def create_shop(
    session: AsyncSession,
    *,
    community: Community,
    name: str,
    address: str,
    opening_hours: str,
    contact: str,
) -> Shop:
    """A partner shop with its ledger account."""
    assert community.id is not None
    shop = Shop(
        community_id=community.id,
        name=name,
        address=address,
        opening_hours=opening_hours,
        contact=contact,
        account=pseudonyms.placeholder_account(),
    )
    session.add(shop)
    await session.flush()
    assert shop.id is not None
    shop.account = pseudonyms.shop_account(shop.id)
    await session.flush()
    await ledger_service.open_account(session, ledger=community.ledger_id, account=shop.account)
    return shop


async def grant_role(
    session: AsyncSession,
    *,
    member: Member,
    role: str,
    scope_id: int,
    granted_by: int | None,
    now: datetime,
) -> RoleGrant:
    """Grant `role` over its scope: a sub-district, community, team or shop id."""
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}", field="role")
    grant = RoleGrant(member_id=member.id or 0, role=role, granted_by=granted_by, granted_at=now)
    if role == "district_admin":
        grant.sub_district_id = scope_id
    elif role in ("admin", "auditor"):
        if scope_id != member.community_id:
            raise NotFound(object="community", id=scope_id)
        grant.community_id = scope_id
    elif role == "captain":
        team = await get_in_community(session, Team, scope_id, member.community_id)
        grant.team_id, grant.community_id = team.id, team.community_id
    else:
        shop = await get_in_community(session, Shop, scope_id, member.community_id)
        grant.shop_id, grant.community_id = shop.id, shop.community_id
    session.add(grant)
    await session.flush()
    return grant


async def revoke_role(session: AsyncSession, *, grant: RoleGrant, now: datetime) -> None:
    if grant.revoked_at is None:
        grant.revoked_at = now
        await session.flush()


async def active_grants(session: AsyncSession, member_id: int) -> list[RoleGrant]:
    statement = select(RoleGrant).where(
        RoleGrant.member_id == member_id, col(RoleGrant.revoked_at).is_(None)
    )
    return list((await session.execute(statement)).scalars())
