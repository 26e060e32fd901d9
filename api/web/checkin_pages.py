"""The volunteer's check-in pages: the page a venue code opens, my check-in, my personal code.

`GET /c/{token}` is the URL in the venue's QR code. A logged-in member who opens it is
checked in (pending, or credited at once for activities the rules approve automatically)
and sent to `/me/checkins/{id}`, which says "checked in" with the event and what happens
next; opening a code of the same event again shows the check-in already there (a reload of
the check-in page never scans again). Someone not logged in is sent to log in and back; the
browser's signed session remembers when it first opened the code (`SEEN_CODE`), so a code
that rotated away while they typed their password is still accepted for up to
`LOGIN_GRACE`. Patrols (events with a check-out) are checked out by opening the venue's
code again at the end and pressing the check-out button (`POST /c/{token}/checkout`).

Scans run as the JSON API's do (`checkin.recording.run_recorded`): a refused scan is rolled
back and its refusal filed in a transaction of its own, and the page shows the refusal's
message with its code in `data-code`.

`GET /me/code` shows my personal code as a QR image for a captain to scan (the image is the
URL of the captain's scan page with the code filled in), renewed before it expires.

Access: `/c/{token}` is public (it sends strangers to log in); the rest is for members, and
`/me/checkins/{id}` shows only the caller's own check-ins (404 for anyone else's).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Request, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template
from litestar.types import ExceptionHandlersMap
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import Access, access
from api.context import AppContext
from api.deps import Caller, Context, Db, Me, Now
from api.web.event_views import (
    CheckinView,
    EventView,
    checkin_view,
    community_clock,
    event_view,
)
from api.web.i18n import choose_language
from api.web.member_pages import SEEN_CODE
from api.web.redemption_views import NO_STORE, refusal_page, seconds_left
from api.web.render import PAGE_KEY, login_redirect, page
from checkin import personal, qr, recording, scans
from checkin.models import PENDING, Checkin, Event
from checkin.refusals import Attempt
from ledger.errors import Refusal
from organisation.auth import Principal
from organisation.errors import NotFound
from organisation.models import Member

PAGE = {PAGE_KEY: True}
LOGIN_GRACE = timedelta(minutes=10)
RENEW_BEFORE_SECONDS = 60  # my code is renewed this long before it expires
REFUSALS: ExceptionHandlersMap = {Refusal: refusal_page("checkin_refused.html", "/", "back_home")}
ScanWord = Annotated[str | None, QueryParameter(name="scan", max_length=10)]


def _seen(request: Request[Any, Any, Any], token: str, now: datetime) -> datetime | None:
    """When this browser first opened `token`, if it did so within the grace."""
    seen = request.session.get(SEEN_CODE)
    if not isinstance(seen, dict) or seen.get("token") != token:
        return None
    try:
        at = datetime.fromisoformat(str(seen.get("seen")))
    except ValueError:
        return None
    return at if now - LOGIN_GRACE <= at <= now else None


def _remember(
    request: Request[Any, Any, Any], token: str, seen_at: datetime, event_id: int | None
) -> None:
    seen = {"token": token, "seen": seen_at.isoformat(), "event": event_id}
    request.set_session({**request.session, SEEN_CODE: seen})


def _forget(request: Request[Any, Any, Any]) -> None:
    request.set_session({k: v for k, v in request.session.items() if k != SEEN_CODE})


async def _preview(context: AppContext, token: str, now: datetime) -> int:
    """Check a code opened by someone not logged in (nothing is recorded); its event id."""
    async with context.sessions() as session:
        scanned = await scans.verify_event_code(
            session,
            token=token,
            community_id=None,
            ttl_seconds=context.settings.checkin_ttl_seconds,
            now=now,
        )
        scans.check_event_accepts(scanned.event, at=now)
        return scanned.event.id or 0


@dataclass(frozen=True)
class Scanned:
    checkin_id: int
    event_id: int
    existing: bool


async def _scan(
    context: AppContext,
    principal: Principal,
    token: str,
    *,
    action: str,
    now: datetime,
    seen_at: datetime | None,
) -> Scanned:
    use_case = scans.check_in if action == "check_in" else scans.check_out

    async def operation(session: AsyncSession) -> Scanned:
        result = await use_case(
            session,
            keystore=context.keystore,
            token=token,
            member_id=principal.member_id,
            community_id=principal.community_id,
            ttl_seconds=context.settings.checkin_ttl_seconds,
            now=now,
            seen_at=seen_at,
        )
        return Scanned(result.checkin.id or 0, result.checkin.event_id, result.existing)

    attempt = Attempt(principal.community_id, principal.member_id, action, token)
    return await recording.run_recorded(context.sessions, operation, attempt=attempt, now=now)


@get(
    "/c/{token:str}",
    opt=access(Access.PUBLIC, **PAGE),
    include_in_schema=False,
    exception_handlers=REFUSALS,
)
async def open_code(
    request: Request[Any, Any, Any], token: FromPath[str], context: Context, caller: Caller
) -> Redirect:
    """Check in with the venue's code (strangers log in first) and show the check-in."""
    now = context.clock()
    if caller is None:
        event_id = await _preview(context, token, now)
        _remember(request, token, now, event_id)
        return login_redirect(request)
    seen_at = _seen(request, token, now)
    _forget(request)
    scanned = await _scan(context, caller, token, action="check_in", now=now, seen_at=seen_at)
    # Remembered for the check-out button, which a second scan of a patrol's code shows.
    _remember(request, token, seen_at or now, scanned.event_id)
    word = "existing" if scanned.existing else "new"
    return Redirect(f"/me/checkins/{scanned.checkin_id}?scan={word}", status_code=303)


