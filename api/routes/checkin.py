"""Events, check-in codes, check-ins, approvals and rule sets over HTTP.

The handlers live in `checkin_events`, `checkin_scans`, `checkin_approvals` and
`checkin_rulesets` (each module's docstring states its access rules); this module gathers
their routes and the periodic job that closes events at their end time.
"""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from api.context import AppContext
from api.jobs import PeriodicJob
from api.routes import checkin_approvals, checkin_events, checkin_rulesets, checkin_scans
from checkin import events

CLOSE_ENDED_INTERVAL_SECONDS = 30.0

ROUTES: list[ControllerRouterHandler] = [
    *checkin_events.ROUTES,
    *checkin_scans.ROUTES,
    *checkin_approvals.ROUTES,
    *checkin_rulesets.ROUTES,
]


async def close_ended_events(context: AppContext) -> int:
    """Close events past their end time; their open check-ins close then, flagged."""
    async with context.sessions.begin() as session:
        closed = await events.close_ended(session, now=context.clock())
    return len(closed)


JOBS: list[PeriodicJob] = [
    PeriodicJob("close-ended-events", CLOSE_ENDED_INTERVAL_SECONDS, close_ended_events),
]
