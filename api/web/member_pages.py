"""The volunteer's own pages: log in and out, language, home and history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.params import FromPath, QueryParameter, URLEncodedBody
from litestar.response import Redirect, Template

from api.access import SESSION_KEY, Access, access, principal_of
from api.deps import Context, Db, Me, Now
from api.web.i18n import LANG_COOKIE, LANGUAGES, choose_language
from api.web.render import PAGE_KEY, page
from ledger import service as ledger_service
from ledger.types import Entry
from organisation import auth
from organisation.errors import BadCredentials
from organisation.models import Community, Member

PAGE_SIZE = 30
HOME_ENTRIES = 5
KIND_TITLES: dict[str, tuple[str, str]] = {
    "checkin.credit": ("志愿服务", "Volunteering"),
    "reversal": ("冲正", "Reversal"),
    "hold": ("兑换冻结", "Held for a reward"),
    "hold.commit": ("兑换", "Redeemed"),
    "hold.void": ("取消兑换", "Redemption cancelled"),
    "hold.expire": ("兑换过期", "Redemption lapsed"),
    "refund": ("退还", "Refund"),
    "expiry": ("积分过期", "Points expired"),
}


class LoginForm(msgspec.Struct):
    identifier: str = ""
    password: str = ""
    next: str = "/"


@dataclass(frozen=True)
class HistoryRow:
    """One ledger entry as a member reads it."""

    seq: int
    points: int
    title: str
    explanation: str
    ts: str
    day: str


def safe_next(target: str) -> str:
    """Only local paths, so the login form cannot send people to another site."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def history_rows(entries: list[Entry], account: str, language: str) -> list[HistoryRow]:
    """Entries signed from the member's side: credits positive, debits negative."""
    rows = []
    for entry in entries:
        if entry.kind == "hold" or entry.kind in ("hold.void", "hold.expire"):
            points = 0  # a hold moves no points; it is shown for completeness
        else:
            points = entry.amount if entry.credit == account else -entry.amount
        titles = KIND_TITLES.get(entry.kind, (entry.kind, entry.kind))
        explanation = entry.meta.get(f"explain_{language}", "")
        rows.append(
            HistoryRow(
                seq=entry.seq,
                points=points,
                title=titles[0] if language == "zh" else titles[1],
                explanation=str(explanation),
                ts=entry.ts,
                day=entry.ts[:10],
            )
        )
    return rows


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
    request.set_session({SESSION_KEY: opened.id})
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


async def _member(db: Db, principal: Me) -> tuple[Member, Community]:
    member = await db.get(Member, principal.member_id)
    assert member is not None
    community = await db.get(Community, member.community_id)
    assert community is not None
    return member, community


@get("/", opt=access(Access.MEMBER, **{PAGE_KEY: True}), include_in_schema=False)
async def home(
    request: Request[Any, Any, Any], db: Db, principal: Me, context: Context
) -> Template:
    """Balance, level, badges, streak and the latest entries."""
    member, community = await _member(db, principal)
    balance = await ledger_service.balance(
        db, ledger=community.ledger_id, account=member.account, now=context.clock()
    )
    entries = await ledger_service.account_entries(
        db, ledger=community.ledger_id, account=member.account, before_seq=None, limit=HOME_ENTRIES
    )
    language = choose_language(request)
    return await page(
        request,
        "home.html",
        balance=balance,
        entries=history_rows(entries, member.account, language),
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
    entries = await ledger_service.account_entries(
        db, ledger=community.ledger_id, account=member.account, before_seq=before, limit=PAGE_SIZE
    )
    language = choose_language(request)
    return await page(
        request,
        "history.html",
        entries=history_rows(entries, member.account, language),
        next_before=entries[-1].seq if len(entries) == PAGE_SIZE else None,
    )


ROUTES = [login_form, login_submit, logout_submit, switch_language, home, history]
