"""The community's own hierarchy, its people and their roles.

Personal data (names, phone numbers, buildings, dates of birth) lives only here, in ordinary
tables that can be corrected and erased. The ledger sees a member only through `account`, a
keyed hash that is meaningless without the community's secret.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, LargeBinary
from sqlmodel import Field, SQLModel


class SubDistrict(SQLModel, table=True):
    """街道: the office that runs several communities."""

    __tablename__ = "sub_districts"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)


class Community(SQLModel, table=True):
    """社区: one ledger, one rule set, its own members, teams and shops."""

    __tablename__ = "communities"

    id: int | None = Field(default=None, primary_key=True)
    sub_district_id: int = Field(foreign_key="sub_districts.id", index=True)
    name: str = Field(max_length=100)
    ledger_id: str = Field(max_length=64, unique=True)
    # Keys the pseudonymous account ids of members; never leaves the server.
    pseudonym_secret: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    ledger_public: bool = False
    created_at: datetime


class Grid(SQLModel, table=True):
    """网格: a part of a community with its grid worker."""

    __tablename__ = "grids"

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="communities.id", index=True)
    name: str = Field(max_length=100)


class Building(SQLModel, table=True):
    """楼栋: where residents live."""

    __tablename__ = "buildings"

    id: int | None = Field(default=None, primary_key=True)
    grid_id: int = Field(foreign_key="grids.id", index=True)
    community_id: int = Field(foreign_key="communities.id", index=True)
    name: str = Field(max_length=100)


class Team(SQLModel, table=True):
    """服务队: a volunteer team of a community, led by one or more captains."""

    __tablename__ = "teams"

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="communities.id", index=True)
    name: str = Field(max_length=100)
    name_en: str = Field(default="", max_length=100)


class Member(SQLModel, table=True):
    """A person known to a community: resident, volunteer, captain, clerk or admin."""

    __tablename__ = "members"

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="communities.id", index=True)
    account: str = Field(max_length=64, unique=True)
    display_name: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=32, unique=True)
    username: str | None = Field(default=None, max_length=64, unique=True)
    password_hash: str | None = Field(default=None, max_length=200)
    setup_code_hash: str | None = Field(default=None, max_length=200)
    setup_expires_at: datetime | None = None
    building_id: int | None = Field(default=None, foreign_key="buildings.id", index=True)
    date_of_birth: date | None = None
    leaderboard_opt_out: bool = False
    active: bool = True
    erased_at: datetime | None = None
    created_at: datetime


class TeamMembership(SQLModel, table=True):
    """A member serving in a team."""

    __tablename__ = "team_memberships"

    team_id: int = Field(foreign_key="teams.id", primary_key=True)
    member_id: int = Field(foreign_key="members.id", primary_key=True, index=True)
    joined_at: datetime


class Shop(SQLModel, table=True):
    """A partner shop (or the community's points supermarket) where points are spent."""

    __tablename__ = "shops"

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="communities.id", index=True)
    name: str = Field(max_length=100)
    address: str = Field(default="", max_length=200)
    opening_hours: str = Field(default="", max_length=100)
    contact: str = Field(default="", max_length=100)
    account: str = Field(max_length=64, unique=True)
    active: bool = True


class RoleGrant(SQLModel, table=True):
    """A scoped role: admin or auditor of a community, captain of a team, clerk of a shop,
    or district admin of a sub-district. Revoked grants stay for the record."""

    __tablename__ = "role_grants"
    __table_args__ = (Index("ix_role_grants_member_active", "member_id", "revoked_at"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="members.id")
    role: str = Field(max_length=20)
    sub_district_id: int | None = Field(default=None, foreign_key="sub_districts.id")
    community_id: int | None = Field(default=None, foreign_key="communities.id")
    team_id: int | None = Field(default=None, foreign_key="teams.id")
    shop_id: int | None = Field(default=None, foreign_key="shops.id")
    granted_by: int | None = Field(default=None, foreign_key="members.id")
    granted_at: datetime
    revoked_at: datetime | None = None


class AuthSession(SQLModel, table=True):
    """A login: the id inside the session token, so logout can revoke it."""

    __tablename__ = "auth_sessions"

    id: str = Field(primary_key=True, max_length=64)
    member_id: int = Field(foreign_key="members.id", index=True)
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
