"""Rendering pages: the language, the words, the caller, and errors as pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.response import Redirect, Template

from api.access import principal_of
from api.problems import refusal_handler, status_for
from api.web.i18n import choose_language, translator
from ledger.errors import Refusal
from organisation.errors import NotAuthenticated

PAGE_KEY = "page"


async def page(request: Request[Any, Any, Any], template: str, **context: Any) -> Template:
    """A page in the caller's language with the words, the caller and the CSRF field."""
    language = choose_language(request)
    return Template(
        template_name=template,
        context={
            "lang": language,
            "t": translator(language),
            "me": await principal_of(request),
            "path": request.url.path,
            **context,
        },
    )


def login_redirect(request: Request[Any, Any, Any]) -> Redirect:
    """Send someone who is not logged in to the login page, and back here afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(f"/login?next={quote(target, safe='')}")


def page_refusal_handler(request: Request[Any, Any, Any], refusal: Refusal) -> Response[Any]:
    """Refusals on pages become a login redirect or an error page; on the API, problems."""
    if not request.route_handler.opt.get(PAGE_KEY):
        return refusal_handler(request, refusal)
    if isinstance(refusal, NotAuthenticated):
        return login_redirect(request)
    language = choose_language(request)
    return Template(
        template_name="error.html",
        context={
            "lang": language,
            "t": translator(language),
            "me": None,
            "path": request.url.path,
            "message": refusal.message(language),
            "code": refusal.code,
        },
        status_code=status_for(refusal.code),
    )
