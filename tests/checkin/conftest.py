"""Fixtures for check-in tests: the API world with a clock that tests move by hand."""

from __future__ import annotations

from datetime import datetime

import pytest

from ledger.keys import KeyStore
from tests.api.world import build_world
from tests.checkin.helpers import Clock, Scene
from tests.conftest import Database


@pytest.fixture
def clock(now: datetime) -> Clock:
    """A clock that starts at the fixed test moment and moves only when a test moves it."""
    return Clock(now)


@pytest.fixture
async def scene(db: Database, keystore: KeyStore, clock: Clock) -> Scene:
    """Two communities with one person per role (tests/api/world.py) on the test clock."""
    world = await build_world(db, keystore, clock.now)
    world.clock = clock
    return Scene(world, clock)
