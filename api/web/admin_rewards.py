"""The reward catalogue: rewards of the community's shops and of its points supermarket,
with price, stock, per-member limits and validity; created, changed and withdrawn here.

Validity is typed as a local date and time on the community's clock (a datetime-local
field) and stored in UTC. Withdrawn rewards stay listed, for the record of what was redeemed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import Access, access
from api.deps import Db, Me, Now
from api.routes.redemption_schemas import RewardIn, RewardPatch
from api.web.admin_common import (
    BASE,
    PAGE,
    Done,
    PathId,
    Scope,
    admin_page,
    admin_scope,
    attempt,
    blank_none,
    form_of,
    invalid,
    parse,
    staff_scope,
)
from api.web.redemption_views import local
from ledger.errors import Refusal
from organisation import service as org
from organisation.models import Shop
from redemption import catalogue
from redemption.models import Reward

MAX_SHOPS = 500
NUMBERS = ("price_points", "stock", "limit_per_day", "limit_per_month", "limit_ever")
MOMENTS = ("valid_from", "valid_until")


def _moment(text: str | None, field: str, scope: Scope) -> datetime | None:
    """A datetime-local value (on the community's clock) as an aware moment."""
    if not text:
        return None
    try:
        typed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise invalid(field, "a date and time like 2026-03-01T09:00") from exc
    return typed.replace(tzinfo=scope.zone) if typed.tzinfo is None else typed


def _fields(fields: dict[str, str], scope: Scope) -> dict[str, Any]:
    """The reward form as the API's reward fields: empty numbers are none (unlimited)."""
    values: dict[str, Any] = {
        "name_zh": fields.get("name_zh", ""),
        "name_en": fields.get("name_en", ""),
        "active": "active" in fields,
    }
    for name in NUMBERS:
        values[name] = blank_none(fields.get(name))
    for name in MOMENTS:
        values[name] = _moment(fields.get(name), name, scope)
    if "shop_id" in fields:
        values["shop_id"] = fields["shop_id"]
    return values


def form_values(reward: Reward, scope: Scope) -> dict[str, str]:
    """A stored reward as the edit form shows it."""
    values = {
        "name_zh": reward.name_zh,
        "name_en": reward.name_en,
        "active": "yes" if reward.active else "",
    }
    for name in NUMBERS:
        number = getattr(reward, name)
        values[name] = "" if number is None else str(number)
    for name in MOMENTS:
        moment = getattr(reward, name)
        values[name] = (
            "" if moment is None else local(moment, scope.zone).strftime("%Y-%m-%dT%H:%M")
        )
    return values


async def _shops(db: AsyncSession, scope: Scope) -> dict[int, Shop]:
    shops = await org.page_in_community(
        db, Shop, community_id=scope.id, after=None, limit=MAX_SHOPS
    )
    return {shop.id or 0: shop for shop in shops}


async def _list_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    scope: Scope,
    now: datetime,
    *,
    refusal: Refusal | None = None,
    values: dict[str, str] | None = None,
    done: str | None = None,
) -> Template:
    rewards = await catalogue.list_rewards(db, community_id=scope.id)
    return await admin_page(
        request,
        scope,
        "admin_rewards.html",
        section="rewards",
        rewards=rewards,
        shops=await _shops(db, scope),
        on_offer={r.id for r in rewards if catalogue.is_redeemable(r, now)},
        refusal=refusal,
        values=values if values is not None else {"active": "yes"},
        done=done,
    )


@get(BASE + "/rewards", opt=access(Access.STAFF, **PAGE), include_in_schema=False)
async def rewards_page(
    request: Request[Any, Any, Any],
    community_id: PathId,
    db: Db,
    principal: Me,
    now: Now,
    done: Done = None,
) -> Template:
    """Every reward of the community, withdrawn ones included, and a form for a new one."""
    scope = await staff_scope(db, principal, community_id)
    return await _list_page(request, db, scope, now, done=done)


