"""Pages of results with a hard maximum size."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

import msgspec
from litestar.params import QueryParameter

MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50

T = TypeVar("T")

Limit = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE, description="at most 200")]
Offset = Annotated[int, QueryParameter(ge=0, le=1_000_000)]


class Page(msgspec.Struct, Generic[T]):
    """Items of one page and the cursor of the next (None on the last page)."""

    items: list[T]
    next: int | None
