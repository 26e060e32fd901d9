"""The console's front door and each community's dashboard.

`/admin` sends an admin or auditor of one community straight to its dashboard; someone with
several communities (a district admin, say) picks one there, and a district admin also
creates communities of their sub-district there. The dashboard draws, for the last weeks,
points issued and redeemed, active volunteers and participation by activity, team and
building as inline SVG, under a few headline numbers.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.params import QueryParameter
from litestar.response import Redirect, Template
from sqlmodel import col, select

from admin import charts, overview, reports
from admin.participation import Participation, Share, participation
from api.access import Access, access
from api.deps import Context, Db, Me, Now
from api.problems import status_for
from api.routes.manage_common import require_district_admin
from api.routes.manage_places import CommunityIn
from api.web.admin_common import (
    BASE,
    NO_STORE,
    PAGE,
    PathId,
    activity_names,
    admin_page,
    attempt,
    form_of,
    my_communities,
    parse,
    refusal_view,
    staff_scope,
)
from api.web.i18n import choose_language, translator
from api.web.redemption_views import local
from api.web.render import page
from ledger.errors import Refusal
from organisation import service as org
from organisation.models import Community, SubDistrict

DEFAULT_WEEKS = 12
Weeks = Annotated[int, QueryParameter(ge=4, le=52)]
MAX_CHART_ROWS = 12
CHART_WIDTH = 480
CHART_HEIGHT = 250


async def _index(
    request: Request[Any, Any, Any],
    db: Db,
    principal: Me,
    *,
    refusal: Refusal | None = None,
    values: dict[str, str] | None = None,
) -> Template:
    communities = await my_communities(db, principal)
    statement = (
        select(SubDistrict)
        .where(col(SubDistrict.id).in_(sorted(principal.district_admin_of)))
        .order_by(col(SubDistrict.id))
    )
    districts = list((await db.execute(statement)).scalars())
    shown = await page(
        request,
        "admin_index.html",
        communities=communities,
        districts=districts,
        refused=refusal_view(refusal, choose_language(request)) if refusal else None,
        values=values or {},
    )
    if refusal is not None:
        shown.status_code = status_for(refusal.code)
    shown.headers.update(NO_STORE)
    return shown


@get("/admin", opt=access(Access.STAFF, **PAGE), include_in_schema=False)
async def index(request: Request[Any, Any, Any], db: Db, principal: Me) -> Template | Redirect:
    """One community: its dashboard. Several: a list to pick from (and, for a district
    admin, a form to create one)."""
    communities = await my_communities(db, principal)
    if len(communities) == 1 and not principal.district_admin_of:
        return Redirect(f"/admin/c/{communities[0].id}", status_code=303)
    return await _index(request, db, principal)


@post(
    "/admin/districts/{sub_district_id:int}/communities",
    opt=access(Access.DISTRICT_ADMIN, **PAGE),
    include_in_schema=False,
)
async def create_community(
    request: Request[Any, Any, Any],
    sub_district_id: PathId,
    db: Db,
    principal: Me,
    context: Context,
    now: Now,
) -> Template | Redirect:
    """A new community of my sub-district, with its ledger; then its settings page."""
    require_district_admin(principal, sub_district_id)
    fields = await form_of(request)

    async def create() -> Community:
        data = parse(CommunityIn, {**fields, "ledger_public": "ledger_public" in fields})
        return await org.create_community(
            db,
            keystore=context.keystore,
            sub_district_id=sub_district_id,
            name=data.name,
            ledger_id=data.ledger_id,
            ledger_public=data.ledger_public,
            now=now,
        )

    made = await attempt(db, create)
    if isinstance(made, Refusal):
        return await _index(request, db, principal, refusal=made, values=fields)
    return Redirect(f"/admin/c/{made.id}/community?done=created", status_code=303)


def _rows(shares: tuple[Share, ...], none_label: str) -> list[tuple[str, int]]:
    rows = [(s.name if s.key is not None else none_label, s.checkins) for s in shares]
    if len(rows) > MAX_CHART_ROWS:
        rest = sum(n for _, n in rows[MAX_CHART_ROWS - 1 :])
        rows = [*rows[: MAX_CHART_ROWS - 1], ("…", rest)]
    return rows


def _charts(
    weekly: reports.WeeklyPoints, found: Participation, words: dict[str, str]
) -> dict[str, str]:
    """The dashboard's charts, drawn for a column about CHART_WIDTH pixels wide."""
    empty = words["ad_no_data"]

    def bars(title: str, shares: tuple[Share, ...], colour: str, none_label: str = "") -> str:
        rows = _rows(shares, none_label)
        return charts.hbar_chart(
            title, rows, empty=empty, width=CHART_WIDTH, label_width=136, colour=colour
        )

    return {
        "points": charts.bar_chart(
            words["ad_chart_points"],
            weekly.labels,
            [
                charts.Series(words["ad_issued"], weekly.issued_points),
                charts.Series(words["ad_redeemed"], weekly.redeemed_points),
            ],
            width=CHART_WIDTH,
            height=CHART_HEIGHT,
        ),
        "volunteers": charts.line_chart(
            words["ad_chart_volunteers"],
            weekly.labels,
            [charts.Series(words["ad_volunteers"], weekly.active_volunteers)],
            width=CHART_WIDTH,
            height=CHART_HEIGHT,
        ),
        "activity": bars(words["ad_chart_activity"], found.by_activity, charts.COLOURS[0]),
        "team": bars(words["ad_chart_team"], found.by_team, charts.COLOURS[1]),
        "building": bars(
            words["ad_chart_building"],
            found.by_building,
            charts.COLOURS[2],
            words["ad_no_building"],
        ),
    }


@get(BASE, opt=access(Access.STAFF, **PAGE), include_in_schema=False)
async def dashboard(
    request: Request[Any, Any, Any],
    community_id: PathId,
    db: Db,
    principal: Me,
    now: Now,
    weeks: Weeks = DEFAULT_WEEKS,
) -> Template:
    """Headline numbers and the charts of the last `weeks` weeks."""
    scope = await staff_scope(db, principal, community_id)
    language = choose_language(request)
    words = dict(translator(language))
    today = local(now, scope.zone).date()
    weekly = await reports.weekly_points(
        db, ledger=scope.community.ledger_id, weeks=weeks, now=now, zone=scope.zone
    )
    found = await participation(
        db,
        community_id=community_id,
        first=weekly.week_starts[0],
        last=weekly.week_starts[-1] + timedelta(days=6),
        activity_names=await activity_names(db, community_id, language),
    )
    numbers = await overview.headline(
        db, community=scope.community, month_start=today.replace(day=1), now=now
    )
    return await admin_page(
        request,
        scope,
        "admin_dashboard.html",
        section="dashboard",
        numbers=numbers,
        weekly=weekly,
        found=found,
        charts=_charts(weekly, found, words),
        weeks=weeks,
        week_choices=(4, 12, 26, 52),
    )


ROUTES = [index, create_community, dashboard]
