"""Every stable refusal code with its HTTP status and messages, as the README's table.

`python -m api.error_codes` prints the table; a test keeps the README's copy equal to it, so
a new refusal cannot ship undocumented.
"""

from __future__ import annotations

from dataclasses import dataclass

# Imported for their Refusal subclasses: each module below defines refusals of its own.
import checkin.errors
import ledger.errors
import organisation.errors
import redemption.errors
import rules.errors
from api.problems import status_for
from ledger.errors import Refusal

DOMAIN_MODULES = (
    ledger.errors,
    organisation.errors,
    rules.errors,
    checkin.errors,
    redemption.errors,
)


@dataclass(frozen=True)
class ErrorCode:
    code: str
    status: int
    message_en: str
    message_zh: str


# Codes the HTTP layer gives on its own (api/problems.py `_http_code`), not domain refusals.
HTTP_CODES = (
    ("method_not_allowed", 405, "This method is not allowed here.", "不支持该请求方法。"),
    ("request_too_large", 413, "The request body is too large.", "请求内容过大。"),
    ("too_many_requests", 429, "Too many attempts; wait a moment.", "尝试次数过多。请稍后再试。"),
)


def subclasses(cls: type[Refusal]) -> list[type[Refusal]]:
    found: list[type[Refusal]] = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(subclasses(sub))
    return found


def error_codes() -> list[ErrorCode]:
    """One row per code of the domain's refusals, sorted by code."""
    rows: dict[str, ErrorCode] = {}
    for refusal in subclasses(Refusal):
        if refusal.__module__ not in {module.__name__ for module in DOMAIN_MODULES}:
            continue
        rows.setdefault(
            refusal.code,
            ErrorCode(
                refusal.code, status_for(refusal.code), refusal.message_en, refusal.message_zh
            ),
        )
    for code, status, message_en, message_zh in HTTP_CODES:
        rows.setdefault(code, ErrorCode(code, status, message_en, message_zh))
    return sorted(rows.values(), key=lambda row: row.code)


def markdown_table() -> str:
    """The table the README shows between its error-codes markers."""
    lines = ["| code | HTTP | meaning | 含义 |", "| --- | --- | --- | --- |"]
    for row in error_codes():
        lines.append(f"| `{row.code}` | {row.status} | {row.message_en} | {row.message_zh} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
