"""The captain's pages, on a phone or a tablet at the venue.

- `/captain`: my teams' events, a new event, open, close, cancel ........ captain_events
- `/captain/events/{id}/kiosk`: the rotating code, countdown, count ..... captain_events
- `/captain/pending`: approve, reject, approve in bulk ................... captain_approvals
- `/captain/scan`: a neighbour's personal code .......................... captain_scan

Every page needs a captain (`Access.CAPTAIN`: residents get 403, strangers the login page);
events and check-ins outside the caller's teams answer 404 (`checkin.scope`).
"""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from api.web import captain_approvals, captain_events, captain_scan

ROUTES: list[ControllerRouterHandler] = [
    *captain_events.ROUTES,
    *captain_approvals.ROUTES,
    *captain_scan.ROUTES,
]
