"""Who is calling: logins, session records and the principal with its scoped roles."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from organisation.errors import BadCredentials, SetupCodeInvalid
from organisation.models import AuthSession, Community, Member, RoleGrant
from organisation.passwords import hash_password, verify_password
from organisation.service import active_grants, team_ids_of

SESSION_TTL = timedelta(days=14)


@dataclass(frozen=True)
class Principal:
    """A logged-in member and what their grants allow."""

    member_id: int
    community_id: int
    account: str
    session_id: str
    admin_of: frozenset[int] = frozenset()
    auditor_of: frozenset[int] = frozenset()
    district_admin_of: frozenset[int] = frozenset()
    captain_of: frozenset[int] = frozenset()
    clerk_of: frozenset[int] = frozenset()
    team_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def roles(self) -> frozenset[str]:
        """The role names this principal holds anywhere."""
        held = {"member"}
        for name, scopes in (
            ("admin", self.admin_of),
            ("auditor", self.auditor_of),
            ("district_admin", self.district_admin_of),
            ("captain", self.captain_of),
            ("clerk", self.clerk_of),
        ):
            if scopes:
                held.add(name)
        return frozenset(held)

    def can_read_community(self, community_id: int) -> bool:
        """Admins and auditors read everything of their community."""
        return community_id in self.admin_of or community_id in self.auditor_of


def _as_utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored moment is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def find_login(session: AsyncSession, identifier: str) -> Member | None:
    """The active member whose user name or phone number is `identifier`."""
    statement = select(Member).where(
        or_(col(Member.username) == identifier, col(Member.phone) == identifier),
        col(Member.active).is_(True),
    )
    return (await session.execute(statement)).scalars().first()


async def authenticate(session: AsyncSession, *, identifier: str, password: str) -> Member:
    """The member for these credentials, or BadCredentials (same for every failure)."""
    member = await find_login(session, identifier)
    stored = member.password_hash if member is not None else None
    if not verify_password(stored, password) or member is None:
        raise BadCredentials()
    return member


async def complete_setup(
    session: AsyncSession, *, identifier: str, code: str, password: str, now: datetime
) -> Member:
    """Set the first password with the one-time code an admin handed over."""
    member = await find_login(session, identifier)
    stored = member.setup_code_hash if member is not None else None
    fresh = member is not None and member.setup_expires_at is not None
    if member is None or not verify_password(stored, code) or not fresh:
        raise SetupCodeInvalid()
    assert member.setup_expires_at is not None
    if _as_utc(member.setup_expires_at) <= now:
        raise SetupCodeInvalid()
    member.password_hash = hash_password(password)
    member.setup_code_hash = None
    member.setup_expires_at = None
    await session.flush()
    return member


async def change_password(
    session: AsyncSession, *, member: Member, old_password: str, new_password: str
) -> None:
    if not verify_password(member.password_hash, old_password):
        raise BadCredentials(field="old_password")
    member.password_hash = hash_password(new_password)
    await session.flush()


async def open_session(session: AsyncSession, *, member: Member, now: datetime) -> AuthSession:
    row = AuthSession(
        id=secrets.token_urlsafe(24),
        member_id=member.id or 0,
        created_at=now,
        expires_at=now + SESSION_TTL,
    )
    session.add(row)
    await session.flush()
    return row


async def close_session(session: AsyncSession, *, session_id: str, now: datetime) -> None:
    row = await session.get(AuthSession, session_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = now
        await session.flush()


def _scopes(grants: list[RoleGrant], role: str, attribute: str) -> frozenset[int]:
    return frozenset(
        value for g in grants if g.role == role and (value := getattr(g, attribute)) is not None
    )


async def load_principal(
    session: AsyncSession, *, session_id: str, now: datetime
) -> Principal | None:
    """The principal of a live session, or None if it is unknown, revoked or expired."""
    row = await session.get(AuthSession, session_id)
    if row is None or row.revoked_at is not None or _as_utc(row.expires_at) <= now:
        return None
    member = await session.get(Member, row.member_id)
    if member is None or not member.active or member.id is None:
        return None
    grants = await active_grants(session, member.id)
    district_admin_of = _scopes(grants, "district_admin", "sub_district_id")
    admin_of = _scopes(grants, "admin", "community_id")
    if district_admin_of:
        # A district admin administers every community of the sub-district.
        statement = select(Community.id).where(
            col(Community.sub_district_id).in_(sorted(district_admin_of))
        )
        admin_of |= frozenset(i for i in (await session.execute(statement)).scalars() if i)
    return Principal(
        member_id=member.id,
        community_id=member.community_id,
        account=member.account,
        session_id=session_id,
        admin_of=admin_of,
        auditor_of=_scopes(grants, "auditor", "community_id"),
        district_admin_of=district_admin_of,
        captain_of=_scopes(grants, "captain", "team_id"),
        clerk_of=_scopes(grants, "clerk", "shop_id"),
        team_ids=frozenset(await team_ids_of(session, member.id)),
    )
