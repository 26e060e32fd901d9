"""Crediting an approved check-in: the facts, the member's history, the rules, the ledger.

The facts: the event's activity; the time served, from check-in to check-out clamped to the
event's times (for check-out events), or the event's own times; the member's role at the
event (organiser if they created it, captain if they captain its team, else volunteer); and
the event's local date, so everyone at an event earns on the same date. The history: the
member's earlier approved check-ins in the community with the points they were given
(reversed ones no longer count). The community's active rule set turns these into an award,
whose points are appended to the ledger (`checkin.credit`, issuance -> member, ref
`checkin/{id}`, so a repeated approval cannot credit twice) and whose explanation in both
languages is kept on the check-in row. A zero-point award appends nothing (the ledger moves
at least one point) and is recorded on the row all the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

import rules
from checkin import rulesets
from checkin.errors import CheckoutPending
from checkin.models import APPROVED, CLOSED, Checkin, Event
from checkin.times import as_utc
from ledger import service as ledger_service
from ledger.keys import KeyStore
from ledger.types import Posting
from organisation.models import Community, Member, RoleGrant
from organisation.pseudonyms import ISSUANCE_ACCOUNT

CREDIT_KIND = "checkin.credit"
MAX_EXPLANATION_CHARS = 500

checkins_table: Table = Checkin.__table__  # type: ignore[attr-defined]
grants_table: Table = RoleGrant.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Approver:
    """Who approves: a member (with their pseudonymous account) or the rules themselves."""

    member_id: int | None
    account: str


def credit_ref(checkin_id: int) -> str:
    return f"checkin/{checkin_id}"


async def role_at(session: AsyncSession, checkin: Checkin, event: Event) -> rules.Role:
    """The member's role at the event."""
    if event.created_by == checkin.member_id:
        return rules.Role.ORGANISER
    captain = exists().where(
        grants_table.c.member_id == checkin.member_id,
        grants_table.c.role == "captain",
        grants_table.c.team_id == event.team_id,
        grants_table.c.revoked_at.is_(None),
    )
    if (await session.execute(select(captain))).scalar_one():
        return rules.Role.CAPTAIN
    return rules.Role.VOLUNTEER


def served(checkin: Checkin, event: Event, now: datetime) -> tuple[datetime, datetime, bool]:
    """From, to, and whether the check-in was closed at the event's end without a check-out.

    A check-out event's check-in without a check-out is not approved while the event runs
    (`checkout_pending`); once it is over it counts until the close or the end.
    """
    starts, ends = as_utc(event.starts_at), as_utc(event.ends_at)
    if not event.checkout_required:
        return starts, ends, False
    if checkin.checked_out_at is None:
        if event.state != CLOSED and now < ends:
            raise CheckoutPending(checkin_id=checkin.id or 0)
        closed_at = as_utc(event.closed_at) if event.closed_at is not None else ends
        out, auto_closed = closed_at, True
    else:
        out, auto_closed = as_utc(checkin.checked_out_at), checkin.auto_closed
    began = max(as_utc(checkin.checked_in_at), starts)
    return began, max(began, min(out, ends)), auto_closed


async def history(
    session: AsyncSession, *, member_id: int, community_id: int, excluding: int
) -> rules.History:
    """The member's approved check-ins in the community (but one) as the rules' history."""
    statement = (
        select(Checkin, col(Event.activity_id))
        .join(Event, col(Event.id) == col(Checkin.event_id))
        .where(
            col(Checkin.member_id) == member_id,
            col(Checkin.community_id) == community_id,
            col(Checkin.state) == APPROVED,
            col(Checkin.id) != excluding,
        )
    )
    awards = [
        rules.PastAward(
            local_date=row.local_date,
            activity_id=activity_id,
            points=row.points,
            duration_minutes=row.duration_minutes,
            team_id=str(row.team_id),
        )
        for row, activity_id in await session.execute(statement)
        if row.local_date is not None and row.points is not None
    ]
    return rules.History(awards=tuple(awards))


async def evaluate(
    session: AsyncSession, *, checkin: Checkin, now: datetime
) -> tuple[rules.Award, rules.Role, datetime, bool]:
    """The award for a pending check-in under the rules in force, its role, the end of the
    time served and whether it was auto-closed; refusals (`checkout_pending`,
    `unknown_activity`) before anything is written."""
    event = await session.get(Event, checkin.event_id)
    assert event is not None
    started, ended, auto_closed = served(checkin, event, now)
    active = await rulesets.active(session, community_id=checkin.community_id)
    if active.version is None:  # keep the default's text retrievable by the hash it credits
        await rulesets.store_text(
            session, ruleset=active.ruleset, text=rulesets.default_text(), now=now
        )
    role = await role_at(session, checkin, event)
    facts = rules.Facts(
        activity_id=event.activity_id,
        role=role,
        local_date=as_utc(event.starts_at).astimezone(active.ruleset.zone).date(),
        started_at=started,
        ended_at=ended,
    )
    past = await history(
        session,
        member_id=checkin.member_id,
        community_id=checkin.community_id,
        excluding=checkin.id or 0,
    )
    return rules.evaluate(facts, past, active.ruleset), role, ended, auto_closed


async def credit(
    session: AsyncSession,
    *,
    keystore: KeyStore,
    checkin: Checkin,
    approver: Approver,
    award: rules.Award,
    now: datetime,
) -> int | None:
    """Append the award's credit (nothing for zero points); the entry's seq."""
    if award.points == 0:
        return None
    member = await session.get(Member, checkin.member_id)
    community = await session.get(Community, checkin.community_id)
    assert member is not None
    assert community is not None
    assert checkin.id is not None
    posting = Posting(
        kind=CREDIT_KIND,
        debit=ISSUANCE_ACCOUNT,
        credit=member.account,
        amount=award.points,
        ref=credit_ref(checkin.id),
        meta={
            "checkin": checkin.id,
            "token_sha256": checkin.token_sha256,
            "approver": approver.account,
            "rules": award.ruleset_hash,
        },
    )
    appended = await ledger_service.append(
        session, keystore=keystore, ledger=community.ledger_id, posting=posting, now=now
    )
    return appended.entry.seq


async def keep_award(
    session: AsyncSession,
    *,
    checkin: Checkin,
    award: rules.Award,
    role: rules.Role,
    ended: datetime,
    auto_closed: bool,
    automatic: bool,
    seq: int | None,
) -> None:
    """Record the award on the check-in row, for the member's history."""
    event = await session.get(Event, checkin.event_id)
    assert event is not None
    await session.execute(
        update(checkins_table)
        .where(checkins_table.c.id == checkin.id)
        .values(
            auto_approved=automatic,
            auto_closed=auto_closed,
            checked_out_at=ended if event.checkout_required else checkin.checked_out_at,
            role=role.value,
            local_date=award.local_date,
            duration_minutes=award.duration_minutes,
            points=award.points,
            explanation_zh=award.explanation("zh")[:MAX_EXPLANATION_CHARS],
            explanation_en=award.explanation("en")[:MAX_EXPLANATION_CHARS],
            ruleset_hash=award.ruleset_hash,
            ledger_seq=seq,
        )
    )
