"""Members: a searchable list, new members with their one-time set-up code, corrections of
personal data, roles, and erasure after a confirmation step.

Personal data (name, phone, user name, building, date of birth) is for the community's
admins only; its auditors see ids, pseudonymous accounts, balances, teams and states. A
set-up code is shown once, on the page that answers the form that made it, and never stored
in clear.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.params import QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from admin import people
from api.access import Access, access
from api.deps import Context, Db, Me, Now
from api.routes.manage_members import MemberIn, MemberPatch, _check_birth_date
from api.web.admin_common import (
    BASE,
    PAGE,
    Done,
    PathId,
    Scope,
    admin_page,
    admin_scope,
    attempt,
    blank_none,
    form_of,
    invalid,
    parse,
    staff_scope,
)
from ledger import service as ledger_service
from ledger.errors import Refusal
from organisation import service as org
from organisation.models import Building, Member, RoleGrant, Shop, Team

PAGE_SIZE = 50
MAX_PAGE = 100_000
MAX_CHOICES = 500
Query = Annotated[str, QueryParameter(max_length=people.MAX_QUERY_CHARS)]
PageNumber = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)]
PERSONAL_FIELDS = ("display_name", "phone", "username", "building_id", "date_of_birth")


async def _choices(db: AsyncSession, scope: Scope) -> dict[str, Any]:
    """Buildings, teams and shops of the community, for selects and names."""
    return {
        "buildings": await org.page_in_community(
            db, Building, community_id=scope.id, after=None, limit=MAX_CHOICES
        ),
        "teams": await org.page_in_community(
            db, Team, community_id=scope.id, after=None, limit=MAX_CHOICES
        ),
        "shops": await org.page_in_community(
            db, Shop, community_id=scope.id, after=None, limit=MAX_CHOICES
        ),
    }


async def _list_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    scope: Scope,
    *,
    q: str = "",
    number: int = 1,
    refusal: Refusal | None = None,
    values: dict[str, str] | None = None,
) -> Template:
    found = await people.find_members(
        db,
        community=scope.community,
        query=q,
        personal=scope.can_edit,
        offset=(number - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    ids = [m.id or 0 for m, _ in found.members]
    return await admin_page(
        request,
        scope,
        "admin_members.html",
        section="members",
        found=found,
        team_ids=await org.team_ids_by_member(db, ids),
        q=q,
        number=number,
        pages=max(1, -(-found.total // PAGE_SIZE)),
        refusal=refusal,
        values=values,
        **await _choices(db, scope),
    )


@get(BASE + "/members", opt=access(Access.STAFF, **PAGE), include_in_schema=False)
async def members_page(
    request: Request[Any, Any, Any],
    community_id: PathId,
    db: Db,
    principal: Me,
    q: Query = "",
    page: PageNumber = 1,
) -> Template:
    """Members in id order, 50 a page; admins search names, phones and user names."""
    scope = await staff_scope(db, principal, community_id)
    return await _list_page(request, db, scope, q=q, number=page)


def _personal(fields: dict[str, str]) -> dict[str, Any]:
    """The personal data fields of a form; empty ones mean none."""
    values: dict[str, Any] = {"display_name": fields.get("display_name", "")}
    for name in PERSONAL_FIELDS[1:]:
        values[name] = blank_none(fields.get(name))
    return values


async def _code_page(
    request: Request[Any, Any, Any], scope: Scope, member: Member, code: str, created: bool
) -> Template:
    return await admin_page(
        request,
        scope,
        "admin_member_code.html",
        section="members",
        member=member,
        code=code,
        expires=scope.when(member.setup_expires_at),
        created=created,
    )


@post(BASE + "/members", opt=access(Access.ADMIN, **PAGE), include_in_schema=False)
async def create_member(
    request: Request[Any, Any, Any],
    community_id: PathId,
    db: Db,
    principal: Me,
    context: Context,
    now: Now,
) -> Template:
    """A new member with a ledger account; the answer shows the set-up code, once."""
    scope = await admin_scope(db, principal, community_id)
    fields = await form_of(request)

    async def create() -> tuple[Member, str | None]:
        data = parse(MemberIn, _personal(fields))
        _check_birth_date(data.date_of_birth, now)
        return await org.create_member(
            db,
            community=scope.community,
            display_name=data.display_name,
            phone=data.phone,
            username=data.username,
            building_id=data.building_id,
            date_of_birth=data.date_of_birth,
            now=now,
        )

    made = await attempt(db, create)
    if isinstance(made, Refusal):
        return await _list_page(request, db, scope, refusal=made, values=fields)
    member, code = made
    assert member.id is not None
    assert code is not None
    await context.sender.send(member_id=member.id, phone=member.phone, code=code)
    return await _code_page(request, scope, member, code, created=True)


async def _member_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    scope: Scope,
    member: Member,
    now: datetime,
    *,
    refusal: Refusal | None = None,
    values: dict[str, str] | None = None,
    done: str | None = None,
) -> Template:
    grants = await db.execute(
        select(RoleGrant)
        .where(RoleGrant.member_id == member.id, col(RoleGrant.revoked_at).is_(None))
        .order_by(col(RoleGrant.id))
    )
    balance = await ledger_service.balance(
        db, ledger=scope.community.ledger_id, account=member.account, now=now
    )
    return await admin_page(
        request,
        scope,
        "admin_member.html",
        section="members",
        member=member,
        grants=list(grants.scalars()),
        member_team_ids=await org.team_ids_of(db, member.id or 0),
        balance=balance,
        refusal=refusal,
        values=values,
        done=done,
        **await _choices(db, scope),
    )


@get(
    BASE + "/members/{member_id:int}",
    opt=access(Access.STAFF, **PAGE),
    include_in_schema=False,
)
async def member_page(
    request: Request[Any, Any, Any],
    community_id: PathId,
    member_id: PathId,
    db: Db,
    principal: Me,
    now: Now,
    done: Done = None,
) -> Template:
    """One member: balance, teams, roles, and (for admins) personal data to correct."""
    scope = await staff_scope(db, principal, community_id)
    member = await org.get_in_community(db, Member, member_id, scope.id)
    return await _member_page(request, db, scope, member, now, done=done)


async def _member_result(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    scope: Scope,
    member: Member,
    now: datetime,
    outcome: object,
    fields: dict[str, str],
    done: str,
) -> Template | Redirect:
    if isinstance(outcome, Refusal):
        # The savepoint's rollback expired what the refused call had changed.
        await db.refresh(member)
        return await _member_page(request, db, scope, member, now, refusal=outcome, values=fields)
    return Redirect(f"{scope.base}/members/{member.id}?done={done}", status_code=303)


@post(
    BASE + "/members/{member_id:int}",
    opt=access(Access.ADMIN, **PAGE),
    include_in_schema=False,
)
async def correct_member(
    request: Request[Any, Any, Any],
    community_id: PathId,
    member_id: PathId,
    db: Db,
    principal: Me,
    now: Now,
) -> Template | Redirect:
    """Correct a member's personal data (empty fields are cleared)."""
    scope = await admin_scope(db, principal, community_id)
    member = await org.get_in_community(db, Member, member_id, scope.id)
    fields = await form_of(request)

    async def correct() -> None:
        data = parse(MemberPatch, _personal(fields))
        _check_birth_date(data.date_of_birth, now)
        changes = {name: getattr(data, name) for name in org.CORRECTABLE_FIELDS}
        await org.correct_member(db, member=member, changes=changes)

    outcome = await attempt(db, correct)
    return await _member_result(request, db, scope, member, now, outcome, fields, "saved")


