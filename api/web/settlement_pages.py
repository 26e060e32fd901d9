"""Settlements as a page: what each shop holds, recording that a shop handed points back to
the community, and the settlements recorded so far (`/admin/c/{community_id}/settlements`).

Read by the community's admins and auditors, recorded by its admins, as the JSON routes
allow; a shop of another community is not found. Recording runs `redemption.settlement` in
a savepoint: refused (more points than the shop holds, a reference used with another amount,
input the API would refuse), nothing changes and the page says why with the refusal's code.
Recording the same reference with the same amount again records it once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, func, select

from api.access import Access, access
from api.deps import Context, Db, Me, Now
from api.routes.redemption_schemas import SettlementIn
from api.web import words_refunds
from api.web.admin_common import (
    BASE,
    MAX_ID,
    PAGE,
    Done,
    PathId,
    Scope,
    admin_page,
    admin_scope,
    attempt,
    form_of,
    invalid,
    parse,
    person,
    staff_scope,
    whole_number,
)
from ledger.errors import Refusal
from ledger.models import LedgerAccount
from organisation.models import Member, Shop
from organisation.service import get_in_community
from redemption import settlement
from redemption.models import Settlement

MAX_SHOPS = 500
SETTLEMENT_FIELDS = ("amount_points", "reference", "note")


@dataclass(frozen=True)
class ShopBalance:
    """A shop and the points it holds (what it could settle)."""

    shop: Shop
    balance_points: int


async def _shop_balances(db: AsyncSession, scope: Scope) -> list[ShopBalance]:
    """Every shop of the community with the points its account holds (0 before any entry
    named it), in one query."""
    statement = (
        select(Shop, func.coalesce(col(LedgerAccount.balance), 0))
        .outerjoin(
            LedgerAccount,
            (col(LedgerAccount.account) == Shop.account)
            & (col(LedgerAccount.ledger) == scope.community.ledger_id),
        )
        .where(Shop.community_id == scope.id)
        .order_by(col(Shop.id))
        .limit(MAX_SHOPS)
    )
    return [ShopBalance(shop, int(points)) for shop, points in await db.execute(statement)]


async def _settlements_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    scope: Scope,
    *,
    refusal: Refusal | None = None,
    values: dict[str, str] | None = None,
    done: str | None = None,
) -> Template:
    balances = await _shop_balances(db, scope)
    past = await settlement.list_community_settlements(db, community_id=scope.id)
    recorders = {row.recorded_by for row in past}
    people = (await db.execute(select(Member).where(col(Member.id).in_(recorders)))).scalars()
    return await admin_page(
        request,
        scope,
        "settlement_admin.html",
        section="settlements",
        balances=balances,
        shop_names={row.shop.id: row.shop.name for row in balances},
        past=past,
        recorded_by={m.id: person(m, scope.can_edit) for m in people},
        refusal=refusal,
        values=values,
        rf_done=words_refunds.done_word(done),
    )


@get(BASE + "/settlements", opt=access(Access.STAFF, **PAGE), include_in_schema=False)
async def settlements_page(
    request: Request[Any, Any, Any],
    community_id: PathId,
    db: Db,
    principal: Me,
    done: Done = None,
) -> Template:
    """Each shop's points, a form to record a settlement, and the settlements so far."""
    scope = await staff_scope(db, principal, community_id)
    return await _settlements_page(request, db, scope, done=done)


@post(BASE + "/settlements", opt=access(Access.ADMIN, **PAGE), include_in_schema=False)
async def record_settlement(
    request: Request[Any, Any, Any],
    community_id: PathId,
    db: Db,
    principal: Me,
    context: Context,
    now: Now,
) -> Template | Redirect:
    """Record that a shop handed points back to the community, once per reference."""
    scope = await admin_scope(db, principal, community_id)
    fields = await form_of(request)

    async def run() -> Settlement:
        shop_id = whole_number(fields.get("shop_id"), "shop_id")
        if shop_id is None or shop_id > MAX_ID:
            raise invalid("shop_id", "choose a shop")
        shop = await get_in_community(db, Shop, shop_id, scope.id)
        body = parse(SettlementIn, {name: fields.get(name, "") for name in SETTLEMENT_FIELDS})
        return await settlement.record_settlement(
            db,
            keystore=context.keystore,
            community=scope.community,
            shop=shop,
            amount_points=body.amount_points,
            reference=body.reference,
            note=body.note,
            admin_id=principal.member_id,
            now=now,
        )

    outcome = await attempt(db, run)
    if isinstance(outcome, Refusal):
        return await _settlements_page(request, db, scope, refusal=outcome, values=fields)
    return Redirect(f"{scope.base}/settlements?done=settled", status_code=303)


ROUTES = [settlements_page, record_settlement]
