"""Engine construction for the two supported databases.

SQLite is the embedded default; PostgreSQL through asyncpg is the production database. On
SQLite every transaction starts with BEGIN IMMEDIATE so that a writer takes the database lock
before it reads the chain head (SQLite's deferred transactions would otherwise fail with
SQLITE_BUSY when two writers upgrade at once).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SQLITE_BUSY_TIMEOUT_MS = 30_000
# asyncpg prepares and caches every statement, and after five runs PostgreSQL may switch a
# prepared statement to a generic plan, planned without the parameters' values. For the
# ledger's batch write (rows passed as arrays and unnested) the generic plan is several times
# slower than the one planned for the actual arrays (batched appends of bench.ledger_bench:
# 4,051/s with generic plans, 10,584/s without, in one run), so every statement is planned
# for its parameters.
POSTGRESQL_SERVER_SETTINGS = {"plan_cache_mode": "force_custom_plan"}


def is_sqlite(url: str) -> bool:
    """Say whether a database URL names SQLite."""
    return make_url(url).get_backend_name() == "sqlite"


def prepare_sqlite_file(url: str) -> None:
    """Create the directory of a SQLite database file, so a fresh checkout just works."""
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def make_engine(url: str, *, pool_size: int = 20) -> AsyncEngine:
    """Create the async engine for `url` with the settings each database needs."""
    if not is_sqlite(url):
        return create_async_engine(
            url,
            pool_size=pool_size,
            max_overflow=pool_size,
            connect_args={"server_settings": POSTGRESQL_SERVER_SETTINGS},
        )
    prepare_sqlite_file(url)
    engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves (below) instead of the driver's deferred BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