@post(
    BASE + "/members/{member_id:int}/setup-code",
    opt=access(Access.ADMIN, **PAGE),
    include_in_schema=False,
)
async def reissue_setup_code(
    request: Request[Any, Any, Any],
    community_id: PathId,
    member_id: PathId,
    db: Db,
    principal: Me,
    context: Context,
    now: Now,
) -> Template | Redirect:
    """A fresh one-time set-up code (also how a forgotten password is reset), shown once."""
    scope = await admin_scope(db, principal, community_id)
    member = await org.get_in_community(db, Member, member_id, scope.id)

    async def reissue() -> str:
        code, _ = await org.reissue_setup_code(db, member=member, now=now)
        return code

    outcome = await attempt(db, reissue)
    if isinstance(outcome, Refusal):
        return await _member_result(request, db, scope, member, now, outcome, {}, "")
    await context.sender.send(member_id=member_id, phone=member.phone, code=outcome)
    return await _code_page(request, scope, member, outcome, created=False)


def _grant_scope(choice: str, scope: Scope) -> tuple[str, int]:
    """The role and scope id a grant form's choice names: "admin", "auditor",
    "captain:<team id>" or "clerk:<shop id>"."""
    role, _, scope_text = choice.partition(":")
    if role in ("admin", "auditor") and not scope_text:
        return role, scope.id
    if role in ("captain", "clerk") and scope_text.isdigit() and len(scope_text) <= 10:
        return role, int(scope_text)
    raise invalid("role", "choose a role")


