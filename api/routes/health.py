"""Liveness and readiness."""

from __future__ import annotations

from litestar import Response, get
from litestar.datastructures import State
from sqlalchemy import text

from api.access import Access, access
from api.context import context_of


@get("/health", opt=access(Access.PUBLIC), tags=["health"])
async def health() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@get("/ready", opt=access(Access.PUBLIC), tags=["health"])
async def ready(state: State) -> Response[dict[str, str]]:
    """The process can reach its database."""
    try:
        async with context_of(state).engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 (any database failure means not ready)
        return Response({"status": "unavailable"}, status_code=503)
    return Response({"status": "ready"})


ROUTES = [health, ready]
