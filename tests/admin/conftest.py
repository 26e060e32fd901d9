"""Admin tests reuse the ledger tests' opened ledger."""

from tests.ledger.conftest import opened  # noqa: F401 (a fixture, used by name)
