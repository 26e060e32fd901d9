"""Sending set-up codes to people. Only this interface leaves the machine; tests stub it."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol

logger = logging.getLogger(__name__)


class SetupCodeSender(Protocol):
    """Delivers a one-time set-up code (by SMS, on paper, ...)."""

    async def send(self, *, member_id: int, phone: str | None, code: str) -> None: ...


@dataclass
class HandOverSender:
    """No SMS gateway: the admin hands the code over; this only records that one was made."""

    sent: list[int] = field(default_factory=list)

    async def send(self, *, member_id: int, phone: str | None, code: str) -> None:  # noqa: ARG002 (the code is shown to the admin, never logged)
        self.sent.append(member_id)
        logger.info("set-up code issued for member %s", member_id)
