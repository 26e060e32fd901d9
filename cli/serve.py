"""`jifen serve`: run the service with uvicorn, configured from the environment."""

from __future__ import annotations

import os
import secrets
from dataclasses import replace
from pathlib import Path

import uvicorn

from config.settings import Settings

SECRET_FILE = "session.secret"  # noqa: S105 (a file name, not a secret)


def ensure_session_secret(settings: Settings) -> Settings:
    """Settings with a session secret: the configured one, or one kept in the data directory.

    The secret signs login cookies, so it must survive restarts and be the same in every
    worker; without JIFEN_SESSION_SECRET it is generated once next to the key directory.
    """
    if settings.session_secret:
        return settings
    path = Path(settings.key_dir).parent / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return replace(settings, session_secret=path.read_text().strip())


def serve(settings: Settings, *, host: str, port: int) -> int:
    """Run until interrupted; workers are separate processes building the app themselves."""
    settings = ensure_session_secret(settings)
    # Worker processes read their settings from the environment, like any deployment.
    os.environ["JIFEN_SESSION_SECRET"] = settings.session_secret
    os.environ["JIFEN_DATABASE_URL"] = settings.database_url
    os.environ["JIFEN_KEY_DIR"] = str(settings.key_dir)
    uvicorn.run(
        "api.asgi:create_app_from_environ",
        factory=True,
        host=host,
        port=port,
        workers=settings.workers,
        log_level="warning",
        proxy_headers=True,
    )
    return 0
