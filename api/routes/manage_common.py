"""Shared parts of the management endpoints: ids, texts, paging and scope checks.

Every management path names its community (`/api/v1/communities/{community_id}/...`) or its
sub-district (`/api/v1/sub-districts/{sub_district_id}/...`). The handler first checks that
the caller administers (or, for reads, audits) that scope, then loads each object with
`get_in_community`, so an id from another community answers 404 exactly like an id that
does not exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated

import msgspec
from litestar.params import PathParameter, QueryParameter

from organisation.auth import Principal
from organisation.errors import NotFound

# Row ids are 32-bit integer columns; larger numbers could never name a row.
MAX_ID = 2**31 - 1
# Printable text without control characters, not starting or ending with a space.
TEXT_PATTERN = r"^[^\x00-\x20\x7f](?:[^\x00-\x1f\x7f]*[^\x00-\x20\x7f])?$"
OPTIONAL_TEXT_PATTERN = r"^(?:[^\x00-\x20\x7f](?:[^\x00-\x1f\x7f]*[^\x00-\x20\x7f])?)?$"

Id = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]
PathId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
After = Annotated[
    int | None, QueryParameter(ge=1, le=MAX_ID, description="the `next` of the previous page")
]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=TEXT_PATTERN)]
OptionalText100 = Annotated[str, msgspec.Meta(max_length=100, pattern=OPTIONAL_TEXT_PATTERN)]
OptionalText200 = Annotated[str, msgspec.Meta(max_length=200, pattern=OPTIONAL_TEXT_PATTERN)]


def require_district_admin(principal: Principal, sub_district_id: int) -> None:
    """District admins of this sub-district only; anyone else sees nothing there."""
    if sub_district_id not in principal.district_admin_of:
        raise NotFound(object="sub_district", id=sub_district_id)


def sees_personal_data(principal: Principal, community_id: int) -> bool:
    """Personal data is for the admins of the member's community (and the member)."""
    return community_id in principal.admin_of


def next_cursor(ids: Sequence[int], limit: int) -> int | None:
    """The `after` of the next page: the last id of a full page, else None."""
    return ids[-1] if len(ids) == limit and ids else None


def utc(moment: datetime) -> datetime:
    """A stored moment as an aware UTC datetime (SQLite hands them back naive)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
