"""The captain's events: the list, a new event, open, close, cancel, and the kiosk screen.

`/captain` lists the events of my teams (now and upcoming, then recently ended) with their
actions, and the form for a new event (an activity of the rule set in force, title, place,
start and end on the community's clock, places, check-out, who may join). The kiosk page
`/captain/events/{id}/kiosk` shows the rotating venue code (the image from the check-in API's
`code.svg`), a countdown to the next code and the number checked in; its script asks
`/captain/events/{id}/live` every few seconds, and without scripts the page refreshes itself
when the code rotates.
"""

# Chinese messages take full-width punctuation; it is no confusable here.
# ruff: noqa: RUF001

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath, QueryParameter, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

import rules
from api.access import Access, access
from api.deps import Context, Db, Me, Now
from api.web.captain_common import my_teams, reason_of, refusals
from api.web.event_views import Clock, EventView, community_clock, event_view
from api.web.i18n import choose_language
from api.web.redemption_views import NO_STORE
from api.web.render import PAGE_KEY, page
from checkin import events, rulesets
from checkin.models import CANCELLED, CLOSED, OPEN, SCHEDULED, Event
from checkin.scope import managed_event
from checkin.times import as_utc, bucket_of, seconds_until_rotation
from organisation.auth import Principal
from organisation.errors import InvalidInput
from organisation.models import Team

PAGE = {PAGE_KEY: True}
RECENT_ENDED = 10
UPCOMING_LIMIT = 50
FORM_TIME = "%Y-%m-%dT%H:%M"
DONE_WORDS = {"created", "opened", "closed", "cancelled"}
REFUSALS = refusals("/captain")


class EventForm(msgspec.Struct):
    """A new event as the form sends it (text, checked here)."""

    team_id: str = ""
    activity_id: str = ""
    title: str = ""
    place: str = ""
    starts_at: str = ""
    ends_at: str = ""
    capacity: str = ""
    checkout: str = ""
    open_to: str = "community"


class CancelForm(msgspec.Struct):
    reason: str = ""


@dataclass(frozen=True)
class Activity:
    activity_id: str
    name: str
    auto: bool
    checkout: bool


def _local_time(text: str, zone: tzinfo, field: str) -> datetime:
    try:
        naive = datetime.strptime(text.strip(), FORM_TIME)
    except ValueError as exc:
        raise InvalidInput(
            f"{field}: a date and time like 2026-03-01T16:00",
            message_zh=f"{field}：请填写日期和时间，如 2026-03-01T16:00",
            field=field,
        ) from exc
    return naive.replace(tzinfo=zone)


def _spec(form: EventForm, zone: tzinfo) -> tuple[int, events.EventSpec]:
    """The team and the event a submitted form asks for; InvalidInput names a bad field."""
    if not form.team_id.strip().isdigit():
        raise InvalidInput(
            "team_id: choose a team", message_zh="team_id：请选择服务队", field="team_id"
        )
    title = form.title.strip()
    if not 1 <= len(title) <= 100:
        raise InvalidInput(
            "title: 1 to 100 characters", message_zh="title：1 到 100 个字", field="title"
        )
    capacity = form.capacity.strip()
    if not capacity.isdigit() or not 1 <= int(capacity) <= events.MAX_CAPACITY:
        raise InvalidInput(
            f"capacity: a whole number from 1 to {events.MAX_CAPACITY}",
            message_zh=f"capacity：1 到 {events.MAX_CAPACITY} 的整数",
            field="capacity",
        )
    checkout = {"yes": True, "no": False}.get(form.checkout)
    spec = events.EventSpec(
        activity_id=form.activity_id.strip(),
        title=title,
        place=form.place.strip()[:200],
        starts_at=_local_time(form.starts_at, zone, "starts_at"),
        ends_at=_local_time(form.ends_at, zone, "ends_at"),
        capacity=int(capacity),
        open_to=form.open_to,
        checkout_required=checkout,
    )
    return int(form.team_id), spec


