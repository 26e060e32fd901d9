"""Refunds as pages: the clerk asks for one on a confirmed redemption's page, and the
community's admins approve or decline it on `/admin/c/{community_id}/refunds`. Settlements
(what each shop handed back) are in `settlement_pages`; `ROUTES` has both.

The clerk's request is for the clerks of the redemption's shop (404 for anyone else), the
refunds page is read by the community's admins and auditors and decided by its admins, as
the JSON routes allow. Each change runs in a savepoint: refused, nothing changes and the page
says why with the refusal's code (`data-code`) and status. Approving appends the refund entry
(shop -> member) through `redemption.refunds`; approving or declining again answers as the
first time, and deciding the other way afterwards is refused.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.params import QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.access import Access, access
from api.deps import Context, Db, Me, Now
from api.problems import status_for
from api.routes.redemption_schemas import DecisionIn, RefundRequestIn
from api.web import settlement_pages, words_refunds
from api.web.admin_common import (
    BASE,
    PAGE,
    Done,
    PathId,
    Scope,
    admin_page,
    admin_scope,
    attempt,
    form_of,
    parse,
    person,
    staff_scope,
)
from api.web.i18n import choose_language, translator
from api.web.redemption_views import NO_STORE, reward_name
from api.web.render import page
from ledger.errors import Refusal
from organisation.auth import Principal
from organisation.errors import NotFound
from organisation.models import Member, Shop
from organisation.service import get_in_community
from redemption import holds, refunds
from redemption.models import (
    APPROVED,
    COMMITTED,
    REJECTED,
    REQUESTED,
    Redemption,
    RefundRequest,
    Reward,
)
from redemption.policy import community_policy

PENDING_SHOWN = 200
DECIDED_SHOWN = 100
RefundDone = Annotated[str | None, QueryParameter(name="refund", pattern=r"^[a-z_]{1,24}$")]


# --- The clerk ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ClerkRefund:
    """What a clerk's redemption page says about refunds: the request so far, whether one
    may be asked (again, after a decline), the community's window and the message after
    asking."""

    state: str | None
    reason: str
    decision_note: str
    can_ask: bool
    window_days: int
    done: str | None


async def _request_of(db: AsyncSession, redemption_id: int) -> RefundRequest | None:
    statement = select(RefundRequest).where(RefundRequest.redemption_id == redemption_id)
    return (await db.execute(statement)).scalars().first()


async def clerk_refund(db: AsyncSession, redemption: Redemption, done: str | None) -> ClerkRefund:
    """The refund part of the clerk's redemption page."""
    found = await _request_of(db, redemption.id or 0)
    state = found.state if found is not None else None
    return ClerkRefund(
        state=state,
        reason=found.reason if found is not None else "",
        decision_note=found.decision_note if found is not None else "",
        can_ask=redemption.state == COMMITTED and state in (None, REJECTED),
        window_days=(await community_policy(db, redemption.community_id)).refund_window_days,
        done=words_refunds.done_word(done),
    )


async def _at_my_shop(db: AsyncSession, principal: Principal, redemption_id: int) -> Redemption:
    """A redemption of a shop I am a clerk of (as the counter's pages find it); else 404."""
    found = await db.get(Redemption, redemption_id)
    if found is None or found.shop_id not in principal.clerk_of:
        raise NotFound(object="redemption", id=redemption_id)
    shop = await db.get(Shop, found.shop_id)
    assert shop is not None
    return await holds.get_at_shop(db, redemption_id=redemption_id, shop=shop)


async def _clerk_refused(
    request: Request[Any, Any, Any], refusal: Refusal, back_href: str
) -> Template:
    """The refusal as the counter's refusal page, linking back to the redemption."""
    language = choose_language(request)
    shown = await page(
        request,
        "clerk_refused.html",
        message=refusal.message(language),
        code=refusal.code,
        back_href=back_href,
        back_label=translator(language)["rf_back_redemption"],
    )
    shown.status_code = status_for(refusal.code)
    shown.headers.update(NO_STORE)
    return shown


@post(
    "/clerk/redemptions/{redemption_id:int}/refund-request",
    opt=access(Access.CLERK, **PAGE),
    include_in_schema=False,
)
async def request_refund(
    request: Request[Any, Any, Any], redemption_id: PathId, db: Db, principal: Me, now: Now
) -> Template | Redirect:
    """Ask an admin to give a confirmed redemption's points back to the resident."""
    redemption = await _at_my_shop(db, principal, redemption_id)
    fields = await form_of(request)

    async def run() -> RefundRequest:
        reason = parse(RefundRequestIn, {"reason": fields.get("reason", "")}).reason
        return await refunds.request_refund(
            db, redemption=redemption, clerk_id=principal.member_id, reason=reason, now=now
        )

    outcome = await attempt(db, run)
    redemption_path = f"/clerk/redemptions/{redemption_id}"
    if isinstance(outcome, Refusal):
        return await _clerk_refused(request, outcome, redemption_path)
    return Redirect(f"{redemption_path}?refund=requested", status_code=303)


# --- The community's admins --------------------------------------------------------------


@dataclass(frozen=True)
class RefundRow:
    """A refund request as the admin's list shows it."""

    refund: RefundRequest
    shop_name: str
    title: str
    member: str
    asked_by: str
    decided_by: str


