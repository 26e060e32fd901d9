"""Reversing a ledger entry named by its seq, as an admin reads it off the ledger.

Only check-in credits are reversed (`checkin.reversal` does the work, once per credit): an
entry that exists but credited no check-in (a hold, a redemption, a reversal itself) is
refused with `not_reversible`, like a credit already reversed; a seq past the end of the
community's ledger is `not_found`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from checkin import reversal
from checkin.errors import NotReversible
from checkin.models import REVERSED, Checkin, Event
from ledger import service as ledger_service
from ledger.keys import KeyStore
from ledger.models import LedgerHead
from ledger.types import Entry
from organisation.auth import Principal
from organisation.errors import NotFound
from organisation.models import Community

RECENT_REVERSALS = 20


async def entry_at(session: AsyncSession, *, community: Community, seq: int) -> Entry:
    """The community's ledger entry `seq`; not_found past the ledger's end."""
    head = await session.get(LedgerHead, community.ledger_id)
    if head is None or not 1 <= seq <= head.size:
        raise NotFound(object="entry", id=seq)
    [found] = await ledger_service.entries(
        session, ledger=community.ledger_id, start_seq=seq, limit=1
    )
    return found


async def credited_checkin(
    session: AsyncSession, *, community: Community, seq: int
) -> Checkin | None:
    """The check-in whose credit is entry `seq` of the community's ledger, if any."""
    statement = select(Checkin).where(
        Checkin.community_id == community.id, Checkin.ledger_seq == seq
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def reverse_entry(
    session: AsyncSession,
    *,
    keystore: KeyStore,
    principal: Principal,
    community: Community,
    seq: int,
    reason: str,
    now: datetime,
) -> Checkin:
    """Reverse the check-in credit at `seq` with a new entry naming it; the check-in."""
    await entry_at(session, community=community, seq=seq)
    checkin = await credited_checkin(session, community=community, seq=seq)
    if checkin is None or checkin.id is None:
        raise NotReversible(seq=seq, state="not_a_credit")
    return await reversal.reverse(
        session,
        keystore=keystore,
        principal=principal,
        checkin_id=checkin.id,
        reason=reason,
        now=now,
    )


@dataclass(frozen=True)
class Reversed:
    """A reversed check-in with its event's title and activity."""

    checkin: Checkin
    event_title: str
    activity_id: str


async def recent_reversals(
    session: AsyncSession, *, community_id: int, limit: int = RECENT_REVERSALS
) -> list[Reversed]:
    """The community's latest reversals, newest first."""
    statement = (
        select(Checkin, Event.title, Event.activity_id)
        .join(Event, col(Event.id) == Checkin.event_id)
        .where(Checkin.community_id == community_id, Checkin.state == REVERSED)
        .order_by(col(Checkin.reversal_seq).desc())
        .limit(limit)
    )
    return [Reversed(c, title, activity) for c, title, activity in await session.execute(statement)]
