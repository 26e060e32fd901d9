"""Security headers on every response: a strict content security policy for the pages.

Pages load scripts, styles, images and fonts from this service only; nothing from other
hosts. The interactive API documentation under /schema loads its viewer from a CDN and is
therefore left without the policy (it is a developer page, not one people use).
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "connect-src 'self'",
        "font-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
UNPOLICED_PREFIX = "/schema"


async def add_security_headers(message: Message, scope: Scope) -> None:
    """before_send hook: add the headers when the response starts."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    if not str(scope.get("path", "")).startswith(UNPOLICED_PREFIX):
        headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
