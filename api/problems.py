"""One place maps refusals to HTTP: RFC 9457 problem details carrying the stable code."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.plugins.problem_details import ProblemDetailsConfig, ProblemDetailsException

from api.context import request_language
from ledger.errors import Refusal

PROBLEM_TYPE_PREFIX = "urn:jifen:problem:"
DEFAULT_REFUSAL_STATUS = 409

STATUS_BY_CODE: Mapping[str, int] = {
    "not_found": 404,
    "ledger_not_found": 404,
    "account_not_found": 404,
    "hold_not_found": 404,
    "checkpoint_not_found": 404,
    "not_authenticated": 401,
    "bad_credentials": 401,
    "forbidden": 403,
    "invalid_input": 400,
    "invalid_posting": 400,
    "invalid_proof_request": 400,
    "weak_password": 400,
    "setup_code_invalid": 400,
    "same_account": 400,
    "ruleset_invalid": 400,
    "too_many_requests": 429,
    "token_malformed": 400,
    "token_unknown_key": 400,
    "token_bad_signature": 400,
    "wrong_community": 403,
    "not_team_member": 403,
    "self_approval": 403,
    "ruleset_not_found": 404,
    "code_malformed": 400,
    "code_bad_signature": 400,
    "code_unknown_key": 400,
}


def status_for(code: str) -> int:
    """The HTTP status of a refusal code; refusals about state are conflicts (409)."""
    return STATUS_BY_CODE.get(code, DEFAULT_REFUSAL_STATUS)


def refusal_problem(refusal: Refusal, language: str = "zh") -> ProblemDetailsException:
    """The problem details of a refusal: the code, both messages and its details."""
    extra: dict[str, Any] = {
        "code": refusal.code,
        "message_zh": refusal.message_zh,
        "message_en": refusal.message_en,
        **{k: v for k, v in refusal.details.items() if k not in ("code", "status")},
    }
    return ProblemDetailsException(
        status_code=status_for(refusal.code),
        type_=PROBLEM_TYPE_PREFIX + refusal.code,
        title=refusal.message(language),
        detail=refusal.message(language),
        extra=extra,
    )


def refusal_handler(request: Request[Any, Any, Any], refusal: Refusal) -> Response[Any]:
    """Exception handler: the refusal as problem details in the client's language."""
    return refusal_problem(refusal, request_language(request)).to_response(request)


def _http_to_problem(exc: HTTPException) -> ProblemDetailsException:
    code = "invalid_input" if isinstance(exc, ValidationException) else _http_code(exc)
    extra: dict[str, Any] = {"code": code}
    if isinstance(exc.extra, dict | list) and exc.extra:
        extra["errors"] = exc.extra
    return ProblemDetailsException(
        status_code=exc.status_code,
        type_=PROBLEM_TYPE_PREFIX + code,
        title=exc.detail,
        detail=exc.detail,
        extra=extra,
        headers=exc.headers,
    )


def _http_code(exc: HTTPException) -> str:
    return {
        400: "invalid_input",
        401: "not_authenticated",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        413: "request_too_large",
        429: "too_many_requests",
    }.get(exc.status_code, "http_error")


def problem_details_config() -> ProblemDetailsConfig:
    """Refusals and every HTTP error become problem details."""
    return ProblemDetailsConfig(
        enable_for_all_http_exceptions=True,
        exception_to_problem_detail_map={HTTPException: _http_to_problem},
    )
