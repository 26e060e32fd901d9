"""A shop's redemption settings, on the shops page: whether it is the community's points
supermarket, and the largest free amount a member may spend there in one redemption (0: it
takes none).

They are set with the redemption layer's `policy.set_shop_policy` and checked with the JSON
API's own request struct, as `PUT .../shops/{shop_id}/redemption-settings` does. Whether the
shop is open is one of its details (admin_teams `update_shop`).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, post
from litestar.response import Redirect, Template

from api.access import Access, access
from api.deps import Db, Me
from api.routes.redemption_schemas import ShopSettingsIn
from api.web.admin_common import (
    BASE,
    PAGE,
    PathId,
    admin_scope,
    attempt,
    form_of,
    invalid,
    parse,
)
from api.web.admin_shops import shops_result
from organisation import service as org
from organisation.models import Shop
from redemption import policy


@post(
    BASE + "/shops/{shop_id:int}/redemption-settings",
    opt=access(Access.ADMIN, **PAGE),
    include_in_schema=False,
)
async def save_shop_settings(
    request: Request[Any, Any, Any], community_id: PathId, shop_id: PathId, db: Db, principal: Me
) -> Template | Redirect:
    """Set whether the shop is the points supermarket and the largest free amount it takes."""
    scope = await admin_scope(db, principal, community_id)
    shop = await org.get_in_community(db, Shop, shop_id, scope.id)
    fields = await form_of(request)

    async def save() -> None:
        # Left empty, the struct's default (0: no free amounts) would switch them off unasked.
        if not fields.get("free_amount_max_points"):
            raise invalid("free_amount_max_points", "required")
        data = parse(ShopSettingsIn, {**fields, "is_supermarket": "is_supermarket" in fields})
        await policy.set_shop_policy(
            db,
            shop=shop,
            is_supermarket=data.is_supermarket,
            free_amount_max_points=data.free_amount_max_points,
        )

    outcome = await attempt(db, save)
    return await shops_result(request, db, scope, outcome, fields, "saved")


ROUTES = [save_shop_settings]
