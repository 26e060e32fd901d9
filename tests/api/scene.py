"""A world shared by the tests of one module, with logged-in clients and state snapshots.

Building a world and logging people in costs tenths of a second, so the management tests,
the role matrix and the ledger tests build one `Scene` per module and backend: the world
of tests/api/world.py plus a grid and a building in each community, a second sub-district,
a few ledger entries, one cached HTTP client per role, and helpers that create fresh
objects so that each test changes only what it created.

`async with scene.unchanged():` snapshots every organisation row of the scene's
communities (and their ledgers' sizes and balances) and fails if a refused call changed
any of them.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from api.app import CSRF_HEADER, create_app
from api.context import context_of
from ledger import service as ledger_service
from ledger.keys import KeyStore
from ledger.tables import accounts, heads
from ledger.types import Posting
from organisation import service as org
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
from organisation.notify import HandOverSender
from organisation.pseudonyms import ISSUANCE_ACCOUNT
from tests.api.world import PASSWORD_HASH, ROLES, World, build_world
from tests.conftest import FIXED_NOW, Database

BACKENDS = ("sqlite", "postgresql")
ALL_ROLES: tuple[str | None, ...] = (None, *ROLES)
"""Everyone the matrix asks: None is the anonymous caller."""


@dataclass
class RecordingSender(HandOverSender):
    """The set-up code sender of the tests: remembers what would have been sent."""

    codes: list[tuple[int, str | None, str]] = field(default_factory=list)

    async def send(self, *, member_id: int, phone: str | None, code: str) -> None:
        await super().send(member_id=member_id, phone=phone, code=code)
        self.codes.append((member_id, phone, code))


@dataclass
class Scene:
    """The world of one test module, with extra places, entries and cached clients."""

    world: World
    grid: Grid
    building: Building
    other_grid: Grid
    other_building: Building
    other_district: SubDistrict
    seqs: dict[str, int] = field(default_factory=dict)
    """The seq of the ledger entry crediting the resident and the captain of community A."""
    stack: AsyncExitStack = field(default_factory=AsyncExitStack)
    clients: dict[str | None, AsyncTestClient[Litestar]] = field(default_factory=dict)

    @property
    def db(self) -> Database:
        return self.world.db

    @property
    def sender(self) -> RecordingSender:
        assert isinstance(self.world.sender, RecordingSender)
        return self.world.sender

    @property
    def community_id(self) -> int:
        assert self.world.community.id is not None
        return self.world.community.id

    @property
    def other_id(self) -> int:
        assert self.world.other.id is not None
        return self.world.other.id

    @property
    def district_id(self) -> int:
        return self.world.community.sub_district_id

    def community_of(self, role: str | None) -> Community:
        """The community a role's person belongs to (A, or B for the other_ roles)."""
        return self.world.other if role and role.startswith("other_") else self.world.community

    async def client(self, role: str | None) -> AsyncTestClient[Litestar]:
        """The module's client for `role` (None: anonymous), logged in on first use."""
        if role not in self.clients:
            self.clients[role] = await self.stack.enter_async_context(self.world.client(role))
        return self.clients[role]

    @asynccontextmanager
    async def copy_of(self, role: str | None) -> AsyncIterator[AsyncTestClient[Litestar]]:
        """A second client sharing the login of `role`'s client but with its own cookie jar.

        For calls that change the client's cookies (logging in, completing a set-up) without
        the cost of another Argon2 log-in. It talks to an app of its own built from the same
        settings (so the session cookie stays valid): each test client runs its app on an
        event loop of its own, and database connections cannot cross loops.
        """
        original = await self.client(role)
        settings = context_of(original.app.state).settings
        app = create_app(settings, clock=self.world.clock, sender=self.world.sender)
        async with AsyncTestClient(app) as copy:
            copy.cookies = httpx.Cookies(original.cookies)
            copy.headers[CSRF_HEADER] = original.headers[CSRF_HEADER]
            yield copy

    async def close(self) -> None:
        await self.stack.aclose()

    async def read(self, model: type[Any], object_id: Any) -> Any:
        """A row as stored now, read in a fresh session."""
        async with self.db.sessions() as session:
            return await session.get(model, object_id)

    async def add_member(
        self, community: Community | None = None, *, setup_code: bool = False
    ) -> tuple[Member, str | None]:
        """A fresh member (of community A unless told) who can log in with the password."""
        home = community or self.world.community
        async with self.db.sessions.begin() as session:
            fresh = await session.get(Community, home.id)
            assert fresh is not None
            member, code = await org.create_member(
                session,
                community=fresh,
                display_name=f"新成员 {secrets.token_hex(3)}",
                phone=f"139{secrets.randbelow(10**8):08d}",
                username=f"m{secrets.token_hex(6)}",
                building_id=None,
                date_of_birth=None,
                now=FIXED_NOW,
                with_setup_code=setup_code,
            )
            member.password_hash = PASSWORD_HASH
        return member, code

    async def add_grant(self, member: Member, role: str, scope_id: int) -> RoleGrant:
        async with self.db.sessions.begin() as session:
            fresh = await session.get(Member, member.id)
            assert fresh is not None
            return await org.grant_role(
                session, member=fresh, role=role, scope_id=scope_id, granted_by=None, now=FIXED_NOW
            )

    async def add_to_team(self, team: Team, member: Member) -> None:
        async with self.db.sessions.begin() as session:
            fresh_team = await session.get(Team, team.id)
            fresh_member = await session.get(Member, member.id)
            assert fresh_team is not None
            assert fresh_member is not None
            await org.add_to_team(session, team=fresh_team, member=fresh_member, now=FIXED_NOW)

    async def credit(self, member: Member, amount_points: int) -> int:
        """Credit a member of community A with points; returns the entry's seq."""
        ledger = self.world.community.ledger_id
        posting = Posting(
            "test.credit",
            ISSUANCE_ACCOUNT,
            member.account,
            amount_points,
            f"test/{secrets.token_hex(8)}",
        )
        async with self.db.sessions.begin() as session:
            appended = await ledger_service.append(
                session,
                keystore=self.world.keystore,
                ledger=ledger,
                posting=posting,
                now=FIXED_NOW,
            )
        return appended.entry.seq

    @asynccontextmanager
    async def unchanged(self) -> AsyncIterator[None]:
        """Fail if anything of the scene's communities changed inside the block."""
        before = await self.snapshot()
        yield
        after = await self.snapshot()
        changed = [name for name in before if before[name] != after[name]]
        assert not changed, f"a refused call changed {changed}"

    async def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of the scene's two communities, their sub-districts and ledgers."""
        communities = [self.community_id, self.other_id]
        ledgers = [self.world.community.ledger_id, self.world.other.ledger_id]
        async with self.db.sessions() as session:
            found = {
                name: await _rows(session, model, col(model.community_id).in_(communities))
                for name, model in (
                    ("grids", Grid),
                    ("buildings", Building),
                    ("teams", Team),
                    ("members", Member),
                    ("shops", Shop),
                )
            }
            found["communities"] = await _rows(
                session, Community, col(Community.id).in_(communities)
            )
            districts = [self.district_id, self.other_district.id]
            found["sub_districts"] = await _rows(
                session, SubDistrict, col(SubDistrict.id).in_(districts)
            )
            member_ids = select(col(Member.id)).where(col(Member.community_id).in_(communities))
            found["role_grants"] = await _rows(
                session,
                RoleGrant,
                or_(
                    col(RoleGrant.community_id).in_(communities),
                    col(RoleGrant.member_id).in_(member_ids),
                ),
            )
            found["team_memberships"] = await _rows(
                session, TeamMembership, col(TeamMembership.member_id).in_(member_ids)
            )
            for table in (heads, accounts):
                statement = select(table).where(table.c.ledger.in_(ledgers))
                found[table.name] = sorted(
                    (tuple(r) for r in await session.execute(statement)), key=repr
                )
        return found


