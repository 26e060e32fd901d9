"""Prebuilt statements run in the session's transaction, cheaply on PostgreSQL.

A statement is built once per dialect from SQLAlchemy Core and compiled once. The reads are
the same construction on both databases (`for_each` is where they differ); the write has a
PostgreSQL form of its own (see `store_write`). On PostgreSQL a statement runs as plain SQL
on the session's asyncpg connection, inside the transaction that SQLAlchemy began, so that
asyncpg's per-connection cache of prepared statements applies and a statement costs about a
third of the client CPU of a SQLAlchemy execution, which matters because appends run their
statements while holding the chain lock. The first statement of a transaction still goes
through SQLAlchemy, which sends BEGIN with it. On SQLite everything runs through SQLAlchemy.

A list parameter is an array on PostgreSQL and JSON text (read with `json_each`) on SQLite,
so a statement's text does not depend on how many items a list holds.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from sqlalchemy import String, bindparam, func, literal_column, select, true
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql import ColumnElement, CompoundSelect, Select
from sqlalchemy.types import TypeDecorator, TypeEngine

POSTGRESQL = "postgresql"
_RUNNER = "ledger.sql.runner"
Row = Sequence[Any]
AnySelect: TypeAlias = Select[*tuple[Any, ...]]
Statement: TypeAlias = AnySelect | CompoundSelect[*tuple[Any, ...]]


class _JsonList(TypeDecorator[list[Any]]):
    """A Python list bound as JSON text, for SQLite's json_each."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: list[Any] | None, dialect: Any) -> str | None:  # noqa: ARG002 (the signature TypeDecorator calls)
        return None if value is None else json.dumps(value)


Match = Callable[[ColumnElement[Any]], ColumnElement[bool]]


def for_each(
    name: str, item_type: TypeEngine[Any], dialect: str, build: Callable[[Match], AnySelect]
) -> AnySelect:
    """The rows of `build(match)` for the items of list parameter `name`, where `match(c)`
    is the condition that column `c` equals an item.

    On PostgreSQL each item is its own probe (a LATERAL subquery, which OFFSET 0 keeps from
    being flattened into a join): with `c = ANY(array)`, or a join, the planner may choose
    to scan the ledger's rows instead, for example before a fresh table is analysed, and
    that costs time in proportion to the ledger's size. SQLite's planner looks an IN list
    up in the index item by item.
    """
    if dialect != POSTGRESQL:
        json_items = func.json_each(bindparam(name, type_=_JsonList()))
        listed: AnySelect = select(literal_column("value")).select_from(json_items)
        return build(lambda column: column.in_(listed))
    array = bindparam(name, type_=ARRAY(item_type))
    items = func.unnest(array).table_valued("item").render_derived(name=f"{name}_items")
    rows = build(lambda column: column == items.c.item).offset(literal_column("0"))
    probe = rows.lateral(f"{name}_rows")
    return select(*probe.c).select_from(items).join(probe, true())


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]


class Prebuilt:
    """A statement built per dialect by `build`, on first use, and kept."""

    def __init__(self, build: Callable[[str], Statement]) -> None:
        self._build = build
        self._statements: dict[str, Statement] = {}
        self._compiled: dict[str, _Compiled] = {}

    def statement(self, dialect: str) -> Statement:
        """The Core statement for `dialect`."""
        found = self._statements.get(dialect)
        if found is None:
            found = self._statements[dialect] = self._build(dialect)
        return found

    async def fetch(
        self, conn: AsyncConnection, driver: Any, params: Mapping[str, Any]
    ) -> list[Row]:
        """All rows of the statement run on `driver`, the asyncpg connection of `conn`, in
        whatever transaction it has open; with none, committed when it returns."""
        compiled = self.compiled(conn)
        return list(await driver.fetch(compiled.sql, *(params[n] for n in compiled.names)))

    def compiled(self, conn: AsyncConnection) -> _Compiled:
        """The statement's SQL for the connection's dialect and its parameters in order."""
        name = conn.dialect.name
        found = self._compiled.get(name)
        if found is None:
            compiled = self.statement(name).compile(dialect=conn.dialect)
            found = _Compiled(compiled.string, tuple(compiled.positiontup or ()))
            self._compiled[name] = found
        return found


class Runner:
    """Runs prebuilt statements on one session's connection, in its transaction."""

    def __init__(self, conn: AsyncConnection, driver: Any) -> None:
        self.conn = conn
        self._driver = driver  # the asyncpg connection on PostgreSQL, else None

    @classmethod
    async def open(cls, session: AsyncSession) -> Runner:
        """A runner for the session's connection in its current transaction.

        It is kept on the session for the rest of the transaction: asking the session for
        its connection costs more client time than running a prebuilt statement.
        """
        transaction = session.sync_session.get_transaction()
        kept = session.info.get(_RUNNER)
        if transaction is not None and kept is not None and kept[0] is transaction:
            return kept[1]  # type: ignore[no-any-return]  # stored below, as a Runner
        conn = await session.connection()
        runner = cls(conn, None)
        if conn.dialect.name == POSTGRESQL:
            runner = cls(conn, (await conn.get_raw_connection()).driver_connection)
        session.info[_RUNNER] = (session.sync_session.get_transaction(), runner)
        return runner

    @property
    def postgresql(self) -> bool:
        """Whether statements run on asyncpg directly."""
        return self._driver is not None

    async def rows(self, prebuilt: Prebuilt, params: Mapping[str, Any]) -> list[Row]:
        """All rows of the statement."""
        if self._driver is None:
            result = await self.conn.execute(prebuilt.statement(self.conn.dialect.name), params)
            return list(result.all())
        compiled = prebuilt.compiled(self.conn)
        args = [params[name] for name in compiled.names]
        if not self._driver.is_in_transaction():
            # SQLAlchemy begins its transaction lazily, with its first statement; a statement
            # sent around it would run outside the transaction that the caller commits.
            return list((await self.conn.exec_driver_sql(compiled.sql, tuple(args))).all())
        try:
            return await prebuilt.fetch(self.conn, self._driver, params)
        except Exception as error:
            raise _translated(compiled.sql, args, error) from error


def _translated(sql: str, args: Sequence[Any], error: Exception) -> Exception:
    """The SQLAlchemy exception a Core execution would have raised for `error`."""
    names = {cls.__name__ for cls in type(error).__mro__}
    if "PostgresError" not in names:
        return error
    if "IntegrityConstraintViolationError" in names:
        return sa_exc.IntegrityError(sql, args, error)
    return sa_exc.DBAPIError(sql, args, error)
