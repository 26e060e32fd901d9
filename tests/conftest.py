"""Shared fixtures: a migrated SQLite database and a migrated PostgreSQL database.

Tests that take `db` run once on each backend. PostgreSQL comes from
`JIFEN_TEST_DATABASE_URL` (default: the local server's `test` database); a scratch database
is created for the run and dropped afterwards. When no PostgreSQL is reachable those runs
skip with a message, unless `JIFEN_TEST_REQUIRE_POSTGRES=1` (as in CI), where they fail.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from config.database import make_engine, make_sessionmaker
from ledger.keys import KeyStore
from migrations.runner import upgrade

DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
PG_URL = os.environ.get("JIFEN_TEST_DATABASE_URL", DEFAULT_PG_URL)
REQUIRE_POSTGRES = os.environ.get("JIFEN_TEST_REQUIRE_POSTGRES") == "1"
FIXED_NOW = datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC)


@dataclass
class Database:
    """A migrated database and how to reach it."""

    backend: str
    url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _create_scratch_pg() -> str:
    """Create an empty database next to PG_URL's and return its SQLAlchemy URL."""
    name = f"jifen_test_{secrets.token_hex(4)}"
    connection = await asyncpg.connect(_asyncpg_dsn(PG_URL), timeout=5)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


async def _drop_scratch_pg(url: str) -> None:
    name = make_url(url).database
    connection = await asyncpg.connect(_asyncpg_dsn(PG_URL), timeout=5)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture(scope="session")
async def sqlite_db(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Database]:
    """A migrated SQLite file shared by the run; tests isolate by using fresh ledger ids."""
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('sqlite') / 'jifen.sqlite3'}"
    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url)
    yield Database("sqlite", url, engine, make_sessionmaker(engine))
    await engine.dispose()


@pytest.fixture(scope="session")
async def postgresql_db() -> AsyncIterator[Database]:
    """A migrated scratch PostgreSQL database shared by the run."""
    try:
        url = await _create_scratch_pg()
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        message = f"PostgreSQL at {PG_URL} is not reachable ({exc!r})"
        if REQUIRE_POSTGRES:
            pytest.fail(message + " and JIFEN_TEST_REQUIRE_POSTGRES=1")
        pytest.skip(message + "; set JIFEN_TEST_DATABASE_URL to run these tests")
    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url, pool_size=40)
    yield Database("postgresql", url, engine, make_sessionmaker(engine))
    await engine.dispose()
    await _drop_scratch_pg(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """The name of the backend this test runs on."""
    return str(request.param)


@pytest.fixture
def db(backend: str, request: pytest.FixtureRequest) -> Database:
    """The migrated database of the current backend."""
    database: Database = request.getfixturevalue(f"{backend}_db")
    return database


@pytest.fixture(scope="session")
def keystore(tmp_path_factory: pytest.TempPathFactory) -> KeyStore:
    """Private keys for the run, in a temporary directory."""
    return KeyStore(tmp_path_factory.mktemp("keys"))


@pytest.fixture
def ledger_id() -> str:
    """A ledger id no other test uses."""
    return f"t-{secrets.token_hex(6)}"


@pytest.fixture
def now() -> datetime:
    """A fixed moment; tests pass time in explicitly and never sleep."""
    return FIXED_NOW
