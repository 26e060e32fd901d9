"""Scans over HTTP: the venue code, check-out, personal codes, offline uploads, my check-ins.

Access: a logged-in member scans the venue code (`POST /api/v1/checkins`, `/checkouts`);
captains of the event's team and admins scan personal codes and upload offline scans (404
for other events); a member asks for their own personal code, and a captain of one of the
member's teams or an admin prints one for a neighbour without a phone.
`GET /api/v1/checkin-codes/{token}` is public: it verifies the code and describes the event,
and changes nothing. (`GET /c/{token}`, the URL in the venue's QR code, is the check-in
page: api/web/checkin_pages.py.)

Scans open their own transactions (`checkin.recording.run_recorded`) instead of the `db`
dependency: a refused scan is rolled back and its refusal filed in a second transaction.
"""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import Access, access
from api.deps import Caller, Context, Db, Me, Now
from api.pagination import Limit, Offset, Page
from api.routes.checkin_schemas import (
    CheckinOut,
    MemberCodeIn,
    MemberCodeOut,
    OfflineItemOut,
    OfflineUploadIn,
    PersonalScanIn,
    PreviewOut,
    ScanIn,
    checkin_out,
    event_out,
    row_out,
)
from checkin import listing, personal, recording, scans
from checkin.refusals import Attempt
from organisation.models import Member

TAGS = ["checkins"]
CHECKINS_PATH = "/api/v1/checkins"
CHECKOUTS_PATH = "/api/v1/checkouts"
CODES_PATH = "/api/v1/checkin-codes"


def _answer(result: scans.ScanResult) -> Response[CheckinOut]:
    """201 for a new check-in (or check-out), 200 showing the one already recorded."""
    status = 200 if result.existing else 201
    return Response(checkin_out(result.checkin, existing=result.existing), status_code=status)


@post(CHECKINS_PATH, opt=access(Access.MEMBER), tags=TAGS)
async def check_in(data: JSONBody[ScanIn], context: Context, principal: Me) -> Response[CheckinOut]:
    """Check in with the venue's code; scanning again shows the existing check-in."""
    now = context.clock()

    async def operation(session: AsyncSession) -> scans.ScanResult:
        return await scans.check_in(
            session,
            keystore=context.keystore,
            token=data.token,
            member_id=principal.member_id,
            community_id=principal.community_id,
            ttl_seconds=context.settings.checkin_ttl_seconds,
            now=now,
        )

    attempt = Attempt(principal.community_id, principal.member_id, "check_in", data.token)
    result = await recording.run_recorded(context.sessions, operation, attempt=attempt, now=now)
    return _answer(result)


@post(CHECKOUTS_PATH, opt=access(Access.MEMBER), tags=TAGS)
async def check_out(
    data: JSONBody[ScanIn], context: Context, principal: Me
) -> Response[CheckinOut]:
    """Check out of a patrol-type event with the venue's code."""
    now = context.clock()

    async def operation(session: AsyncSession) -> scans.ScanResult:
        return await scans.check_out(
            session,
            keystore=context.keystore,
            token=data.token,
            member_id=principal.member_id,
            community_id=principal.community_id,
            ttl_seconds=context.settings.checkin_ttl_seconds,
            now=now,
        )

    attempt = Attempt(principal.community_id, principal.member_id, "check_out", data.token)
    result = await recording.run_recorded(context.sessions, operation, attempt=attempt, now=now)
    return _answer(result)


@get(CODES_PATH + "/{token:str}", opt=access(Access.PUBLIC), tags=TAGS)
async def open_code(token: FromPath[str], db: Db, caller: Caller, context: Context) -> PreviewOut:
    """What a venue code says, for clients other than the pages: the event, and where to
    post the code to check in or out."""
    scanned = await scans.verify_event_code(
        db,
        token=token,
        community_id=None,
        ttl_seconds=context.settings.checkin_ttl_seconds,
        now=context.clock(),
    )
    return PreviewOut(
        token=token,
        event=event_out(scanned.event),
        logged_in=caller is not None,
        check_in_path=CHECKINS_PATH,
        check_out_path=CHECKOUTS_PATH,
    )