@post(
    BASE + "/members/{member_id:int}/grants",
    opt=access(Access.ADMIN, **PAGE),
    include_in_schema=False,
)
async def grant_role(
    request: Request[Any, Any, Any],
    community_id: PathId,
    member_id: PathId,
    db: Db,
    principal: Me,
    now: Now,
) -> Template | Redirect:
    """Give the member a role in the community: admin, auditor, captain or clerk."""
    scope = await admin_scope(db, principal, community_id)
    member = await org.get_in_community(db, Member, member_id, scope.id)
    fields = await form_of(request)

    async def grant() -> RoleGrant:
        role, scope_id = _grant_scope(fields.get("role", ""), scope)
        return await org.grant_role(
            db, member=member, role=role, scope_id=scope_id, granted_by=principal.member_id, now=now
        )

    outcome = await attempt(db, grant)
    return await _member_result(request, db, scope, member, now, outcome, fields, "granted")


@get(
    BASE + "/members/{member_id:int}/erase",
    opt=access(Access.ADMIN, **PAGE),
    include_in_schema=False,
)
async def erase_confirm(
    request: Request[Any, Any, Any],
    community_id: PathId,
    member_id: PathId,
    db: Db,
    principal: Me,
) -> Template:
    """The confirmation step before erasing a member's personal data."""
    scope = await admin_scope(db, principal, community_id)
    member = await org.get_in_community(db, Member, member_id, scope.id)
    return await admin_page(
        request, scope, "admin_member_erase.html", section="members", member=member
    )


@post(
    BASE + "/members/{member_id:int}/erase",
    opt=access(Access.ADMIN, **PAGE),
    include_in_schema=False,
)
async def erase_member(
    request: Request[Any, Any, Any],
    community_id: PathId,
    member_id: PathId,
    db: Db,
    principal: Me,
    now: Now,
) -> Template | Redirect:
    """Erase the member's personal data once the admin has ticked the confirmation; the
    ledger account and every entry stay, so the chain still verifies."""
    scope = await admin_scope(db, principal, community_id)
    member = await org.get_in_community(db, Member, member_id, scope.id)
    fields = await form_of(request)
    if fields.get("confirm") != "yes":
        return await admin_page(
            request,
            scope,
            "admin_member_erase.html",
            section="members",
            member=member,
            refusal=invalid("confirm", "tick the box to confirm"),
        )
    await org.erase_member(db, member=member, now=now)
    return Redirect(f"{scope.base}/members/{member_id}?done=erased", status_code=303)


ROUTES = [
    members_page,
    create_member,
    member_page,
    correct_member,
    reissue_setup_code,
    grant_role,
    erase_confirm,
    erase_member,
]
