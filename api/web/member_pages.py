"""The volunteer's own pages: log in and out, language, home and history.

Home shows the balance (available and held), the level and the way to the next one, badges
with the dates they were earned, the current and longest weekly streak (`checkin.game`) and
the latest entries; history shows every entry with its explanation (`entry_views`). Logging
in keeps a venue code the browser opened just before (`SEEN_CODE`), so the check-in page it
returns to can still accept it (see checkin_pages).
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.params import FromPath, QueryParameter, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import SESSION_KEY, Access, access, principal_of
from api.deps import Db, Me, Now
from api.web.entry_views import HistoryRow, history_rows
from api.web.i18n import LANG_COOKIE, LANGUAGES, choose_language
from api.web.redemption_views import community_zone
from api.web.render import PAGE_KEY, page
from checkin import game
from ledger import service as ledger_service
from organisation import auth
from organisation.errors import BadCredentials
from organisation.models import Community, Member

PAGE_SIZE = 30
HOME_ENTRIES = 5
SEEN_CODE = "seen_code"  # session key: a venue code opened before logging in


class LoginForm(msgspec.Struct):
    identifier: str = ""
    password: str = ""
    next: str = "/"


def safe_next(target: str) -> str:
    """Only local paths, so the login form cannot send people to another site."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@get("/login", opt=access(Access.PUBLIC, **{PAGE_KEY: True}), include_in_schema=False)
async def login_form(
    request: Request[Any, Any, Any],
    next_path: Annotated[str, QueryParameter(name="next", max_length=500)] = "/",
) -> Template:
    """The login page; after logging in, people land where they were going."""
    return await page(request, "login.html", next=safe_next(next_path))


@post("/login", opt=access(Access.PUBLIC, **{PAGE_KEY: True}), include_in_schema=False)
async def login_submit(
    request: Request[Any, Any, Any], data: URLEncodedBody[LoginForm], db: Db, now: Now
) -> Template | Redirect:
    """Check the password; on success go to `next`, else show the form again."""
    try:
        member = await auth.authenticate(db, identifier=data.identifier, password=data.password)
    except BadCredentials as refusal:
        language = choose_language(request)
        return await page(
            request,
            "login.html",
            next=safe_next(data.next),
            identifier=data.identifier,
            error=refusal.message(language),
            error_code=refusal.code,
        )
    opened = await auth.open_session(db, member=member, now=now)
    carried = {k: v for k, v in request.session.items() if k == SEEN_CODE}
    request.set_session({**carried, SESSION_KEY: opened.id})
    return Redirect(safe_next(data.next), status_code=303)


@post("/logout", opt=access(Access.MEMBER, **{PAGE_KEY: True}), include_in_schema=False)
async def logout_submit(request: Request[Any, Any, Any], db: Db, now: Now) -> Redirect:
    """End this login and go to the login page."""
    principal = await principal_of(request)
    if principal is not None:
        await auth.close_session(db, session_id=principal.session_id, now=now)
    request.clear_session()
    return Redirect("/login", status_code=303)


@get("/lang/{language:str}", opt=access(Access.PUBLIC), include_in_schema=False)
async def switch_language(
    language: FromPath[str],
    next_path: Annotated[str, QueryParameter(name="next", max_length=500)] = "/",
) -> Redirect:
    """Remember the chosen language in a cookie and go back."""
    response = Redirect(safe_next(next_path))
    if language in LANGUAGES:
        response.set_cookie(LANG_COOKIE, language, max_age=365 * 24 * 3600, samesite="lax")
    return response


async def _member(db: AsyncSession, principal: Me) -> tuple[Member, Community]:
    member = await db.get(Member, principal.member_id)
    assert member is not None
    community = await db.get(Community, member.community_id)
    assert community is not None
    return member, community


async def _rows(
    db: AsyncSession,
    request: Request[Any, Any, Any],
    community: Community,
    account: str,
    *,
    before: int | None,
    limit: int,
) -> list[HistoryRow]:
    entries = await ledger_service.account_entries(
        db, ledger=community.ledger_id, account=account, before_seq=before, limit=limit
    )
    tz = await community_zone(db, community.id or 0)
    return await history_rows(
        db, entries, account=account, language=choose_language(request), tz=tz
    )


@get("/", opt=access(Access.MEMBER, **{PAGE_KEY: True}), include_in_schema=False)
async def home(request: Request[Any, Any, Any], db: Db, principal: Me, now: Now) -> Template:
    """Balance, level, badges, streak and the latest entries."""
    member, community = await _member(db, principal)
    balance = await ledger_service.balance(
        db, ledger=community.ledger_id, account=member.account, now=now
    )
    standing = await game.member_game(
        db, member_id=principal.member_id, community_id=member.community_id, now=now
    )
    level = standing.level
    span = (
        None if level.next_level is None else level.next_level.min_points - level.level.min_points
    )
    done = level.earned_points - level.level.min_points
    return await page(
        request,
        "home.html",
        balance=balance,
        game=standing,
        progress_percent=100 if not span else min(100, max(0, done * 100 // span)),
        entries=await _rows(
            db, request, community, member.account, before=None, limit=HOME_ENTRIES
        ),
        member=member,
    )


@get("/history", opt=access(Access.MEMBER, **{PAGE_KEY: True}), include_in_schema=False)
async def history(
    request: Request[Any, Any, Any],
    db: Db,
    principal: Me,
    before: Annotated[int | None, QueryParameter(ge=1, le=2**53 - 1)] = None,
) -> Template:
    """Every entry of mine, newest first, with its explanation."""
    member, community = await _member(db, principal)
    rows = await _rows(db, request, community, member.account, before=before, limit=PAGE_SIZE)
    return await page(
        request,
        "history.html",
        entries=rows,
        next_before=rows[-1].seq if len(rows) == PAGE_SIZE else None,
    )


ROUTES = [login_form, login_submit, logout_submit, switch_language, home, history]
