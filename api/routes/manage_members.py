"""Management of members: create with a one-time set-up code, read, correct, erase.

Personal data (name, phone number, user name, building, date of birth) is shown only to the
admins of the member's community; auditors see the pseudonymous account, status and teams.
Erasing personal data keeps the member's ledger account and every entry of the chain.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec
from litestar import delete, get, patch, post
from litestar.params import JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import Access, access, require_admin, require_staff
from api.deps import Context, Db, Me, Now
from api.pagination import Limit, Page
from api.routes.manage_common import After, Id, Name, PathId, next_cursor, sees_personal_data, utc
from organisation import service as org
from organisation.auth import Principal
from organisation.errors import InvalidInput
from organisation.models import Community, Member

TAGS = ["manage"]
MEMBERS_PATH = "/api/v1/communities/{community_id:int}/members"
MEMBER_PATH = MEMBERS_PATH + "/{member_id:int}"
# Disjoint alphabets, so a user name can never be taken for someone's phone number at login.
Phone = Annotated[str, msgspec.Meta(pattern=r"^\+?[0-9]{6,20}$")]
Username = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z][A-Za-z0-9_.-]{2,63}$")]


class PersonalData(msgspec.Struct):
    display_name: str | None
    phone: str | None
    username: str | None
    building_id: int | None
    date_of_birth: date | None
    has_password: bool
    setup_code_pending: bool


class MemberOut(msgspec.Struct):
    """A member; `personal` is null unless the caller administers the member's community."""

    id: int
    community_id: int
    account: str
    active: bool
    erased: bool
    created_at: datetime
    team_ids: list[int]
    personal: PersonalData | None


class MemberIn(msgspec.Struct, forbid_unknown_fields=True):
    """A new member: a phone number or a user name (or both) to log in with."""

    display_name: Name
    phone: Phone | None = None
    username: Username | None = None
    building_id: Id | None = None
    date_of_birth: date | None = None


class MemberPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Corrections of personal data; an absent field stays, null clears it."""

    display_name: Name | msgspec.UnsetType = msgspec.UNSET
    phone: Phone | msgspec.UnsetType | None = msgspec.UNSET
    username: Username | msgspec.UnsetType | None = msgspec.UNSET
    building_id: Id | msgspec.UnsetType | None = msgspec.UNSET
    date_of_birth: date | msgspec.UnsetType | None = msgspec.UNSET


class SetupCodeOut(msgspec.Struct):
    """A one-time set-up code, shown this once; the member chooses a password with it."""

    member_id: int
    setup_code: str
    setup_expires_at: datetime


class MemberCreatedOut(msgspec.Struct):
    member: MemberOut
    setup: SetupCodeOut


async def _members_out(
    db: AsyncSession, rows: list[Member], principal: Principal
) -> list[MemberOut]:
    teams = await org.team_ids_by_member(db, [r.id or 0 for r in rows])
    return [
        MemberOut(
            id=r.id or 0,
            community_id=r.community_id,
            account=r.account,
            active=r.active,
            erased=r.erased_at is not None,
            created_at=utc(r.created_at),
            team_ids=teams[r.id or 0],
            personal=_personal(r) if sees_personal_data(principal, r.community_id) else None,
        )
        for r in rows
    ]


def _personal(row: Member) -> PersonalData:
    return PersonalData(
        display_name=row.display_name,
        phone=row.phone,
        username=row.username,
        building_id=row.building_id,
        date_of_birth=row.date_of_birth,
        has_password=row.password_hash is not None,
        setup_code_pending=row.setup_code_hash is not None,
    )


def _check_birth_date(born: date | msgspec.UnsetType | None, now: datetime) -> None:
    if isinstance(born, date) and born > now.date():
        raise InvalidInput("date_of_birth: must not be in the future", field="date_of_birth")


async def _one_out(db: AsyncSession, row: Member, principal: Principal) -> MemberOut:
    [out] = await _members_out(db, [row], principal)
    return out


@get(MEMBERS_PATH, opt=access(Access.STAFF), tags=TAGS)
async def list_members(
    community_id: PathId, db: Db, principal: Me, after: After = None, limit: Limit = 50
) -> Page[MemberOut]:
    """The members of a community in id order, erased ones included."""
    require_staff(principal, community_id)
    rows = await org.page_in_community(
        db, Member, community_id=community_id, after=after, limit=limit
    )
    return Page(
        items=await _members_out(db, rows, principal),
        next=next_cursor([r.id or 0 for r in rows], limit),
    )


@post(MEMBERS_PATH, opt=access(Access.ADMIN), tags=TAGS)
async def create_member(
    community_id: PathId,
    data: JSONBody[MemberIn],
    db: Db,
    principal: Me,
    context: Context,
    now: Now,
) -> MemberCreatedOut:
    """A new member with a ledger account; the set-up code is in this answer only."""
    require_admin(principal, community_id)
    _check_birth_date(data.date_of_birth, now)
    community = await db.get(Community, community_id)
    assert community is not None, "admin grants reference existing communities"
    member, code = await org.create_member(
        db,
        community=community,
        display_name=data.display_name,
        phone=data.phone,
        username=data.username,
        building_id=data.building_id,
        date_of_birth=data.date_of_birth,
        now=now,
    )
    assert member.id is not None
    assert code is not None
    assert member.setup_expires_at is not None
    await context.sender.send(member_id=member.id, phone=member.phone, code=code)
    setup = SetupCodeOut(member.id, code, member.setup_expires_at)
    return MemberCreatedOut(member=await _one_out(db, member, principal), setup=setup)


@get(MEMBER_PATH, opt=access(Access.STAFF), tags=TAGS)
async def read_member(community_id: PathId, member_id: PathId, db: Db, principal: Me) -> MemberOut:
    """One member of a community (personal data for its admins only)."""
    require_staff(principal, community_id)
    row = await org.get_in_community(db, Member, member_id, community_id)
    return await _one_out(db, row, principal)


@patch(MEMBER_PATH, opt=access(Access.ADMIN), tags=TAGS)
async def correct_member(
    community_id: PathId,
    member_id: PathId,
    data: JSONBody[MemberPatch],
    db: Db,
    principal: Me,
    now: Now,
) -> MemberOut:
    """Correct a member's personal data (an absent field stays as it is; null clears it)."""
    require_admin(principal, community_id)
    _check_birth_date(data.date_of_birth, now)
    row = await org.get_in_community(db, Member, member_id, community_id)
    changes = {
        name: value
        for name in org.CORRECTABLE_FIELDS
        if (value := getattr(data, name)) is not msgspec.UNSET
    }
    await org.correct_member(db, member=row, changes=changes)
    return await _one_out(db, row, principal)


@delete(MEMBER_PATH + "/personal-data", opt=access(Access.ADMIN), tags=TAGS)
async def erase_member(
    community_id: PathId, member_id: PathId, db: Db, principal: Me, now: Now
) -> None:
    """Erase a member's personal data; their ledger account and the chain stay verifiable."""
    require_admin(principal, community_id)
    row = await org.get_in_community(db, Member, member_id, community_id)
    await org.erase_member(db, member=row, now=now)


@post(MEMBER_PATH + "/setup-code", opt=access(Access.ADMIN), tags=TAGS)
async def reissue_setup_code(
    community_id: PathId, member_id: PathId, db: Db, principal: Me, context: Context, now: Now
) -> SetupCodeOut:
    """A new one-time set-up code for a member (also how a forgotten password is reset)."""
    require_admin(principal, community_id)
    row = await org.get_in_community(db, Member, member_id, community_id)
    code, expires_at = await org.reissue_setup_code(db, member=row, now=now)
    await context.sender.send(member_id=member_id, phone=row.phone, code=code)
    return SetupCodeOut(member_id, code, expires_at)


ROUTES = [
    list_members,
    create_member,
    read_member,
    correct_member,
    erase_member,
    reissue_setup_code,
]
