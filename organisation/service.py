"""Use cases of the organisation: each takes the caller's session and never commits."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col, select

from ledger import service as ledger_service
from ledger.keys import KeyStore
from ledger.types import LEDGER_ID_PATTERN
from organisation import pseudonyms
from organisation.errors import (
    AlreadyGranted,
    AlreadyTaken,
    InvalidInput,
    MemberErased,
    NotFound,
)
from organisation.models import (
    AuthSession,
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


async def _flush_unique(session: AsyncSession, taken: AlreadyTaken | None = None) -> None:
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise (taken or AlreadyTaken()) from exc


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
    taken = AlreadyTaken(
        "That ledger id is already in use.", message_zh="该账本编号已被使用。", field="ledger_id"
    )
    await _flush_unique(session, taken)
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
    """Erase personal data; the pseudonymous account and the chain stay as they are.

    The member's roles are revoked (the grants stay for the record), their team memberships
    end and their logins stop working. Erasing twice changes nothing the second time.
    """
    if member.erased_at is not None:
        return
    assert member.id is not None
    await session.execute(
        update(RoleGrant)
        .where(col(RoleGrant.member_id) == member.id, col(RoleGrant.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    await session.execute(
        update(AuthSession)
        .where(col(AuthSession.member_id) == member.id, col(AuthSession.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    memberships = select(TeamMembership).where(TeamMembership.member_id == member.id)
    for row in (await session.execute(memberships)).scalars():
        await session.delete(row)
    member.display_name = None
    member.phone = None
    member.username = None
    member.password_hash = None
    member.setup_code_hash = None
    member.building_id = None
    member.date_of_birth = None
    member.setup_expires_at = None
    member.active = False
    member.erased_at = now
    await session.flush()


def require_not_erased(member: Member) -> None:
    """Refuse to change anything about a member whose personal data was erased."""
    if member.erased_at is not None:
        raise MemberErased(member=member.id or 0)


# Fields an admin may correct; everything else about a member is server-owned.
CORRECTABLE_FIELDS = ("display_name", "phone", "username", "building_id", "date_of_birth")


async def correct_member(
    session: AsyncSession, *, member: Member, changes: Mapping[str, Any]
) -> None:
    """Correct a member's personal data; a member keeps a phone number or a user name."""
    require_not_erased(member)
    unknown = set(changes) - set(CORRECTABLE_FIELDS)
    assert not unknown, f"not correctable: {sorted(unknown)}"
    building_id = changes.get("building_id")
    if building_id is not None:
        await get_in_community(session, Building, building_id, member.community_id)
    phone = changes.get("phone", member.phone)
    username = changes.get("username", member.username)
    if phone is None and username is None:
        raise InvalidInput("a phone number or a user name is needed", field="username")
    for name, value in changes.items():
        setattr(member, name, value)
    await _flush_unique(session)


async def reissue_setup_code(
    session: AsyncSession, *, member: Member, now: datetime
) -> tuple[str, datetime]:
    """A fresh one-time set-up code (in clear) replacing any earlier one, and its expiry.

    Completing it sets a new password, so this is also how an admin resets a forgotten one.
    """
    require_not_erased(member)
    code = new_setup_code()
    member.setup_code_hash = hash_password(code)
    member.setup_expires_at = now + SETUP_CODE_TTL
    await session.flush()
    return code, member.setup_expires_at


async def add_to_team(session: AsyncSession, *, team: Team, member: Member, now: datetime) -> None:
    """Add `member` to `team` of the same community; nothing if already in it."""
    if team.community_id != member.community_id:
        raise NotFound(object="member", id=member.id or 0)
    require_not_erased(member)
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
    require_not_erased(member)
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
    for held in await active_grants(session, member.id or 0):
        same_scope = (held.sub_district_id, held.community_id, held.team_id, held.shop_id) == (
            grant.sub_district_id,
            grant.community_id,
            grant.team_id,
            grant.shop_id,
        )
        if held.role == role and same_scope:
            raise AlreadyGranted(role=role, grant=held.id or 0)
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


async def page_in_community(
    session: AsyncSession, model: type[Row], *, community_id: int, after: int | None, limit: int
) -> list[Row]:
    """Rows of `model` in a community in id order, with id > `after`, at most `limit`."""
    ident = col(getattr(model, "id"))  # noqa: B009 (Row is any table with an id column)
    statement = select(model).where(col(getattr(model, "community_id")) == community_id)  # noqa: B009 (as above)
    if after is not None:
        statement = statement.where(ident > after)
    statement = statement.order_by(ident).limit(limit)
    return list((await session.execute(statement)).scalars())


async def grants_in_community(
    session: AsyncSession,
    *,
    community_id: int,
    member_id: int | None,
    role: str | None,
    include_revoked: bool,
    after: int | None,
    limit: int,
) -> list[RoleGrant]:
    """Role grants scoped to a community (admin, auditor, captain, clerk), in id order."""
    statement = select(RoleGrant).where(RoleGrant.community_id == community_id)
    if member_id is not None:
        statement = statement.where(RoleGrant.member_id == member_id)
    if role is not None:
        statement = statement.where(RoleGrant.role == role)
    if not include_revoked:
        statement = statement.where(col(RoleGrant.revoked_at).is_(None))
    if after is not None:
        statement = statement.where(col(RoleGrant.id) > after)
    statement = statement.order_by(col(RoleGrant.id)).limit(limit)
    return list((await session.execute(statement)).scalars())


async def role_holders(
    session: AsyncSession, *, role: str, scope_ids: list[int]
) -> dict[int, list[int]]:
    """Active captains by team id, or clerks by shop id: scope id -> member ids."""
    assert role in ("captain", "clerk")
    scope = col(RoleGrant.team_id) if role == "captain" else col(RoleGrant.shop_id)
    statement = (
        select(scope, RoleGrant.member_id)
        .where(RoleGrant.role == role, col(RoleGrant.revoked_at).is_(None), scope.in_(scope_ids))
        .order_by(col(RoleGrant.member_id))
    )
    found: dict[int, list[int]] = {i: [] for i in scope_ids}
    for scope_id, member_id in await session.execute(statement):
        if scope_id is not None:  # always set for these roles; the column is nullable
            found[scope_id].append(member_id)
    return found


async def team_members(
    session: AsyncSession, *, team_id: int, after: int | None, limit: int
) -> list[TeamMembership]:
    """Memberships of a team in member id order, with member id > `after`."""
    statement = select(TeamMembership).where(TeamMembership.team_id == team_id)
    if after is not None:
        statement = statement.where(col(TeamMembership.member_id) > after)
    statement = statement.order_by(col(TeamMembership.member_id)).limit(limit)
    return list((await session.execute(statement)).scalars())


async def team_ids_by_member(session: AsyncSession, member_ids: list[int]) -> dict[int, list[int]]:
    """The teams of each of `member_ids`: member id -> team ids in id order."""
    statement = (
        select(TeamMembership.member_id, TeamMembership.team_id)
        .where(col(TeamMembership.member_id).in_(member_ids))
        .order_by(col(TeamMembership.team_id))
    )
    found: dict[int, list[int]] = {i: [] for i in member_ids}
    for member_id, team_id in await session.execute(statement):
        found[member_id].append(team_id)
    return found
