"""Service settings. Read from the environment only by the edges (api, cli)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATA_DIR = Path("jifen-data")


@dataclass(frozen=True)
class Settings:
    """Everything the service needs to know about its surroundings."""

    database_url: str = f"sqlite+aiosqlite:///{DEFAULT_DATA_DIR / 'jifen.sqlite3'}"
    key_dir: Path = DEFAULT_DATA_DIR / "keys"
    workers: int = 1
    session_secret: str = ""
    public_base_url: str = "http://127.0.0.1:8000"
    checkin_ttl_seconds: int = 30
    redemption_ttl_seconds: int = 120
    hold_ttl_seconds: int = 600
    max_page_size: int = 200
    max_request_body_bytes: int = 1_000_000
    login_attempts_per_minute: int = 10
    run_jobs: bool = True
    checkpoint_interval_seconds: float = 60.0
    extra: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from `JIFEN_*` variables; unset ones keep their defaults."""
        env = os.environ if environ is None else environ
        data_dir = Path(env.get("JIFEN_DATA_DIR", str(DEFAULT_DATA_DIR)))
        defaults = cls()
        return cls(
            database_url=env.get(
                "JIFEN_DATABASE_URL", f"sqlite+aiosqlite:///{data_dir / 'jifen.sqlite3'}"
            ),
            key_dir=Path(env.get("JIFEN_KEY_DIR", str(data_dir / "keys"))),
            workers=int(env.get("JIFEN_WORKERS", str(defaults.workers))),
            session_secret=env.get("JIFEN_SESSION_SECRET", ""),
            public_base_url=env.get("JIFEN_PUBLIC_BASE_URL", defaults.public_base_url),
            checkin_ttl_seconds=int(
                env.get("JIFEN_CHECKIN_TTL_SECONDS", str(defaults.checkin_ttl_seconds))
            ),
            redemption_ttl_seconds=int(
                env.get("JIFEN_REDEMPTION_TTL_SECONDS", str(defaults.redemption_ttl_seconds))
            ),
            hold_ttl_seconds=int(env.get("JIFEN_HOLD_TTL_SECONDS", str(defaults.hold_ttl_seconds))),
            run_jobs=env.get("JIFEN_RUN_JOBS", "1") != "0",
        )
