"""The reward catalogue, redemption codes, holds, refunds and shop statements over HTTP."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from api.jobs import PeriodicJob

ROUTES: list[ControllerRouterHandler] = []

JOBS: list[PeriodicJob] = []
