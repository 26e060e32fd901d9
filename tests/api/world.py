"""A small world for API tests: two communities, their people and roles, and clients.

`World.client(role)` gives an HTTP client logged in as that person, with the CSRF header
set, so tests read as "the captain approves", "the other community's admin tries".
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.app import CSRF_COOKIE, CSRF_HEADER, create_app
from config.settings import Settings
from ledger.keys import KeyStore
from organisation import service as org
from organisation.models import Community, Member, Shop, Team
from organisation.notify import HandOverSender
from organisation.passwords import hash_password
from tests.conftest import Database

PASSWORD = "correct horse battery"
# Hashed once: Argon2 is deliberately slow, and every world has eight people.
PASSWORD_HASH = hash_password(PASSWORD)
ROLES = (
    "resident",
    "captain",
    "clerk",
    "admin",
    "auditor",
    "other_admin",
    "other_resident",
    "district_admin",
)


@dataclass
class World:
    """Two communities of one sub-district, with one person per role."""

    db: Database
    keystore: KeyStore
    clock: Callable[[], datetime]
    community: Community
    other: Community
    team: Team
    other_team: Team
    shop: Shop
    other_shop: Shop
    people: dict[str, Member] = field(default_factory=dict)
    sender: HandOverSender = field(default_factory=HandOverSender)

    def app(self) -> Litestar:
        settings = Settings(
            database_url=self.db.url,
            key_dir=self.keystore.directory,
            session_secret=secrets.token_hex(32),
            login_attempts_per_minute=1000,
            run_jobs=False,
        )
        return create_app(settings, clock=self.clock, sender=self.sender)

    @asynccontextmanager
    async def client(self, role: str | None = None) -> AsyncIterator[AsyncTestClient[Litestar]]:
        """An HTTP client, anonymous or logged in as the person holding `role`."""
        async with AsyncTestClient(self.app()) as client:
            await client.get("/health")  # receives the CSRF cookie
            client.headers[CSRF_HEADER] = client.cookies.get(CSRF_COOKIE) or ""
            if role is not None:
                response = await client.post(
                    "/api/v1/auth/login",
                    json={"identifier": self.username(role), "password": PASSWORD},
                )
                assert response.status_code == 200, response.text
            yield client

    def username(self, role: str) -> str:
        name = self.people[role].username
        assert name is not None
        return name

    def id_of(self, role: str) -> int:
        member_id = self.people[role].id
        assert member_id is not None
        return member_id


async def _person(session: Any, community: Community, role: str, now: datetime, tag: str) -> Member:
    member, _ = await org.create_member(
        session,
        community=community,
        display_name=f"{role} {tag}",
        phone=None,
        username=f"{role}-{tag}",
        building_id=None,
        date_of_birth=None,
        now=now,
        with_setup_code=False,
    )
    member.password_hash = PASSWORD_HASH
    return member


async def build_world(db: Database, keystore: KeyStore, now: datetime) -> World:
    """Create the world's rows in one committed transaction."""
    tag = secrets.token_hex(4)
    async with db.sessions.begin() as session:
        district = await org.create_sub_district(session, name=f"街道 {tag}")
        assert district.id is not None
        communities = []
        for suffix in ("a", "b"):
            communities.append(
                await org.create_community(
                    session,
                    keystore=keystore,
                    sub_district_id=district.id,
                    name=f"社区 {suffix} {tag}",
                    ledger_id=f"c{suffix}-{tag}",
                    ledger_public=False,
                    now=now,
                )
            )
        community, other = communities
        assert community.id is not None
        assert other.id is not None
        team = await org.create_team(session, community_id=community.id, name="巡逻队")
        other_team = await org.create_team(session, community_id=other.id, name="文艺队")
        shop = await org.create_shop(
            session, community=community, name="超市", address="", opening_hours="", contact=""
        )
        other_shop = await org.create_shop(
            session, community=other, name="理发店", address="", opening_hours="", contact=""
        )
        world = World(
            db, keystore, lambda: now, community, other, team, other_team, shop, other_shop
        )
        for role in ROLES:
            home = other if role.startswith("other_") else community
            world.people[role] = await _person(session, home, role, now, tag)
        grants = {
            "captain": ("captain", team.id),
            "clerk": ("clerk", shop.id),
            "admin": ("admin", community.id),
            "auditor": ("auditor", community.id),
            "other_admin": ("admin", other.id),
            "district_admin": ("district_admin", district.id),
        }
        for role, (name, scope_id) in grants.items():
            assert scope_id is not None
            await org.grant_role(
                session,
                member=world.people[role],
                role=name,
                scope_id=scope_id,
                granted_by=None,
                now=now,
            )
        for role in ("resident", "captain"):
            await org.add_to_team(session, team=team, member=world.people[role], now=now)
    return world
