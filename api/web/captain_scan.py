"""Scanning a neighbour's personal code: for volunteers without a smartphone at the venue.

`/captain/scan` lets the captain choose one of their teams' open events and read the
member's code with the camera (the page's script uses the browser's BarcodeDetector when
there is one) or paste or type it; the code may be the bare code or the URL a personal QR
carries (`/captain/scan?code=...`, which a phone's camera app opens with the code filled
in). Submitting checks the member in (or out, for patrols) with `checkin.personal.scan`,
run as the JSON API runs it: a refused scan is rolled back and its refusal filed, and the
page shows the refusal's message and code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import parse_qs, urlsplit

import msgspec
from litestar import Request, get, post
from litestar.params import QueryParameter, URLEncodedBody
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import Access, access
from api.context import AppContext
from api.deps import Context, Db, Me, Now
from api.problems import status_for
from api.web.captain_common import MAX_ID, open_events
from api.web.event_views import community_clock, event_view
from api.web.i18n import choose_language
from api.web.redemption_views import NO_STORE
from api.web.render import PAGE_KEY, page
from checkin import personal, recording, scans
from checkin.refusals import Attempt
from ledger.errors import Refusal
from organisation.auth import Principal
from organisation.errors import InvalidInput
from organisation.models import Member

PAGE = {PAGE_KEY: True}
MAX_CODE_CHARS = 1000


class ScanForm(msgspec.Struct):
    event_id: str = ""
    code: str = ""
    action: str = personal.CHECK_IN


@dataclass(frozen=True)
class ScanOutcome:
    """A scan's result for the page: who, what, or the refusal."""

    member_name: str = ""
    action: str = personal.CHECK_IN
    existing: bool = False
    code: str | None = None
    message: str | None = None


def code_from_scan(text: str) -> str:
    """The code inside what was read: the bare code, or the URL of a personal QR."""
    text = text.strip()
    if "://" in text or text.startswith("/"):
        found = parse_qs(urlsplit(text).query).get("code")
        return found[0].strip() if found else text
    return text


async def _scan_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    principal: Principal,
    now: datetime,
    *,
    code: str = "",
    event_id: int | None = None,
    action: str = personal.CHECK_IN,
    outcome: ScanOutcome | None = None,
    status: int = 200,
) -> Template:
    language = choose_language(request)
    found = await open_events(db, principal, now)
    clock = await community_clock(db, principal.community_id)
    shown = await page(
        request,
        "captain_scan.html",
        events=[await event_view(db, e, clock, language) for e in found],
        chosen=event_id if event_id is not None else (found[0].id if len(found) == 1 else None),
        code=code,
        action=action,
        outcome=outcome,
    )
    shown.status_code = status
    shown.headers.update(NO_STORE)
    return shown


@get("/captain/scan", opt=access(Access.CAPTAIN, **PAGE), include_in_schema=False)
async def scan_form(
    request: Request[Any, Any, Any],
    db: Db,
    principal: Me,
    now: Now,
    code: Annotated[str, QueryParameter(max_length=MAX_CODE_CHARS)] = "",
    event: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
) -> Template:
    """Choose the event and read the code (camera, or paste or type it)."""
    return await _scan_page(request, db, principal, now, code=code_from_scan(code), event_id=event)


async def _scan(
    context: AppContext, principal: Principal, event_id: int, code: str, action: str
) -> tuple[scans.ScanResult, str]:
    now = context.clock()

    async def operation(session: AsyncSession) -> tuple[scans.ScanResult, str]:
        result = await personal.scan(
            session,
            keystore=context.keystore,
            principal=principal,
            event_id=event_id,
            code=code,
            action=action,
            at=now,
            now=now,
        )
        member = await session.get(Member, result.checkin.member_id)
        name = (member.display_name if member else None) or f"#{result.checkin.member_id}"
        return result, name

    attempt = Attempt(principal.community_id, principal.member_id, "personal", code)
    return await recording.run_recorded(context.sessions, operation, attempt=attempt, now=now)


@post("/captain/scan", opt=access(Access.CAPTAIN, **PAGE), include_in_schema=False)
async def scan_submit(
    request: Request[Any, Any, Any],
    data: URLEncodedBody[ScanForm],
    db: Db,
    principal: Me,
    context: Context,
) -> Template:
    """Check the neighbour in (or out) and show who; a refusal shows its reason."""
    language = choose_language(request)
    code = code_from_scan(data.code)[:MAX_CODE_CHARS]
    event_id = int(data.event_id) if data.event_id.isdigit() and int(data.event_id) <= MAX_ID else 0
    action = data.action if data.action in personal.ACTIONS else personal.CHECK_IN
    # The scan runs in transactions of its own before this page's `db` is first used: on
    # SQLite every transaction takes the write lock when it begins.
    try:
        if not event_id:
            raise InvalidInput(
                "event_id: choose an event",
                message_zh="event_id：请选择活动",  # noqa: RUF001 (Chinese takes the full-width colon)
                field="event_id",
            )
        result, name = await _scan(context, principal, event_id, code, action)
    except Refusal as refusal:
        outcome = ScanOutcome(code=refusal.code, message=refusal.message(language), action=action)
        return await _scan_page(
            request,
            db,
            principal,
            context.clock(),
            code=code,
            event_id=event_id or None,
            action=action,
            outcome=outcome,
            status=status_for(refusal.code),
        )
    outcome = ScanOutcome(member_name=name, action=action, existing=result.existing)
    return await _scan_page(
        request, db, principal, context.clock(), event_id=event_id, action=action, outcome=outcome
    )


ROUTES = [scan_form, scan_submit]
