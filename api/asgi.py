"""ASGI entry point for servers started by import string (several worker processes).

`uvicorn --factory api.asgi:create_app_from_environ` builds the app from JIFEN_* variables.
"""

from __future__ import annotations

from litestar import Litestar

from api.app import create_app
from config.settings import Settings


def create_app_from_environ() -> Litestar:
    """The service configured from the environment."""
    return create_app(Settings.from_environ())
