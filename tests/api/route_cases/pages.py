"""Role-matrix rows of the pages (api/web/*_pages.py) and the static files.

A page a caller may not see answers like a page, not like the API: anonymous callers are
redirected to the login page (302), and a refusal is an HTML error page with the status the
refusal would have on the API.
"""

from __future__ import annotations

from api.access import Access
from tests.api.route_cases.base import ANONYMOUS, EVERYONE, Call, RouteCase
from tests.api.scene import Scene
from tests.api.world import PASSWORD

LOGIN_REDIRECT = 302
MEMBERS_SEE = frozenset(EVERYONE - {ANONYMOUS})


def _login_form(scene: Scene, role: str | None) -> Call:
    # Anyone may log in; an anonymous caller logs in as the resident.
    login = {"identifier": scene.world.username(role or "resident"), "password": PASSWORD}
    return Call("/login", form={**login, "next": "/"})


def _member_page(path: str) -> RouteCase:
    return RouteCase(
        "GET",
        path,
        Access.MEMBER,
        scope=MEMBERS_SEE,
        prepare=lambda _s, _r: Call(path),
        expect={ANONYMOUS: LOGIN_REDIRECT},
    )


CASES: list[RouteCase] = [
    RouteCase("GET", "/login", Access.PUBLIC, prepare=lambda _s, _r: Call("/login")),
    RouteCase("POST", "/login", Access.PUBLIC, ok=303, prepare=_login_form, copied_client=True),
    RouteCase(
        "POST",
        "/logout",
        Access.MEMBER,
        ok=303,
        scope=MEMBERS_SEE,
        prepare=lambda _s, _r: Call("/logout", form={}),
        expect={ANONYMOUS: LOGIN_REDIRECT},
        fresh_client=True,
    ),
    RouteCase(
        "GET",
        "/lang/{language:str}",
        Access.PUBLIC,
        ok=302,
        prepare=lambda _s, _r: Call("/lang/en", params={"next": "/"}),
        copied_client=True,  # sets the language cookie
    ),
    _member_page("/"),
    _member_page("/history"),
    RouteCase(
        "GET",
        "/static/{file_path:path}",
        Access.PUBLIC,
        prepare=lambda _s, _r: Call("/static/app.css"),
    ),
    RouteCase(
        "HEAD",
        "/static/{file_path:path}",
        Access.PUBLIC,
        prepare=lambda _s, _r: Call("/static/app.css"),
    ),
]
