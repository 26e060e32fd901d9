"""Events, check-in codes, check-ins and approvals over HTTP."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

ROUTES: list[ControllerRouterHandler] = []