async def _my_events(db: AsyncSession, principal: Principal) -> tuple[list[Event], list[Event]]:
    """My teams' events: scheduled and open ones by start, then the latest ended ones."""
    if not principal.captain_of:
        return [], []
    mine = col(Event.team_id).in_(sorted(principal.captain_of))
    current = select(Event).where(mine, col(Event.state).in_((SCHEDULED, OPEN)))
    current = current.order_by(col(Event.starts_at), col(Event.id)).limit(UPCOMING_LIMIT)
    ended = select(Event).where(mine, col(Event.state).in_((CLOSED, CANCELLED)))
    ended = ended.order_by(col(Event.starts_at).desc(), col(Event.id).desc()).limit(RECENT_ENDED)
    return (
        list((await db.execute(current)).scalars()),
        list((await db.execute(ended)).scalars()),
    )


def _activities(clock: Clock, language: str, ruleset: rules.RuleSet) -> list[Activity]:
    return [
        Activity(
            a.activity_id,
            clock.activity_name(a.activity_id, language),
            not a.needs_captain_approval,
            a.requires_checkout,
        )
        for a in ruleset.activities
    ]


def _blank_form(teams: list[Team], now: datetime, zone: tzinfo) -> EventForm:
    starts = now.astimezone(zone).replace(second=0, microsecond=0)
    return EventForm(
        team_id=str(teams[0].id) if teams else "",
        starts_at=starts.strftime(FORM_TIME),
        ends_at=(starts + timedelta(hours=2)).strftime(FORM_TIME),
        capacity="30",
    )


async def _events_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    principal: Principal,
    now: datetime,
    *,
    form: EventForm | None = None,
    error: InvalidInput | None = None,
    done: str | None = None,
) -> Template:
    language = choose_language(request)
    teams = await my_teams(db, principal)
    community_id = teams[0].community_id if teams else principal.community_id
    clock = await community_clock(db, community_id)
    ruleset = (await rulesets.active(db, community_id=community_id)).ruleset
    current, ended = await _my_events(db, principal)
    shown = await page(
        request,
        "captain_events.html",
        teams=teams,
        current=[await event_view(db, e, clock, language) for e in current],
        ended=[await event_view(db, e, clock, language) for e in ended],
        activities=_activities(clock, language, ruleset),
        form=form or _blank_form(teams, now, clock.zone),
        error=None if error is None else error.message(language),
        error_field=None if error is None else error.details.get("field"),
        zone_name=ruleset.timezone,
        done=done if done in DONE_WORDS else None,
    )
    if error is not None:
        shown.status_code = 400
    shown.headers.update(NO_STORE)
    return shown


@get("/captain", opt=access(Access.CAPTAIN, **PAGE), include_in_schema=False)
async def captain_home(
    request: Request[Any, Any, Any],
    db: Db,
    principal: Me,
    now: Now,
    done: Annotated[str | None, QueryParameter(max_length=20)] = None,
) -> Template:
    """My teams' events with their actions, and the form for a new one."""
    return await _events_page(request, db, principal, now, done=done)


@post(
    "/captain/events",
    opt=access(Access.CAPTAIN, **PAGE),
    include_in_schema=False,
    exception_handlers=REFUSALS,
)
async def create_event(
    request: Request[Any, Any, Any],
    data: URLEncodedBody[EventForm],
    db: Db,
    principal: Me,
    now: Now,
) -> Template | Redirect:
    """Create a scheduled event of one of my teams; a bad field shows the form again."""
    # Only my own teams are looked up (a made-up id is not even read).
    mine = {str(team_id) for team_id in principal.captain_of}
    team = await db.get(Team, int(data.team_id)) if data.team_id.strip() in mine else None
    zone = (await community_clock(db, team.community_id if team else principal.community_id)).zone
    try:
        team_id, spec = _spec(data, zone)
        if team is None:
            raise InvalidInput(
                "team_id: choose one of your teams",
                message_zh="team_id: 请选择您带领的服务队",
                field="team_id",
            )
        event = await events.create(
            db,
            community_id=team.community_id,
            team_id=team_id,
            created_by=principal.member_id,
            spec=spec,
            now=now,
        )
    except InvalidInput as refusal:
        # Raised before anything was written (events.create validates first).
        return await _events_page(request, db, principal, now, form=data, error=refusal)
    return Redirect(f"/captain?done=created#event-{event.id}", status_code=303)


