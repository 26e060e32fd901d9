"""What every request handler may use, built once by the app factory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from config.settings import Settings
from ledger.keys import KeyStore
from organisation.notify import SetupCodeSender


def utc_now() -> datetime:
    """The real clock; tests pass their own."""
    return datetime.now(UTC)


@dataclass
class AppContext:
    """Long-lived parts of the service, shared by all requests of one process."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    keystore: KeyStore
    sender: SetupCodeSender
    clock: Callable[[], datetime] = utc_now


def context_of(state: State) -> AppContext:
    """The AppContext stored on the application state by the factory."""
    context: AppContext = state.context
    return context


async def provide_db(state: State) -> AsyncIterator[AsyncSession]:
    """A session in a transaction: committed when the handler returns, rolled back on error."""
    async with context_of(state).sessions() as session, session.begin():
        yield session


def provide_context(state: State) -> AppContext:
    return context_of(state)


def provide_now(state: State) -> datetime:
    return context_of(state).clock()


def request_language(request: ASGIConnection[Any, Any, Any, Any]) -> str:
    """ "en" when the client prefers English, else "zh" (the default)."""
    accepted = request.headers.get("accept-language", "")
    for part in accepted.split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("en"):
            return "en"
        if tag.startswith("zh"):
            return "zh"
    return "zh"