@post("/api/v1/events/{event_id:int}/personal-scans", opt=access(Access.MEMBER), tags=TAGS)
async def personal_scan(
    event_id: FromPath[int], data: JSONBody[PersonalScanIn], context: Context, principal: Me
) -> Response[CheckinOut]:
    """A captain scans a neighbour's personal code to check them in or out."""
    now = context.clock()

    async def operation(session: AsyncSession) -> scans.ScanResult:
        return await personal.scan(
            session,
            keystore=context.keystore,
            principal=principal,
            event_id=event_id,
            code=data.code,
            action=data.action,
            at=now,
            now=now,
        )

    attempt = Attempt(principal.community_id, principal.member_id, "personal", data.code)
    result = await recording.run_recorded(context.sessions, operation, attempt=attempt, now=now)
    return _answer(result)


@post(
    "/api/v1/events/{event_id:int}/offline-scans",
    opt=access(Access.MEMBER),
    tags=TAGS,
    status_code=200,
)
async def offline_scans(
    event_id: FromPath[int], data: JSONBody[OfflineUploadIn], context: Context, principal: Me
) -> list[OfflineItemOut]:
    """Upload personal-code scans collected offline; a nonce already uploaded records once."""
    items = [recording.OfflineScanIn(s.nonce, s.code, s.action, s.scanned_at) for s in data.scans]
    outcomes = await recording.upload_offline(
        context.sessions,
        keystore=context.keystore,
        principal=principal,
        event_id=event_id,
        items=items,
        now=context.clock(),
    )
    answers = []
    for outcome in outcomes:
        if outcome.checkin is None:
            answers.append(
                OfflineItemOut(
                    outcome.nonce, "refused", outcome.replayed, code=outcome.refusal_code
                )
            )
            continue
        kind: Any = "existing" if outcome.existing else "recorded"
        shown = checkin_out(outcome.checkin, existing=outcome.existing)
        answers.append(OfflineItemOut(outcome.nonce, kind, outcome.replayed, checkin=shown))
    return answers


@get("/api/v1/me/checkins", opt=access(Access.MEMBER), tags=TAGS)
async def my_checkins(
    db: Db, principal: Me, limit: Limit = 50, offset: Offset = 0
) -> Page[CheckinOut]:
    """My check-ins, newest first, with points and how they were reached in both languages."""
    rows = await listing.of_member(db, member_id=principal.member_id, limit=limit, offset=offset)
    following = offset + limit if len(rows) == limit else None
    return Page(items=[row_out(r) for r in rows], next=following)


def _code_out(code: personal.MemberCode) -> MemberCodeOut:
    return MemberCodeOut(code.code, code.member_id, code.not_before, code.not_after)


@post("/api/v1/me/personal-codes", opt=access(Access.MEMBER), tags=TAGS)
async def my_personal_code(
    data: JSONBody[MemberCodeIn], db: Db, principal: Me, context: Context, now: Now
) -> MemberCodeOut:
    """A personal code for a captain to scan (default: valid for five minutes)."""
    member = await db.get(Member, principal.member_id)
    assert member is not None
    code = await personal.issue(
        db, keystore=context.keystore, member=member, ttl_seconds=data.ttl_seconds, now=now
    )
    return _code_out(code)


@post("/api/v1/members/{member_id:int}/personal-codes", opt=access(Access.MEMBER), tags=TAGS)
async def member_personal_code(
    member_id: FromPath[int],
    data: JSONBody[MemberCodeIn],
    db: Db,
    principal: Me,
    context: Context,
    now: Now,
) -> MemberCodeOut:
    """A captain of one of the member's teams, or an admin, prints the member's code."""
    code = await personal.issue_for(
        db,
        keystore=context.keystore,
        principal=principal,
        member_id=member_id,
        ttl_seconds=data.ttl_seconds,
        now=now,
    )
    return _code_out(code)


ROUTES = [
    check_in,
    check_out,
    open_code,
    personal_scan,
    offline_scans,
    my_checkins,
    my_personal_code,
    member_personal_code,
]
