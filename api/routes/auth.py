"""Log in, log out, first password with a set-up code, password change."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, post
from litestar.datastructures import State
from litestar.params import JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import SESSION_KEY, Access, access, principal_of
from api.deps import Db, Me, Now
from organisation import auth
from organisation.models import Member

LOGIN_PATH = "/api/v1/auth/login"
SETUP_PATH = "/api/v1/auth/setup"
MAX_SECRET_CHARS = 200


class LoginIn(msgspec.Struct, forbid_unknown_fields=True):
    identifier: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_SECRET_CHARS)]


class SetupIn(msgspec.Struct, forbid_unknown_fields=True):
    identifier: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_SECRET_CHARS)]


class PasswordIn(msgspec.Struct, forbid_unknown_fields=True):
    old_password: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_SECRET_CHARS)]
    new_password: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_SECRET_CHARS)]


class SessionOut(msgspec.Struct):
    member_id: int
    community_id: int


async def _start_session(
    request: Request[Any, Any, State], db: AsyncSession, member: Member, now: datetime
) -> SessionOut:
    opened = await auth.open_session(db, member=member, now=now)
    request.set_session({SESSION_KEY: opened.id})
    assert member.id is not None
    return SessionOut(member_id=member.id, community_id=member.community_id)


@post(LOGIN_PATH, opt=access(Access.PUBLIC), tags=["auth"], status_code=200)
async def login(
    request: Request[Any, Any, State],
    data: JSONBody[LoginIn],
    db: Db,
    now: Now,
) -> SessionOut:
    """Log in with a user name or phone number and a password."""
    member = await auth.authenticate(db, identifier=data.identifier, password=data.password)
    return await _start_session(request, db, member, now)


@post(SETUP_PATH, opt=access(Access.PUBLIC), tags=["auth"], status_code=200)
async def complete_setup(
    request: Request[Any, Any, State],
    data: JSONBody[SetupIn],
    db: Db,
    now: Now,
) -> SessionOut:
    """Choose a first password with the one-time code from an admin, and log in."""
    member = await auth.complete_setup(
        db, identifier=data.identifier, code=data.code, password=data.password, now=now
    )
    return await _start_session(request, db, member, now)


@post("/api/v1/auth/logout", opt=access(Access.MEMBER), tags=["auth"], status_code=204)
async def logout(
    request: Request[Any, Any, State],
    db: Db,
    now: Now,
) -> None:
    """End this login; the session token stops working everywhere."""
    principal = await principal_of(request)
    if principal is not None:
        await auth.close_session(db, session_id=principal.session_id, now=now)
    request.clear_session()


@post("/api/v1/auth/password", opt=access(Access.MEMBER), tags=["auth"], status_code=204)
async def change_password(data: JSONBody[PasswordIn], db: Db, principal: Me) -> None:
    """Change one's own password (the old one is required)."""
    member = await db.get(Member, principal.member_id)
    assert member is not None
    await auth.change_password(
        db, member=member, old_password=data.old_password, new_password=data.new_password
    )


ROUTES = [login, complete_setup, logout, change_password]
