"""Fixtures for API tests."""

from __future__ import annotations

from datetime import datetime

import pytest

from ledger.keys import KeyStore
from tests.api.world import World, build_world
from tests.conftest import Database


@pytest.fixture
async def world(db: Database, keystore: KeyStore, now: datetime) -> World:
    """Two communities with one person per role, on the current backend."""
    return await build_world(db, keystore, now)
