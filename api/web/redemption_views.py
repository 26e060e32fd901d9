"""What the resident's reward pages and the clerk's counter pages share.

Local times in the community's zone, reward names in the page's language, the state a
person should see, and refusals rendered as a page of the area (with the refusal's code in
`data-code`, its status, and a way back) instead of the generic error page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request, Response
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from api.problems import status_for
from api.routes.redemption_schemas import effective_state
from api.web.i18n import choose_language, translator
from api.web.render import page_refusal_handler
from ledger.errors import Refusal
from organisation.errors import NotAuthenticated
from redemption.models import Redemption, Reward
from redemption.periods import as_utc, zone
from redemption.policy import community_policy

NO_STORE = {"cache-control": "no-store"}
RefusalHandler = Callable[[Request[Any, Any, Any], Refusal], Response[Any]]


async def community_zone(session: AsyncSession, community_id: int) -> ZoneInfo:
    """The time zone in which the community's days begin."""
    return zone((await community_policy(session, community_id)).timezone)


def local(moment: datetime, tz: ZoneInfo) -> datetime:
    """`moment` (UTC, naive from SQLite or aware) on the community's clock."""
    return as_utc(moment).astimezone(tz)


def clock_time(moment: datetime, tz: ZoneInfo) -> str:
    """HH:MM:SS on the community's clock."""
    return local(moment, tz).strftime("%H:%M:%S")


def day_time(moment: datetime, tz: ZoneInfo) -> str:
    """YYYY-MM-DD HH:MM on the community's clock."""
    return local(moment, tz).strftime("%Y-%m-%d %H:%M")


def reward_name(reward: Reward | None, language: str, free_label: str) -> str:
    """The reward's name in `language` (Chinese when there is no English name)."""
    if reward is None:
        return free_label
    return reward.name_en if language == "en" and reward.name_en else reward.name_zh


def seconds_left(until: datetime | None, now: datetime) -> int:
    """Whole seconds from `now` to `until`, never negative."""
    if until is None:
        return 0
    return max(0, int((as_utc(until) - now).total_seconds()))


def state_of(redemption: Redemption, now: datetime) -> str:
    """held, committed, voided or expired, as a person should see it now."""
    return effective_state(redemption, now)


def refusal_page(template: str, back_href: str, back_key: str) -> RefusalHandler:
    """An exception handler for a route: the refusal as `template`, linking back.

    Only used on routes whose use cases raise before returning, so the `db` dependency has
    already rolled the transaction back when this runs. Not-logged-in callers still go to
    the login page (the app's page handler does that).
    """

    def handle(request: Request[Any, Any, Any], refusal: Refusal) -> Response[Any]:
        if isinstance(refusal, NotAuthenticated):
            return page_refusal_handler(request, refusal)
        language = choose_language(request)
        return Template(
            template_name=template,
            context={
                "lang": language,
                "t": translator(language),
                "me": request.state.get("principal"),
                "path": request.url.path,
                "message": refusal.message(language),
                "code": refusal.code,
                "back_href": back_href,
                "back_label": translator(language)[back_key],
            },
            status_code=status_for(refusal.code),
            headers=NO_STORE,
        )

    return handle
