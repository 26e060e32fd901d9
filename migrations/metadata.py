"""Every table of the service, gathered for Alembic."""

from sqlmodel import SQLModel

import ledger.models  # noqa: F401 (imported for its tables)

metadata = SQLModel.metadata
