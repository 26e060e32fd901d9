"""Every table of the service, gathered for Alembic."""

from sqlmodel import SQLModel

import checkin.models  # noqa: F401 (imported for its tables)
import ledger.models  # noqa: F401 (imported for its tables)
import organisation.models  # noqa: F401 (imported for its tables)
import redemption.models  # noqa: F401 (imported for its tables)

metadata = SQLModel.metadata
