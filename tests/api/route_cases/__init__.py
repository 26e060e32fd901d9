"""The role matrix's rows, one list per route module; see base.py for what a row says."""

from __future__ import annotations

from tests.api.route_cases import (
    admin_pages,
    checkin,
    checkin_pages,
    ledgers,
    manage,
    pages,
    public,
    redemption,
    redemption_pages,
    refund_pages,
)
from tests.api.route_cases.base import RouteCase

ALL_CASES: list[RouteCase] = [
    *public.HEALTH,
    *public.FRAMEWORK,
    *public.AUTH,
    *public.ME,
    *ledgers.CASES,
    *manage.CASES,
    *checkin.CASES,
    *checkin_pages.CASES,
    *redemption.CASES,
    *pages.CASES,
    *redemption_pages.CASES,
    *admin_pages.CASES,
    *refund_pages.CASES,
]
