"""The reward catalogue, redemption codes, holds, refunds and shop statements over HTTP.

The routes live in three modules by who calls them: residents (`redemption_member`), shop
clerks (`redemption_counter`) and community admins (`redemption_admin`).
"""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from api.jobs import PeriodicJob
from api.redemption_jobs import (
    HOLD_EXPIRY_INTERVAL_SECONDS,
    POINTS_EXPIRY_INTERVAL_SECONDS,
    expire_overdue_holds,
    expire_points,
)
from api.routes import redemption_admin, redemption_counter, redemption_member

ROUTES: list[ControllerRouterHandler] = [
    *redemption_member.ROUTES,
    *redemption_counter.ROUTES,
    *redemption_admin.ROUTES,
]

JOBS: list[PeriodicJob] = [
    PeriodicJob("redemption-hold-expiry", HOLD_EXPIRY_INTERVAL_SECONDS, expire_overdue_holds),
    PeriodicJob("points-expiry", POINTS_EXPIRY_INTERVAL_SECONDS, expire_points),
]
