"""Events over HTTP: create, list, open, close, cancel; the kiosk's rotating code; refusals.

Access: every route needs a logged-in member; which events they may touch is checked per
event. Captains of the event's team and admins of its community manage it (create, open,
close, cancel, show its code, list its check-ins and refusals); members see their
community's events and their own teams' team-only events; anything else answers 404.
"""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Response, get, post
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import Access, access, require_captain, require_staff
from api.deps import Context, Db, Me, Now
from api.pagination import Limit, Offset, Page
from api.routes.checkin_schemas import (
    CancelIn,
    CheckinOut,
    CodeOut,
    EventIn,
    EventOut,
    RefusalOut,
    event_out,
    refusal_out,
    row_out,
)
from checkin import codes, events, listing, refusals
from checkin.models import Event
from checkin.scope import managed_event, manages, visible_event
from organisation.auth import Principal
from organisation.errors import NotFound
from organisation.models import Team

TAGS = ["events"]
StateFilter = Literal["scheduled", "open", "closed", "cancelled"]
Before = Annotated[int | None, QueryParameter(ge=1, le=2**31 - 1)]


async def _readable_event(db: AsyncSession, principal: Principal, event_id: int) -> Event:
    """Managers of the event, and admins and auditors of its community."""
    event = await db.get(Event, event_id)
    if event is None or not (
        manages(principal, team_id=event.team_id, community_id=event.community_id)
        or principal.can_read_community(event.community_id)
    ):
        raise NotFound(object="event", id=event_id)
    return event


@post("/api/v1/teams/{team_id:int}/events", opt=access(Access.MEMBER), tags=TAGS)
async def create_event(
    team_id: FromPath[int], data: JSONBody[EventIn], db: Db, principal: Me, now: Now
) -> EventOut:
    """A captain of the team (or an admin) creates a scheduled event."""
    team = await db.get(Team, team_id)
    if team is None:
        raise NotFound(object="team", id=team_id)
    require_captain(principal, team_id, team.community_id)
    spec = events.EventSpec(
        activity_id=data.activity_id,
        title=data.title,
        place=data.place,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        capacity=data.capacity,
        open_to=data.open_to,
        checkout_required=data.checkout_required,
    )
    event = await events.create(
        db,
        community_id=team.community_id,
        team_id=team_id,
        created_by=principal.member_id,
        spec=spec,
        now=now,
    )
    return event_out(event)


