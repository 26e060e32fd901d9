"""Document the problem details every API operation may answer, in one place.

Refusals and HTTP errors are RFC 9457 problem details (api/problems.py) with the media type
`application/problem+json`. Without this, the schema would promise litestar's default 400
body (`status_code`, `detail`) and no other error status, and clients generated from it
(or schemathesis) would find undocumented answers on every route.

The plugin sees each route as it is registered and adds the problem responses to the
app's own copy of each handler (litestar copies handlers on registration, so the route
modules' handler objects are left alone). Responses a handler documents itself win.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec
from litestar.openapi.datastructures import ResponseSpec
from litestar.plugins import ReceiveRoutePlugin
from litestar.routes import BaseRoute, HTTPRoute

PROBLEM_MEDIA_TYPE = "application/problem+json"


class Problem(msgspec.Struct):
    """RFC 9457 problem details with Jifen's stable `code`.

    Refusals add `message_zh`, `message_en` and their details (which field, which id);
    request validation adds `errors`.
    """

    type: str
    title: str
    status: int
    code: str
    detail: str | None = None


_DESCRIPTIONS: Mapping[int, str] = {
    400: "The request is not valid (code invalid_input or a more specific one).",
    401: "Not logged in (not_authenticated), or wrong credentials (bad_credentials).",
    403: "The route's access rule excludes the caller, or the CSRF token is missing.",
    404: "No such object, or one outside the caller's scope (code not_found and others).",
    409: "Refused because of the current state (the code says which refusal).",
    413: "The request body is too large.",
    429: "Too many attempts; try again later.",
}


def problem_responses() -> dict[int, ResponseSpec]:
    """The problem responses any route may answer (even public ones: a wrong password is 401)."""
    return {
        status: ResponseSpec(
            data_container=Problem,
            media_type=PROBLEM_MEDIA_TYPE,
            description=description,
            generate_examples=False,
        )
        for status, description in _DESCRIPTIONS.items()
    }


class ProblemDocsPlugin(ReceiveRoutePlugin):
    """Adds the problem responses to every documented HTTP handler of the app."""

    def receive_route(self, route: BaseRoute) -> None:
        if not isinstance(route, HTTPRoute):
            return
        for handler in route.route_handlers:
            if not handler.include_in_schema:
                continue
            handler.responses = {**problem_responses(), **(handler.responses or {})}