async def _by_id(db: AsyncSession, model: Any, ids: Iterable[int | None]) -> dict[int, Any]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    found = (await db.execute(select(model).where(col(model.id).in_(wanted)))).scalars()
    return {row.id: row for row in found}


async def _rows(
    db: AsyncSession, scope: Scope, found: list[RefundRequest], language: str
) -> list[RefundRow]:
    """The requests with their shop, reward and people (names for admins only)."""
    made = await _by_id(db, Redemption, (r.redemption_id for r in found))
    rewards = await _by_id(db, Reward, (m.reward_id for m in made.values()))
    shops = await _by_id(db, Shop, (r.shop_id for r in found))
    people_ids = [m.member_id for m in made.values()]
    people_ids += [r.requested_by for r in found] + [r.decided_by for r in found]
    people: dict[int, Member] = await _by_id(db, Member, people_ids)
    free_title = translator(language)["rw_free_title"]

    def name(member_id: int | None) -> str:
        return person(people.get(member_id or 0), scope.can_edit)

    rows = []
    for refund in found:
        redemption = made[refund.redemption_id]
        reward = rewards.get(redemption.reward_id or 0)
        shop = shops.get(refund.shop_id)
        rows.append(
            RefundRow(
                refund=refund,
                shop_name=shop.name if shop is not None else str(refund.shop_id),
                title=reward_name(reward, language, free_title),
                member=name(redemption.member_id),
                asked_by=name(refund.requested_by),
                decided_by=name(refund.decided_by),
            )
        )
    return rows


async def _refunds_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    scope: Scope,
    *,
    refusal: Refusal | None = None,
    values: dict[str, str] | None = None,
    done: str | None = None,
) -> Template:
    pending = await refunds.list_refunds(
        db, community_id=scope.id, state=REQUESTED, limit=PENDING_SHOWN, offset=0
    )
    decided = []
    for state in (APPROVED, REJECTED):
        decided += await refunds.list_refunds(
            db, community_id=scope.id, state=state, limit=DECIDED_SHOWN, offset=0
        )
    decided = sorted(decided, key=lambda r: r.id or 0, reverse=True)[:DECIDED_SHOWN]
    language = choose_language(request)
    return await admin_page(
        request,
        scope,
        "refund_admin.html",
        section="refunds",
        pending=await _rows(db, scope, pending, language),
        decided=await _rows(db, scope, decided, language),
        refusal=refusal,
        values=values,
        rf_done=words_refunds.done_word(done),
    )


@get(BASE + "/refunds", opt=access(Access.STAFF, **PAGE), include_in_schema=False)
async def refunds_page(
    request: Request[Any, Any, Any], community_id: PathId, db: Db, principal: Me, done: Done = None
) -> Template:
    """The community's refund requests, those waiting first, with approve and decline."""
    scope = await staff_scope(db, principal, community_id)
    return await _refunds_page(request, db, scope, done=done)


async def _decide(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    scope: Scope,
    refund_id: int,
    decision: str,
    decide: Callable[[RefundRequest, str], Awaitable[RefundRequest]],
) -> Template | Redirect:
    """Run `decide(refund, note)` on a request of the community (404 for any other) and go
    back to the list, or show the refusal there."""
    refund = await get_in_community(db, RefundRequest, refund_id, scope.id)
    fields = await form_of(request)

    async def run() -> RefundRequest:
        note = parse(DecisionIn, {"note": fields.get("note", "")}).note
        return await decide(refund, note)

    outcome = await attempt(db, run)
    if isinstance(outcome, Refusal):
        return await _refunds_page(request, db, scope, refusal=outcome, values=fields)
    return Redirect(f"{scope.base}/refunds?done={decision}#refund-{refund_id}", status_code=303)


@post(
    BASE + "/refunds/{refund_id:int}/approve",
    opt=access(Access.ADMIN, **PAGE),
    include_in_schema=False,
)
async def approve_refund(
    request: Request[Any, Any, Any],
    community_id: PathId,
    refund_id: PathId,
    db: Db,
    principal: Me,
    context: Context,
    now: Now,
) -> Template | Redirect:
    """Approve: a refund entry moves the points from the shop back to the resident."""
    scope = await admin_scope(db, principal, community_id)

    async def approve(refund: RefundRequest, note: str) -> RefundRequest:
        return await refunds.approve_refund(
            db,
            keystore=context.keystore,
            community=scope.community,
            refund=refund,
            admin_id=principal.member_id,
            note=note,
            now=now,
        )

    return await _decide(request, db, scope, refund_id, "approved", approve)


@post(
    BASE + "/refunds/{refund_id:int}/reject",
    opt=access(Access.ADMIN, **PAGE),
    include_in_schema=False,
)
async def reject_refund(
    request: Request[Any, Any, Any],
    community_id: PathId,
    refund_id: PathId,
    db: Db,
    principal: Me,
    now: Now,
) -> Template | Redirect:
    """Decline a refund request, with the reason; nothing moves."""
    scope = await admin_scope(db, principal, community_id)

    async def reject(refund: RefundRequest, note: str) -> RefundRequest:
        return await refunds.reject_refund(
            db, refund=refund, admin_id=principal.member_id, note=note, now=now
        )

    return await _decide(request, db, scope, refund_id, "rejected", reject)


ROUTES = [
    request_refund,
    refunds_page,
    approve_refund,
    reject_refund,
    *settlement_pages.ROUTES,
]