async def _transition(
    db: AsyncSession, principal: Principal, event_id: int, action: str, now: datetime, reason: str
) -> Redirect:
    event = await managed_event(db, principal, event_id)
    if action == "open":
        await events.open_event(db, event=event, now=now)
    elif action == "close":
        await events.close_event(db, event=event, now=now)
    else:
        await events.cancel_event(
            db, event=event, reason=reason_of(reason), cancelled_by=principal.member_id, now=now
        )
    done = {"open": "opened", "close": "closed", "cancel": "cancelled"}[action]
    return Redirect(f"/captain?done={done}#event-{event_id}", status_code=303)


@post(
    "/captain/events/{event_id:int}/open",
    opt=access(Access.CAPTAIN, **PAGE),
    include_in_schema=False,
    exception_handlers=REFUSALS,
)
async def open_event(event_id: FromPath[int], db: Db, principal: Me, now: Now) -> Redirect:
    """Open check-in: the kiosk can show the code."""
    return await _transition(db, principal, event_id, "open", now, "")


@post(
    "/captain/events/{event_id:int}/close",
    opt=access(Access.CAPTAIN, **PAGE),
    include_in_schema=False,
    exception_handlers=REFUSALS,
)
async def close_event(event_id: FromPath[int], db: Db, principal: Me, now: Now) -> Redirect:
    """Close check-in; patrol check-ins still open are closed now, flagged."""
    return await _transition(db, principal, event_id, "close", now, "")


@post(
    "/captain/events/{event_id:int}/cancel",
    opt=access(Access.CAPTAIN, **PAGE),
    include_in_schema=False,
    exception_handlers=REFUSALS,
)
async def cancel_event(
    event_id: FromPath[int], data: URLEncodedBody[CancelForm], db: Db, principal: Me, now: Now
) -> Redirect:
    """Cancel the event with a reason; its pending check-ins are rejected with it."""
    return await _transition(db, principal, event_id, "cancel", now, data.reason)


@dataclass(frozen=True)
class Live:
    """What the kiosk shows now."""

    state: str
    checked_in: int
    capacity: int
    bucket: int | None
    seconds_left: int | None
    ttl_seconds: int
    image: str | None


async def _live(db: AsyncSession, principal: Principal, context: Context, event_id: int) -> Live:
    event = await managed_event(db, principal, event_id)
    settings = context.settings
    now = context.clock()
    if event.state != OPEN or now >= as_utc(event.ends_at):
        # Nothing to show: the page says why (and the job closes an event past its end).
        return Live(
            event.state,
            event.checkin_count,
            event.capacity,
            None,
            None,
            settings.checkin_ttl_seconds,
            None,
        )
    # Only the bucket and the countdown: the image's own request signs (or finds) the code.
    ttl_seconds = settings.checkin_ttl_seconds
    bucket = bucket_of(now, ttl_seconds)
    return Live(
        state=event.state,
        checked_in=event.checkin_count,
        capacity=event.capacity,
        bucket=bucket,
        seconds_left=seconds_until_rotation(now, ttl_seconds),
        ttl_seconds=ttl_seconds,
        image=f"/api/v1/events/{event_id}/code.svg?b={bucket}",
    )


@get(
    "/captain/events/{event_id:int}/kiosk",
    opt=access(Access.CAPTAIN, **PAGE),
    include_in_schema=False,
    exception_handlers=REFUSALS,
)
async def kiosk(
    request: Request[Any, Any, Any],
    event_id: FromPath[int],
    db: Db,
    principal: Me,
    context: Context,
) -> Template:
    """The venue screen: the rotating code, a countdown and the number checked in."""
    live = await _live(db, principal, context, event_id)
    event = await db.get(Event, event_id)
    assert event is not None
    language = choose_language(request)
    clock = await community_clock(db, event.community_id)
    view: EventView = await event_view(db, event, clock, language)
    shown = await page(request, "captain_kiosk.html", event=view, live=live)
    shown.headers.update(NO_STORE)
    return shown


@get(
    "/captain/events/{event_id:int}/live",
    opt=access(Access.CAPTAIN),
    include_in_schema=False,
)
async def kiosk_live(
    event_id: FromPath[int], db: Db, principal: Me, context: Context
) -> Response[dict[str, Any]]:
    """The kiosk's script: the current code's image, seconds to the next, the count."""
    live = await _live(db, principal, context, event_id)
    return Response(asdict(live), headers=NO_STORE)


ROUTES = [captain_home, create_event, open_event, close_event, cancel_event, kiosk, kiosk_live]
