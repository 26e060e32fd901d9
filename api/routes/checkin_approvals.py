"""Approvals over HTTP: pending check-ins, approve and reject (one or many), reversal.

Access: captains of the check-in's team and admins of its community decide (404 for any
other check-in; `self_approval` for one's own); only admins of the community reverse a
credit.
"""

from __future__ import annotations

from typing import Annotated

from litestar import get, post
from litestar.params import FromPath, JSONBody, QueryParameter

from api.access import Access, access
from api.deps import Context, Db, Me, Now
from api.pagination import Limit, Offset, Page
from api.routes.checkin_schemas import (
    CheckinOut,
    DecisionIn,
    DecisionItemOut,
    RejectIn,
    RejectManyIn,
    checkin_out,
    decision_item,
    row_out,
)
from checkin import approval, listing, reversal

TAGS = ["approvals"]


@get("/api/v1/approvals/pending", opt=access(Access.MEMBER), tags=TAGS)
async def pending(
    db: Db,
    principal: Me,
    team_id: Annotated[int | None, QueryParameter(ge=1)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[CheckinOut]:
    """Pending check-ins of the teams I captain (all teams of communities I run), oldest
    first; auto-closed ones (no check-out) are flagged."""
    rows = await listing.pending_for(
        db, principal=principal, team_id=team_id, limit=limit, offset=offset
    )
    following = offset + limit if len(rows) == limit else None
    return Page(items=[row_out(r) for r in rows], next=following)


@post(
    "/api/v1/checkins/{checkin_id:int}/approve",
    opt=access(Access.MEMBER),
    tags=TAGS,
    status_code=200,
)
async def approve(
    checkin_id: FromPath[int], db: Db, principal: Me, context: Context, now: Now
) -> CheckinOut:
    """Approve a check-in: the rules compute its points and the credit is appended."""
    checkin = await approval.approve(
        db, keystore=context.keystore, principal=principal, checkin_id=checkin_id, now=now
    )
    return checkin_out(checkin)


@post(
    "/api/v1/checkins/{checkin_id:int}/reject",
    opt=access(Access.MEMBER),
    tags=TAGS,
    status_code=200,
)
async def reject(
    checkin_id: FromPath[int], data: JSONBody[RejectIn], db: Db, principal: Me, now: Now
) -> CheckinOut:
    """Reject a pending check-in with a reason the member will read."""
    checkin = await approval.reject(
        db, principal=principal, checkin_id=checkin_id, reason=data.reason, now=now
    )
    return checkin_out(checkin)


@post("/api/v1/approvals/approve", opt=access(Access.MEMBER), tags=TAGS, status_code=200)
async def approve_many(
    data: JSONBody[DecisionIn], db: Db, principal: Me, context: Context, now: Now
) -> list[DecisionItemOut]:
    """Approve up to 200 check-ins; each is approved or refused on its own."""
    outcomes = await approval.approve_many(
        db, keystore=context.keystore, principal=principal, checkin_ids=data.checkin_ids, now=now
    )
    return [decision_item(o.checkin_id, o.checkin, o.refusal) for o in outcomes]


@post("/api/v1/approvals/reject", opt=access(Access.MEMBER), tags=TAGS, status_code=200)
async def reject_many(
    data: JSONBody[RejectManyIn], db: Db, principal: Me, now: Now
) -> list[DecisionItemOut]:
    """Reject up to 200 check-ins with one reason; each is rejected or refused on its own."""
    outcomes = await approval.reject_many(
        db, principal=principal, checkin_ids=data.checkin_ids, reason=data.reason, now=now
    )
    return [decision_item(o.checkin_id, o.checkin, o.refusal) for o in outcomes]


@post(
    "/api/v1/checkins/{checkin_id:int}/reverse",
    opt=access(Access.ADMIN),
    tags=TAGS,
    status_code=200,
)
async def reverse(
    checkin_id: FromPath[int],
    data: JSONBody[RejectIn],
    db: Db,
    principal: Me,
    context: Context,
    now: Now,
) -> CheckinOut:
    """Reverse a mistaken credit with a new entry (refused if the points were spent)."""
    checkin = await reversal.reverse(
        db,
        keystore=context.keystore,
        principal=principal,
        checkin_id=checkin_id,
        reason=data.reason,
        now=now,
    )
    return checkin_out(checkin)


ROUTES = [pending, approve, reject, approve_many, reject_many, reverse]