@get("/api/v1/events", opt=access(Access.MEMBER), tags=TAGS)
async def list_events(
    db: Db,
    principal: Me,
    event_state: Annotated[StateFilter | None, QueryParameter(name="state")] = None,
    community_id: Annotated[int | None, QueryParameter(ge=1)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[EventOut]:
    """Events I may see in my community (or in one I administer), newest first."""
    community = community_id or principal.community_id
    if community != principal.community_id:
        require_staff(principal, community)
    team_ids = None
    if not principal.can_read_community(community):
        team_ids = principal.team_ids | principal.captain_of
    found = await events.list_events(
        db,
        community_id=community,
        team_ids=team_ids,
        state=event_state,
        limit=limit,
        offset=offset,
    )
    following = offset + limit if len(found) == limit else None
    return Page(items=[event_out(e) for e in found], next=following)


@get("/api/v1/events/{event_id:int}", opt=access(Access.MEMBER), tags=TAGS)
async def show_event(event_id: FromPath[int], db: Db, principal: Me) -> EventOut:
    """One event I may see."""
    return event_out(await visible_event(db, principal, event_id))


@post("/api/v1/events/{event_id:int}/open", opt=access(Access.MEMBER), tags=TAGS, status_code=200)
async def open_event(event_id: FromPath[int], db: Db, principal: Me, now: Now) -> EventOut:
    """Open check-in."""
    event = await managed_event(db, principal, event_id)
    return event_out(await events.open_event(db, event=event, now=now))


@post("/api/v1/events/{event_id:int}/close", opt=access(Access.MEMBER), tags=TAGS, status_code=200)
async def close_event(event_id: FromPath[int], db: Db, principal: Me, now: Now) -> EventOut:
    """Close check-in; open check-ins of a check-out event close now, flagged."""
    event = await managed_event(db, principal, event_id)
    return event_out(await events.close_event(db, event=event, now=now))


@post("/api/v1/events/{event_id:int}/cancel", opt=access(Access.MEMBER), tags=TAGS, status_code=200)
async def cancel_event(
    event_id: FromPath[int], data: JSONBody[CancelIn], db: Db, principal: Me, now: Now
) -> EventOut:
    """Cancel the event; its pending check-ins are rejected with the reason."""
    event = await managed_event(db, principal, event_id)
    cancelled = await events.cancel_event(
        db, event=event, reason=data.reason, cancelled_by=principal.member_id, now=now
    )
    return event_out(cancelled)


async def _shown(
    db: AsyncSession, principal: Principal, context: Context, event_id: int
) -> codes.ShownCode:
    event = await managed_event(db, principal, event_id)
    settings = context.settings
    return await codes.current(
        db,
        keystore=context.keystore,
        event=event,
        base_url=settings.public_base_url,
        ttl_seconds=settings.checkin_ttl_seconds,
        now=context.clock(),
    )


@get("/api/v1/events/{event_id:int}/code", opt=access(Access.MEMBER), tags=TAGS)
async def current_code(event_id: FromPath[int], db: Db, principal: Me, context: Context) -> CodeOut:
    """The kiosk's current code, its URL and the seconds until it rotates."""
    shown = await _shown(db, principal, context, event_id)
    return CodeOut(
        event_id=shown.event_id,
        token=shown.token,
        url=shown.url,
        bucket=shown.bucket,
        ttl_seconds=shown.ttl_seconds,
        seconds_left=shown.seconds_left,
    )


async def _image(
    db: AsyncSession, principal: Principal, context: Context, event_id: int, fmt: codes.ImageFormat
) -> Response[bytes]:
    shown = await _shown(db, principal, context, event_id)
    media_type = "image/png" if fmt == "png" else "image/svg+xml"
    return Response(
        await codes.image(shown, fmt),
        media_type=media_type,
        headers={
            "cache-control": f"private, max-age={shown.seconds_left}",
            "x-seconds-left": str(shown.seconds_left),
        },
    )


@get("/api/v1/events/{event_id:int}/code.png", opt=access(Access.MEMBER), tags=TAGS)
async def code_png(
    event_id: FromPath[int], db: Db, principal: Me, context: Context
) -> Response[bytes]:
    """The current code as a PNG (636 to 684 pixels square; see checkin.qr)."""
    return await _image(db, principal, context, event_id, "png")


@get("/api/v1/events/{event_id:int}/code.svg", opt=access(Access.MEMBER), tags=TAGS)
async def code_svg(
    event_id: FromPath[int], db: Db, principal: Me, context: Context
) -> Response[bytes]:
    """The current code as an SVG."""
    return await _image(db, principal, context, event_id, "svg")


@get("/api/v1/events/{event_id:int}/checkins", opt=access(Access.MEMBER), tags=TAGS)
async def event_checkins(
    event_id: FromPath[int], db: Db, principal: Me, limit: Limit = 50, offset: Offset = 0
) -> Page[CheckinOut]:
    """The event's check-ins with who checked in, for its captains and admins."""
    event = await _readable_event(db, principal, event_id)
    rows = await listing.of_event(db, event_id=event.id or 0, limit=limit, offset=offset)
    following = offset + limit if len(rows) == limit else None
    return Page(items=[row_out(r) for r in rows], next=following)


@get("/api/v1/events/{event_id:int}/refusals", opt=access(Access.MEMBER), tags=TAGS)
async def event_refusals(
    event_id: FromPath[int], db: Db, principal: Me, before: Before = None, limit: Limit = 50
) -> Page[RefusalOut]:
    """Refused scans at the event, newest first; pass `next` as `before` for more."""
    event = await _readable_event(db, principal, event_id)
    rows = await refusals.for_event(db, event_id=event.id or 0, before_id=before, limit=limit)
    following = rows[-1].id if len(rows) == limit else None
    return Page(items=[refusal_out(r) for r in rows], next=following)


@get(
    "/api/v1/communities/{community_id:int}/scan-refusals",
    opt=access(Access.STAFF),
    tags=TAGS,
)
async def community_refusals(
    community_id: FromPath[int], db: Db, principal: Me, before: Before = None, limit: Limit = 50
) -> Page[RefusalOut]:
    """Every refused scan filed in the community, for its admins and auditors."""
    require_staff(principal, community_id)
    rows = await refusals.for_community(
        db, community_id=community_id, before_id=before, limit=limit
    )
    following = rows[-1].id if len(rows) == limit else None
    return Page(items=[refusal_out(r) for r in rows], next=following)


ROUTES = [
    create_event,
    list_events,
    show_event,
    open_event,
    close_event,
    cancel_event,
    current_code,
    code_png,
    code_svg,
    event_checkins,
    event_refusals,
    community_refusals,
]