@post(
    "/c/{token:str}/checkout",
    opt=access(Access.MEMBER, **PAGE),
    include_in_schema=False,
    exception_handlers=REFUSALS,
)
async def check_out(
    request: Request[Any, Any, Any], token: FromPath[str], context: Context, principal: Me
) -> Redirect:
    """Check out of a patrol with a venue code opened just before."""
    now = context.clock()
    seen_at = _seen(request, token, now)
    scanned = await _scan(context, principal, token, action="check_out", now=now, seen_at=seen_at)
    _forget(request)
    return Redirect(f"/me/checkins/{scanned.checkin_id}?scan=out", status_code=303)


async def _my_checkin(db: AsyncSession, principal: Principal, checkin_id: int) -> Checkin:
    checkin = await db.get(Checkin, checkin_id)
    if checkin is None or checkin.member_id != principal.member_id:
        raise NotFound(object="checkin", id=checkin_id)
    return checkin


def _checkout_token(
    request: Request[Any, Any, Any], checkin: Checkin, event: EventView, now: datetime
) -> str | None:
    """The venue code opened just now for this patrol, if a check-out button makes sense."""
    seen = request.session.get(SEEN_CODE)
    if not (event.checkout_required and checkin.state == PENDING and not checkin.checked_out_at):
        return None
    if not isinstance(seen, dict) or seen.get("event") != checkin.event_id:
        return None
    token = str(seen.get("token", ""))
    return token if _seen(request, token, now) is not None else None


@get(
    "/me/checkins/{checkin_id:int}",
    opt=access(Access.MEMBER, **PAGE),
    include_in_schema=False,
)
async def my_checkin(
    request: Request[Any, Any, Any],
    checkin_id: FromPath[int],
    db: Db,
    principal: Me,
    now: Now,
    scan: ScanWord = None,
) -> Template:
    """My check-in at an event: its state, the event, and what happens next."""
    checkin = await _my_checkin(db, principal, checkin_id)
    event = await db.get(Event, checkin.event_id)
    assert event is not None
    language = choose_language(request)
    clock = await community_clock(db, checkin.community_id)
    shown: EventView = await event_view(db, event, clock, language)
    view: CheckinView = checkin_view(checkin, clock, language)
    token = _checkout_token(request, checkin, shown, now) if scan == "existing" else None
    answer = await page(
        request,
        "checkin_done.html",
        event=shown,
        checkin=view,
        scan=scan or "",
        checkout_action=None if token is None else f"/c/{quote(token, safe='')}/checkout",
    )
    answer.headers.update(NO_STORE)
    return answer


@get("/me/code", opt=access(Access.MEMBER, **PAGE), include_in_schema=False)
async def my_code(
    request: Request[Any, Any, Any], db: Db, principal: Me, context: Context, now: Now
) -> Template:
    """My personal code as a QR image for a captain to scan, renewed before it expires."""
    member = await db.get(Member, principal.member_id)
    assert member is not None
    issued = await personal.issue(
        db,
        keystore=context.keystore,
        member=member,
        ttl_seconds=personal.DEFAULT_CODE_TTL_SECONDS,
        now=now,
    )
    base = context.settings.public_base_url.rstrip("/")
    url = f"{base}/captain/scan?code={issued.code}"
    # A PNG (about 4 kB) inside the page: one request on a slow connection, no second URL
    # that would have to carry the code.
    image = base64.b64encode(qr.png(url)).decode("ascii")
    clock = await community_clock(db, member.community_id)
    left = seconds_left(issued.not_after, now)
    answer = await page(
        request,
        "mycode.html",
        qr_src=f"data:image/png;base64,{image}",
        valid_to=clock.at(issued.not_after).strftime("%H:%M:%S"),
        seconds_left=left,
        renew_in=max(5, left - RENEW_BEFORE_SECONDS),
        member=member,
    )
    answer.headers.update(NO_STORE)
    return answer


ROUTES = [open_code, check_out, my_checkin, my_code]
