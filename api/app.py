"""The application factory: one Litestar app from one Settings object."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader
from litestar.di import Provide
from litestar.logging.config import StructLoggingConfig
from litestar.middleware.logging import LoggingMiddlewareConfig
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.middleware.session.client_side import CookieBackendConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.plugins.problem_details import ProblemDetailsPlugin
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from litestar.plugins.structlog import StructlogConfig, StructlogPlugin
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import ControllerRouterHandler

from api.access import (
    ACCESS_KEY,
    Access,
    enforce_access,
    provide_optional_principal,
    provide_principal,
)
from api.context import AppContext, provide_context, provide_db, provide_now, utc_now
from api.jobs import JobRunner, PeriodicJob
from api.ledger_jobs import issue_due_checkpoints
from api.openapi_problems import ProblemDocsPlugin
from api.problems import problem_details_config
from api.routes import auth, checkin, health, ledgers, manage, me, redemption
from api.web import (
    admin_pages,
    captain_pages,
    checkin_pages,
    clerk_pages,
    game_pages,
    member_pages,
    refund_pages,
    reward_pages,
)
from api.web.render import page_refusal_handler
from api.web.security import add_security_headers
from config.database import make_engine, make_sessionmaker
from config.settings import Settings
from ledger.errors import Refusal
from ledger.keys import KeyStore
from organisation.notify import HandOverSender, SetupCodeSender

SESSION_COOKIE = "jifen_session"
CSRF_COOKIE = "jifen_csrf"
CSRF_HEADER = "x-csrftoken"
SESSION_MAX_AGE_SECONDS = 14 * 24 * 3600

ROUTES: list[ControllerRouterHandler] = [
    *health.ROUTES,
    *auth.ROUTES,
    *ledgers.ROUTES,
    *me.ROUTES,
    *manage.ROUTES,
    *checkin.ROUTES,
    *redemption.ROUTES,
]


PAGES: list[ControllerRouterHandler] = [
    *member_pages.ROUTES,
    *checkin_pages.ROUTES,
    *game_pages.ROUTES,
    *captain_pages.ROUTES,
    *clerk_pages.ROUTES,
    *reward_pages.ROUTES,
    *admin_pages.ROUTES,
    *refund_pages.ROUTES,
]
TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"


def _static_files() -> ControllerRouterHandler:
    return create_static_files_router(
        path="/static",
        directories=[STATIC],
        opt={ACCESS_KEY: Access.PUBLIC},
        cache_control=CacheControlHeader(max_age=3600),
        include_in_schema=False,
    )


class JifenMetrics(PrometheusController):
    """Prometheus metrics at /metrics (counts and latencies; no personal data)."""

    path = "/metrics"
    # Prometheus' text format is for scrapers, not part of the JSON API the schema describes.
    include_in_schema = False


def _rate_limit(settings: Settings) -> RateLimitConfig:
    # Only the routes that check a password are throttled; per client address.
    guarded = {auth.LOGIN_PATH, auth.SETUP_PATH}
    return RateLimitConfig(
        rate_limit=("minute", settings.login_attempts_per_minute),
        check_throttle_handler=lambda request: request.url.path in guarded,
    )


def create_app(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utc_now,
    sender: SetupCodeSender | None = None,
    extra_routes: Sequence[ControllerRouterHandler] = (),
) -> Litestar:
    """Build the service from its settings; tests pass their own clock and sender."""
    if len(settings.session_secret) != 64:
        raise ValueError("settings.session_secret must be 64 hex characters (32 bytes)")
    engine = make_engine(settings.database_url)
    context = AppContext(
        settings=settings,
        engine=engine,
        sessions=make_sessionmaker(engine),
        keystore=KeyStore(settings.key_dir),
        sender=sender or HandOverSender(),
        clock=clock,
    )
    runner = JobRunner(
        [
            PeriodicJob("checkpoints", settings.checkpoint_interval_seconds, issue_due_checkpoints),
            *checkin.JOBS,
            *redemption.JOBS,
        ]
    )
    secret = bytes.fromhex(settings.session_secret)
    secure_cookies = settings.public_base_url.startswith("https://")
    return Litestar(
        route_handlers=[*ROUTES, *PAGES, *extra_routes, JifenMetrics, _static_files()],
        guards=[enforce_access],
        dependencies={
            "db": Provide(provide_db),
            "context": Provide(provide_context, sync_to_thread=False),
            "now": Provide(provide_now, sync_to_thread=False),
            "principal": Provide(provide_principal),
            "caller": Provide(provide_optional_principal),
        },
        middleware=[
            CookieBackendConfig(
                secret=secret,
                key=SESSION_COOKIE,
                max_age=SESSION_MAX_AGE_SECONDS,
                secure=secure_cookies,
                samesite="lax",
            ).middleware,
            _rate_limit(settings).middleware,
            PrometheusConfig(app_name="jifen", group_path=True).middleware,
        ],
        csrf_config=CSRFConfig(
            secret=settings.session_secret,
            cookie_name=CSRF_COOKIE,
            header_name=CSRF_HEADER,
            cookie_secure=secure_cookies,
        ),
        exception_handlers={Refusal: page_refusal_handler},
        template_config=TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine),
        before_send=[add_security_headers],
        plugins=[
            ProblemDetailsPlugin(problem_details_config()),
            StructlogPlugin(_structlog_config()),
            ProblemDocsPlugin(),
        ],
        openapi_config=OpenAPIConfig(
            title="Jifen",
            version="1",
            path="/schema",
            render_plugins=[SwaggerRenderPlugin()],
        ),
        request_max_body_size=settings.max_request_body_bytes,
        state=_state(context),
        on_startup=[lambda: runner.start(context)] if settings.run_jobs else [],
        on_shutdown=[runner.stop, engine.dispose],
    )


def _structlog_config() -> StructlogConfig:
    # Log what was asked and how it ended, never headers, cookies, bodies or query strings,
    # which may carry passwords, phone numbers or session tokens.
    return StructlogConfig(
        structlog_logging_config=StructLoggingConfig(),
        middleware_logging_config=LoggingMiddlewareConfig(
            request_log_fields=["path", "method"],
            response_log_fields=["status_code"],
        ),
    )


def _state(context: AppContext) -> Any:
    from litestar.datastructures import State  # noqa: PLC0415 (only the factory builds state)

    return State({"context": context})