async def _rows(session: AsyncSession, model: type[SQLModel], where: Any) -> list[tuple[Any, ...]]:
    rows = (await session.execute(select(model).where(where))).scalars()
    # Sorted by repr: columns hold None beside values, which do not compare.
    return sorted((tuple(sorted(r.model_dump().items())) for r in rows), key=repr)


async def build_scene(db: Database, keystore: KeyStore) -> Scene:
    """A world with places, a second sub-district and a few ledger entries."""
    world = await build_world(db, keystore, FIXED_NOW)
    world.sender = RecordingSender()
    async with db.sessions.begin() as session:
        grids: list[Grid] = []
        buildings: list[Building] = []
        for community in (world.community, world.other):
            assert community.id is not None
            grid = await org.create_grid(session, community_id=community.id, name="一网格")
            assert grid.id is not None
            grids.append(grid)
            buildings.append(
                await org.create_building(
                    session, community_id=community.id, grid_id=grid.id, name="1 栋"
                )
            )
        other_district = await org.create_sub_district(session, name="别的街道")
    scene = Scene(world, grids[0], buildings[0], grids[1], buildings[1], other_district)
    for role in ("resident", "captain"):
        scene.seqs[role] = await scene.credit(world.people[role], 10)
    return scene


def module_scene_fixtures() -> tuple[Callable[..., Any], Callable[..., Any]]:
    """Module-scoped `scene_db` and `scene` fixtures, once per backend.

    In a test module: `scene_db, scene = module_scene_fixtures()`. The database is looked up
    by a synchronous fixture, as `db` does, because the session's async fixtures cannot be
    set up from inside a running event loop.
    """

    @pytest.fixture(scope="module", params=BACKENDS)
    def scene_db(request: pytest.FixtureRequest) -> Database:
        database: Database = request.getfixturevalue(f"{request.param}_db")
        return database

    @pytest.fixture(scope="module")
    async def scene(scene_db: Database, keystore: KeyStore) -> AsyncIterator[Scene]:
        built = await build_scene(scene_db, keystore)
        yield built
        await built.close()

    return scene_db, scene
