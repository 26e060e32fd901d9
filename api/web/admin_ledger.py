"""The community's ledger: reversing a mistaken credit by its seq, and its signing keys.

A reversal is a new entry that moves a check-in's credited points back and names the
original; it is refused (and nothing changes) for an entry that credited no check-in, a
credit already reversed, or points the member has spent. Keys: the ledger key signs entries
from the next seq on after a rotation; the purpose keys sign check-in codes, members'
personal codes and redemption codes, and a replaced one keeps verifying codes already shown
for a grace period.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, get, post
from litestar.params import QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from admin import reversals
from api.access import Access, access
from api.deps import Context, Db, Me, Now
from api.routes.checkin_schemas import RejectIn
from api.web.admin_common import (
    BASE,
    PAGE,
    Done,
    PathId,
    Scope,
    admin_page,
    admin_scope,
    attempt,
    form_of,
    parse,
    person,
    staff_scope,
    whole_number,
)
from checkin import tokens
from checkin.models import Checkin, Event
from ledger import keyring
from ledger import service as ledger_service
from ledger.errors import Refusal
from ledger.models import LedgerHead
from ledger.types import Entry
from organisation.errors import InvalidInput
from organisation.models import Member
from redemption import codes as redemption_codes

Seq = Annotated[int | None, QueryParameter(ge=1, le=2**53 - 1)]
PURPOSES = (
    keyring.LEDGER_PURPOSE,
    tokens.Kind.EVENT.purpose,
    tokens.Kind.MEMBER.purpose,
    redemption_codes.PURPOSE,
)


class PurposeIn(msgspec.Struct, forbid_unknown_fields=True):
    """Which key to rotate."""

    purpose: Literal["ledger", "checkin", "member-code", "redemption"]


def _order(purpose: str) -> int:
    return PURPOSES.index(purpose) if purpose in PURPOSES else len(PURPOSES)


@dataclass(frozen=True)
class Preview:
    """What the entry at a seq is: the entry, the check-in it credited and whose it was, or
    why there is no such entry."""

    entry: Entry | None = None
    checkin: Checkin | None = None
    event: Event | None = None
    member: Member | None = None
    missing: Refusal | None = None


async def _preview(db: AsyncSession, scope: Scope, seq: int) -> Preview:
    try:
        entry = await reversals.entry_at(db, community=scope.community, seq=seq)
    except Refusal as refusal:
        return Preview(missing=refusal)
    checkin = await reversals.credited_checkin(db, community=scope.community, seq=seq)
    if checkin is None:
        return Preview(entry=entry)
    event = await db.get(Event, checkin.event_id)
    return Preview(entry, checkin, event, await db.get(Member, checkin.member_id))


async def _reversals_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    scope: Scope,
    *,
    seq: int | None = None,
    refusal: Refusal | None = None,
    values: dict[str, str] | None = None,
    done: str | None = None,
) -> Template:
    preview = await _preview(db, scope, seq) if seq is not None else Preview()
    recent = await reversals.recent_reversals(db, community_id=scope.id)
    people = {
        m.id: m
        for m in (
            await db.execute(
                select(Member).where(
                    col(Member.id).in_(
                        {r.checkin.member_id for r in recent}
                        | {r.checkin.reversed_by for r in recent}
                    )
                )
            )
        ).scalars()
    }
    return await admin_page(
        request,
        scope,
        "admin_reversals.html",
        section="reversals",
        seq=seq,
        entry=preview.entry,
        checkin=preview.checkin,
        event=preview.event,
        member_label=person(preview.member, scope.can_edit),
        missing=preview.missing,
        recent=recent,
        label={i: person(m, scope.can_edit) for i, m in people.items()},
        refusal=refusal,
        values=values,
        done=done,
    )


@get(BASE + "/reversals", opt=access(Access.STAFF, **PAGE), include_in_schema=False)
async def reversals_page(
    request: Request[Any, Any, Any],
    community_id: PathId,
    db: Db,
    principal: Me,
    seq: Seq = None,
    done: Done = None,
) -> Template:
    """Look an entry up by seq (what it is and what it credited), reverse it, and the
    latest reversals."""
    scope = await staff_scope(db, principal, community_id)
    return await _reversals_page(request, db, scope, seq=seq, done=done)


@post(BASE + "/reversals", opt=access(Access.ADMIN, **PAGE), include_in_schema=False)
async def reverse(
    request: Request[Any, Any, Any],
    community_id: PathId,
    db: Db,
    principal: Me,
    context: Context,
    now: Now,
) -> Template | Redirect:
    """Reverse the check-in credit at a seq, with a reason kept beside the check-in."""
    scope = await admin_scope(db, principal, community_id)
    fields = await form_of(request)
    seq: int | None = None

    async def run() -> Checkin:
        nonlocal seq
        seq = whole_number(fields.get("seq"), "seq")
        if seq is None or seq < 1:
            raise InvalidInput("seq: required", field="seq")
        reason = parse(RejectIn, {"reason": fields.get("reason", "")}).reason
        return await reversals.reverse_entry(
            db,
            keystore=context.keystore,
            principal=principal,
            community=scope.community,
            seq=seq,
            reason=reason,
            now=now,
        )

    outcome = await attempt(db, run)
    if isinstance(outcome, Refusal):
        return await _reversals_page(request, db, scope, seq=seq, refusal=outcome, values=fields)
    return Redirect(f"{scope.base}/reversals?seq={seq}&done=reversed", status_code=303)


async def _keys_page(
    request: Request[Any, Any, Any], db: AsyncSession, scope: Scope, done: str | None
) -> Template:
    keys = await keyring.list_keys(db, scope=scope.community.ledger_id)
    head = await db.get(LedgerHead, scope.community.ledger_id)
    return await admin_page(
        request,
        scope,
        "admin_keys.html",
        section="keys",
        keys=sorted(keys, key=lambda k: (_order(k.purpose), k.valid_from)),
        purposes=PURPOSES,
        size=head.size if head is not None else 0,
        done=done,
    )


@get(BASE + "/keys", opt=access(Access.STAFF, **PAGE), include_in_schema=False)
async def keys_page(
    request: Request[Any, Any, Any], community_id: PathId, db: Db, principal: Me, done: Done = None
) -> Template:
    """Every signing key of the community's ledger with its purpose and validity."""
    scope = await staff_scope(db, principal, community_id)
    return await _keys_page(request, db, scope, done)


@post(BASE + "/keys/rotate", opt=access(Access.ADMIN, **PAGE), include_in_schema=False)
async def rotate_key(
    request: Request[Any, Any, Any],
    community_id: PathId,
    db: Db,
    principal: Me,
    context: Context,
    now: Now,
) -> Redirect:
    """Start signing with a new key of the chosen purpose."""
    scope = await admin_scope(db, principal, community_id)
    purpose = parse(PurposeIn, await form_of(request)).purpose
    ledger = scope.community.ledger_id
    if purpose == keyring.LEDGER_PURPOSE:
        await ledger_service.rotate_key(db, keystore=context.keystore, ledger=ledger, now=now)
    else:
        await keyring.rotate_purpose_key(
            db, keystore=context.keystore, scope=ledger, purpose=purpose, now=now
        )
    return Redirect(f"{scope.base}/keys?done=rotated", status_code=303)


ROUTES = [reversals_page, reverse, keys_page, rotate_key]
