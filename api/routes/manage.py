"""Management endpoints for admins: the hierarchy, people, shops and roles."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

ROUTES: list[ControllerRouterHandler] = []
