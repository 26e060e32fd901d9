"""Names of the injected dependencies; a handler parameter's name selects what it gets.

`db` (a session in a transaction), `context` (the AppContext), `now` (the clock's time),
`principal` (the logged-in member; the guard refuses anonymous callers first) and `caller`
(the logged-in member or None, for public routes).
"""

from __future__ import annotations

from datetime import datetime

from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from api.context import AppContext
from organisation.auth import Principal

Db = NamedDependency[AsyncSession]
Context = NamedDependency[AppContext]
Now = NamedDependency[datetime]
Me = NamedDependency[Principal]
Caller = NamedDependency[Principal | None]
