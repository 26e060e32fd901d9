"""Leaderboards: members within my team(s), my building and my community; teams against
teams; buildings against buildings; this week, month, year or all time.

Ranked on points earned in the window (reversals subtract, expiry is ignored) by
`rules.member_leaderboard` and its siblings over the records `checkin.game` reads; ties
share a rank and whoever reached the total first is listed first. Members who opted out are
listed as anonymous; my own row (or my team's, my building's) is highlighted, and shown
below the top rows when it is not among them.

Access: any member, for boards of their own community; a team board is for the teams the
caller serves in or captains (another team answers 404).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from litestar import Request, get
from litestar.params import QueryParameter
from litestar.response import Template
from sqlmodel import col, select

import rules
from api.access import Access, access
from api.deps import Db, Me, Now
from api.web.i18n import choose_language, translator
from api.web.render import PAGE_KEY, page
from checkin import game
from organisation.errors import NotFound
from organisation.models import Member, Team

PAGE = {PAGE_KEY: True}
BoardName = Literal["team", "building", "community", "teams", "buildings"]
WindowName = Literal["week", "month", "year", "all_time"]
WINDOWS: tuple[WindowName, ...] = ("week", "month", "year", "all_time")


@dataclass(frozen=True)
class Tab:
    label: str
    href: str
    current: bool


def _href(board: str, window: str, team_id: int | None = None) -> str:
    team = f"&team={team_id}" if team_id is not None else ""
    return f"/leaderboards?board={board}{team}&window={window}"


def _board_tabs(
    teams: list[Team], member: Member, board: str, team_id: int | None, window: str, t: Any
) -> list[Tab]:
    tabs = [
        Tab(
            f"{t['gm_board_team']} · {team.name}" if len(teams) > 1 else t["gm_board_team"],
            _href("team", window, team.id),
            board == "team" and team_id == team.id,
        )
        for team in teams
    ]
    if member.building_id is not None:
        tabs.append(Tab(t["gm_board_building"], _href("building", window), board == "building"))
    for name in ("community", "teams", "buildings"):
        tabs.append(Tab(t[f"gm_board_{name}"], _href(name, window), board == name))
    return tabs


@get("/leaderboards", opt=access(Access.MEMBER, **PAGE), include_in_schema=False)
async def leaderboards(
    request: Request[Any, Any, Any],
    db: Db,
    principal: Me,
    now: Now,
    board: Annotated[BoardName | None, QueryParameter()] = None,
    team: Annotated[int | None, QueryParameter(ge=1, le=2**31 - 1)] = None,
    window: Annotated[WindowName, QueryParameter()] = "month",
) -> Template:
    """One leaderboard, with tabs for the others."""
    member = await db.get(Member, principal.member_id)
    assert member is not None
    mine = principal.team_ids | principal.captain_of
    found = await db.execute(
        select(Team).where(col(Team.id).in_(sorted(mine))).order_by(col(Team.id))
    )
    teams = list(found.scalars())
    chosen = board or ("team" if teams else "community")
    scope_id: int | None = None
    if chosen == "team":
        scope_id = team if team is not None else (teams[0].id if teams else None)
        if scope_id is None or scope_id not in {t.id for t in teams}:
            raise NotFound(object="team", id=scope_id or 0)
    elif chosen == "building":
        scope_id = member.building_id
    language = choose_language(request)
    t = translator(language)
    shown = None
    if chosen != "building" or scope_id is not None:
        shown = await game.leaderboard(
            db,
            member=member,
            team_ids=frozenset(mine),
            board=game.Board(chosen),
            scope_id=scope_id,
            window=rules.Window(window),
            now=now,
        )
    return await page(
        request,
        "game_leaderboards.html",
        board=chosen,
        window=window,
        shown=shown,
        members_board=chosen in ("team", "building", "community"),
        opted_out=member.leaderboard_opt_out,
        board_tabs=_board_tabs(teams, member, chosen, scope_id, window, t),
        window_tabs=[
            Tab(
                t[f"gm_window_{w}"],
                _href(chosen, w, scope_id if chosen == "team" else None),
                w == window,
            )
            for w in WINDOWS
        ],
    )


ROUTES = [leaderboards]
