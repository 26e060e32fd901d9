"""The captain's approvals: pending check-ins of my teams' events, approve or reject one by
one (a rejection needs a reason the volunteer will read), or approve several at once.

Nobody approves their own check-in: the list shows why there is no button on mine. A patrol
check-in without a check-out cannot be approved while the event runs (`checkout_pending`),
so its approve button waits for the end. Each decision runs `checkin.approval` in the page's
transaction, which credits the ledger with the approval; the page it leads back to says
what was decided (`decided`, or for a bulk approval how many were approved and refused).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.params import FromPath, QueryParameter, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.access import Access, access
from api.deps import Context, Db, Me, Now
from api.web.captain_common import MAX_ID, reason_of, refusals
from api.web.event_views import Clock, community_clock
from api.web.i18n import choose_language
from api.web.redemption_views import NO_STORE
from api.web.render import PAGE_KEY, page
from checkin import approval, listing
from checkin.listing import CheckinRow
from checkin.models import APPROVED, CLOSED, Event
from checkin.scope import managed_checkin
from checkin.times import as_utc
from organisation.auth import Principal
from organisation.errors import InvalidInput, NotFound
from organisation.models import Member

PAGE = {PAGE_KEY: True}
LIST_LIMIT = 200
REFUSALS = refusals("/captain/pending")
CODES = re.compile(r"[a-z_]{1,40}(,[a-z_]{1,40}){0,9}")
Count = Annotated[int | None, QueryParameter(ge=0, le=approval.MAX_BULK)]


class RejectForm(msgspec.Struct):
    reason: str = ""


@dataclass(frozen=True)
class PendingView:
    id: int
    member_name: str
    event_title: str
    activity_name: str
    day: str
    checked_in_at: str
    checked_out_at: str | None
    auto_closed: bool
    method: str
    own: bool
    waiting_checkout: bool


def _pending_view(
    row: CheckinRow, event: Event, principal: Principal, clock: Clock, now: datetime, language: str
) -> PendingView:
    checkin = row.checkin
    running = event.state != CLOSED and now < as_utc(event.ends_at)
    out = checkin.checked_out_at
    return PendingView(
        id=checkin.id or 0,
        member_name=row.member_name or f"#{checkin.member_id}",
        event_title=row.event_title,
        activity_name=clock.activity_name(row.activity_id, language),
        day=clock.at(event.starts_at).strftime("%m-%d"),
        checked_in_at=clock.clock_time(checkin.checked_in_at),
        checked_out_at=None if out is None else clock.clock_time(out),
        auto_closed=checkin.auto_closed,
        method=checkin.method,
        own=checkin.member_id == principal.member_id,
        waiting_checkout=event.checkout_required and out is None and running,
    )


@dataclass(frozen=True)
class Decided:
    """A decision just made, as the page reports it."""

    state: str
    member_name: str
    points: int
    explanation: str
    reason: str


async def _decided(
    db: AsyncSession, principal: Principal, checkin_id: int, language: str
) -> Decided | None:
    try:
        checkin = await managed_checkin(db, principal, checkin_id)
    except NotFound:
        return None  # a decision outside my scope (an edited URL): nothing to report
    member = await db.get(Member, checkin.member_id)
    return Decided(
        state=checkin.state,
        member_name=(member.display_name if member else None) or f"#{checkin.member_id}",
        points=checkin.points or 0,
        explanation=checkin.explanation_en if language == "en" else checkin.explanation_zh,
        reason=checkin.reason,
    )


@get(
    "/captain/pending",
    opt=access(Access.CAPTAIN, **PAGE),
    include_in_schema=False,
    exception_handlers=REFUSALS,
)
async def pending(
    request: Request[Any, Any, Any],
    db: Db,
    principal: Me,
    now: Now,
    decided: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
    approved: Count = None,
    refused: Count = None,
    codes: Annotated[str | None, QueryParameter(max_length=420)] = None,
) -> Template:
    """Pending check-ins of my teams' events, oldest first, with their decisions."""
    language = choose_language(request)
    rows = await listing.pending_for(
        db, principal=principal, team_id=None, limit=LIST_LIMIT, offset=0
    )
    event_ids = sorted({row.checkin.event_id for row in rows})
    found = await db.execute(select(Event).where(col(Event.id).in_(event_ids)))
    by_id = {event.id: event for event in found.scalars()}
    clock = await community_clock(db, principal.community_id)
    items = [
        _pending_view(row, by_id[row.checkin.event_id], principal, clock, now, language)
        for row in rows
    ]
    shown = await page(
        request,
        "captain_pending.html",
        items=items,
        decided=None if decided is None else await _decided(db, principal, decided, language),
        approved=approved,
        refused=refused,
        refused_codes=codes.split(",") if codes and CODES.fullmatch(codes) else [],
        approvable=[i for i in items if not i.own and not i.waiting_checkout],
    )
    shown.headers.update(NO_STORE)
    return shown


@post(
    "/captain/checkins/{checkin_id:int}/approve",
    opt=access(Access.CAPTAIN, **PAGE),
    include_in_schema=False,
    exception_handlers=REFUSALS,
)
async def approve(
    checkin_id: FromPath[int], db: Db, principal: Me, context: Context, now: Now
) -> Redirect:
    """Approve a check-in: the rules compute its points and the credit is appended."""
    await approval.approve(
        db, keystore=context.keystore, principal=principal, checkin_id=checkin_id, now=now
    )
    return Redirect(f"/captain/pending?decided={checkin_id}", status_code=303)


@post(
    "/captain/checkins/{checkin_id:int}/reject",
    opt=access(Access.CAPTAIN, **PAGE),
    include_in_schema=False,
    exception_handlers=REFUSALS,
)
async def reject(
    checkin_id: FromPath[int],
    data: URLEncodedBody[RejectForm],
    db: Db,
    principal: Me,
    now: Now,
) -> Redirect:
    """Reject a pending check-in with a reason the volunteer will read."""
    reason = reason_of(data.reason)
    await approval.reject(db, principal=principal, checkin_id=checkin_id, reason=reason, now=now)
    return Redirect(f"/captain/pending?decided={checkin_id}", status_code=303)


def _ids(values: list[str]) -> list[int]:
    ids = [int(v) for v in values if v.isdigit() and 0 < int(v) <= MAX_ID]
    if not ids:
        raise InvalidInput(
            "checkin_id: choose at least one check-in",
            message_zh="checkin_id: 请至少选择一条签到",
            field="checkin_id",
        )
    return ids[: approval.MAX_BULK]


@post(
    "/captain/pending/approve",
    opt=access(Access.CAPTAIN, **PAGE),
    include_in_schema=False,
    exception_handlers=REFUSALS,
)
async def approve_selected(
    request: Request[Any, Any, Any], db: Db, principal: Me, context: Context, now: Now
) -> Redirect:
    """Approve the ticked check-ins; each is approved or refused on its own."""
    form = await request.form()
    ids = _ids([str(v) for v in form.getall("checkin_id", [])])
    outcomes = await approval.approve_many(
        db, keystore=context.keystore, principal=principal, checkin_ids=ids, now=now
    )
    done = [o for o in outcomes if o.checkin is not None and o.checkin.state == APPROVED]
    refused = sorted({o.refusal.code for o in outcomes if o.refusal is not None})
    query = f"approved={len(done)}&refused={len(outcomes) - len(done)}"
    if refused:
        query += "&codes=" + ",".join(refused[:10])
    return Redirect(f"/captain/pending?{query}", status_code=303)


ROUTES = [pending, approve, reject, approve_selected]