@post(BASE + "/rewards", opt=access(Access.ADMIN, **PAGE), include_in_schema=False)
async def create_reward(
    request: Request[Any, Any, Any], community_id: PathId, db: Db, principal: Me, now: Now
) -> Template | Redirect:
    """Add a reward to a shop's (or the supermarket's) catalogue."""
    scope = await admin_scope(db, principal, community_id)
    fields = await form_of(request)

    async def create() -> Reward:
        data = parse(RewardIn, _fields(fields, scope))
        values = {n: getattr(data, n) for n in RewardIn.__struct_fields__ if n != "shop_id"}
        return await catalogue.create_reward(
            db, community_id=scope.id, shop_id=data.shop_id, fields=values, now=now
        )

    outcome = await attempt(db, create)
    if isinstance(outcome, Refusal):
        return await _list_page(request, db, scope, now, refusal=outcome, values=fields)
    return Redirect(f"{scope.base}/rewards?done=created", status_code=303)


async def _reward_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    scope: Scope,
    reward: Reward,
    now: datetime,
    *,
    refusal: Refusal | None = None,
    values: dict[str, str] | None = None,
    done: str | None = None,
) -> Template:
    shop = await db.get(Shop, reward.shop_id)
    return await admin_page(
        request,
        scope,
        "admin_reward.html",
        section="rewards",
        reward=reward,
        shop=shop,
        on_offer=catalogue.is_redeemable(reward, now),
        refusal=refusal,
        values=values if values is not None else form_values(reward, scope),
        done=done,
    )


@get(
    BASE + "/rewards/{reward_id:int}",
    opt=access(Access.STAFF, **PAGE),
    include_in_schema=False,
)
async def reward_page(
    request: Request[Any, Any, Any],
    community_id: PathId,
    reward_id: PathId,
    db: Db,
    principal: Me,
    now: Now,
    done: Done = None,
) -> Template:
    """One reward, with its form for the community's admins."""
    scope = await staff_scope(db, principal, community_id)
    reward = await org.get_in_community(db, Reward, reward_id, scope.id)
    return await _reward_page(request, db, scope, reward, now, done=done)


async def _change(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    scope: Scope,
    reward: Reward,
    now: datetime,
    changes: Any,
    fields: dict[str, str],
    done: str,
) -> Template | Redirect:
    async def change() -> Reward:
        return await catalogue.update_reward(db, reward=reward, changes=changes())

    outcome = await attempt(db, change)
    if isinstance(outcome, Refusal):
        await db.refresh(reward)
        return await _reward_page(
            request, db, scope, reward, now, refusal=outcome, values=fields or None
        )
    return Redirect(f"{scope.base}/rewards/{reward.id}?done={done}", status_code=303)


@post(
    BASE + "/rewards/{reward_id:int}",
    opt=access(Access.ADMIN, **PAGE),
    include_in_schema=False,
)
async def update_reward(
    request: Request[Any, Any, Any],
    community_id: PathId,
    reward_id: PathId,
    db: Db,
    principal: Me,
    now: Now,
) -> Template | Redirect:
    """Change a reward; `stock` sets the units available from now on (empty: unlimited)."""
    scope = await admin_scope(db, principal, community_id)
    reward = await org.get_in_community(db, Reward, reward_id, scope.id)
    fields = await form_of(request)

    def changes() -> dict[str, object]:
        return parse(RewardPatch, _fields(fields, scope)).changes()

    return await _change(request, db, scope, reward, now, changes, fields, "saved")


@post(
    BASE + "/rewards/{reward_id:int}/withdraw",
    opt=access(Access.ADMIN, **PAGE),
    include_in_schema=False,
)
async def withdraw_reward(
    request: Request[Any, Any, Any],
    community_id: PathId,
    reward_id: PathId,
    db: Db,
    principal: Me,
    now: Now,
) -> Template | Redirect:
    """Withdraw a reward: nobody can redeem it any more; it stays for the record."""
    scope = await admin_scope(db, principal, community_id)
    reward = await org.get_in_community(db, Reward, reward_id, scope.id)
    return await _change(
        request, db, scope, reward, now, lambda: {"active": False}, {}, "withdrawn"
    )


ROUTES = [rewards_page, create_reward, reward_page, update_reward, withdraw_reward]
