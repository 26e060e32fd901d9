"""Management endpoints for admins: the hierarchy, people, shops and roles.

Split by area into `manage_places` (sub-districts, communities, grids, buildings),
`manage_teams` (teams, team members, shops), `manage_members` and `manage_grants`.
"""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from api.routes import manage_grants, manage_members, manage_places, manage_teams

ROUTES: list[ControllerRouterHandler] = [
    *manage_places.ROUTES,
    *manage_teams.ROUTES,
    *manage_members.ROUTES,
    *manage_grants.ROUTES,
]
