"""Rule sets: upload TOML (typed or as a file), check it, simulate a version over past
check-ins, activate it; every version listed with its content hash.

Checking and uploading show a rule set's problem as the loader reports it: the file, the
line, the key and what is wrong, with the text kept in the editor to fix it. Simulation
re-runs the community's approved check-ins since a date under a version, beside what they
were awarded, and changes nothing; activation changes future credits only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.params import QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

import rules
from api.access import Access, access
from api.deps import Db, Me, Now
from api.routes.checkin_schemas import RulesetIn
from api.web.admin_common import (
    BASE,
    PAGE,
    Done,
    PathId,
    Scope,
    activity_names,
    admin_page,
    admin_scope,
    attempt,
    invalid,
    parse,
    person,
    staff_scope,
    upload_of,
)
from api.web.i18n import choose_language
from api.web.redemption_views import local
from checkin import rulesets
from checkin.models import Checkin, Event, RulesetVersion
from ledger.errors import Refusal
from organisation.models import Member

SHOWN_ROWS = 500
DEFAULT_SIMULATION_DAYS = 28
DEFAULT_FILE_NAME = "ruleset.toml"
SinceText = Annotated[str | None, QueryParameter(max_length=10)]
StartFrom = Annotated[str | None, QueryParameter(pattern="^active$")]


async def _text_form(request: Request[Any, Any, Any]) -> tuple[str, str]:
    """The rule-set text and its file name: an uploaded file wins over the editor. Line
    ends are made Unix ones, so the lines counted are the lines shown."""
    form = await request.form()
    uploaded = await upload_of(request, "file")
    if uploaded is not None:
        name, content = uploaded
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise invalid("file", "not UTF-8 text") from exc
        return text.replace("\r\n", "\n"), name.rsplit("/", 1)[-1][:200]
    typed = form.get("text")
    named = form.get("file_name")
    text = typed if isinstance(typed, str) else ""
    name = named.strip() if isinstance(named, str) and named.strip() else DEFAULT_FILE_NAME
    return text.replace("\r\n", "\n"), name


async def _rules_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    scope: Scope,
    *,
    text: str = "",
    file_name: str = DEFAULT_FILE_NAME,
    checked: rules.RuleSet | None = None,
    refusal: Refusal | None = None,
    done: str | None = None,
) -> Template:
    versions = await rulesets.versions(db, community_id=scope.id)
    active = await rulesets.active_version(db, community_id=scope.id)
    uploaders = {
        m.id: m
        for m in (
            await db.execute(
                select(Member).where(col(Member.id).in_({v.uploaded_by for v in versions}))
            )
        ).scalars()
    }
    return await admin_page(
        request,
        scope,
        "admin_rules.html",
        section="rules",
        versions=versions,
        active=active,
        default=rulesets.default_ruleset(),
        uploader={v.id: person(uploaders.get(v.uploaded_by), scope.can_edit) for v in versions},
        text=text,
        file_name=file_name,
        checked=checked,
        refusal=refusal,
        done=done,
    )


@get(BASE + "/rules", opt=access(Access.STAFF, **PAGE), include_in_schema=False)
async def rules_page(
    request: Request[Any, Any, Any],
    community_id: PathId,
    db: Db,
    principal: Me,
    done: Done = None,
    template: StartFrom = None,
) -> Template:
    """Every version with its hash and which one is in force; the editor for admins
    (`?template=active` starts it from the rule set in force)."""
    scope = await staff_scope(db, principal, community_id)
    text = ""
    if template == "active" and scope.can_edit:
        active = await rulesets.active_version(db, community_id=scope.id)
        text = (
            await rulesets.text_by_hash(db, ruleset_hash=active.hash)
            if active is not None
            else rulesets.default_text()
        )
    return await _rules_page(request, db, scope, text=text, done=done)


@post(BASE + "/rules/check", opt=access(Access.ADMIN, **PAGE), include_in_schema=False)
async def check_rules(
    request: Request[Any, Any, Any], community_id: PathId, db: Db, principal: Me
) -> Template:
    """Check a rule set without storing it: its hash and activities, or what is wrong."""
    scope = await admin_scope(db, principal, community_id)
    text, name = "", DEFAULT_FILE_NAME
    try:
        text, name = await _text_form(request)
        data = parse(RulesetIn, {"text": text, "file_name": name})
        checked = rulesets.check(data.text, file_name=data.file_name)
    except Refusal as refusal:
        return await _rules_page(request, db, scope, text=text, file_name=name, refusal=refusal)
    return await _rules_page(request, db, scope, text=text, file_name=name, checked=checked)


@post(BASE + "/rules", opt=access(Access.ADMIN, **PAGE), include_in_schema=False)
async def upload_rules(
    request: Request[Any, Any, Any], community_id: PathId, db: Db, principal: Me, now: Now
) -> Template | Redirect:
    """Store a checked rule set as the next version (not yet in force), then show it."""
    scope = await admin_scope(db, principal, community_id)
    text, name = "", DEFAULT_FILE_NAME

    async def upload() -> RulesetVersion:
        nonlocal text, name
        text, name = await _text_form(request)
        data = parse(RulesetIn, {"text": text, "file_name": name})
        return await rulesets.upload(
            db,
            community_id=scope.id,
            text=data.text,
            file_name=data.file_name,
            uploaded_by=principal.member_id,
            now=now,
        )

    outcome = await attempt(db, upload)
    if isinstance(outcome, Refusal):
        return await _rules_page(request, db, scope, text=text, file_name=name, refusal=outcome)
    return Redirect(f"{scope.base}/rules/{outcome.version}?done=uploaded", status_code=303)


@dataclass(frozen=True)
class SimulatedRow:
    """One re-run check-in as the page shows it."""

    checkin_id: int
    day: str
    activity: str
    member: str
    awarded_points: int
    would_award_points: int
    difference_points: int
    unknown_activity: bool


async def _simulated_rows(
    db: AsyncSession, scope: Scope, result: rules.Simulation, names: dict[str, str]
) -> list[SimulatedRow]:
    shown = result.rows[:SHOWN_ROWS]
    ids = [int(r.record_id) for r in shown]
    statement = (
        select(col(Checkin.id), col(Checkin.local_date), Event.activity_id, Member)
        .join(Event, col(Event.id) == Checkin.event_id)
        .join(Member, col(Member.id) == Checkin.member_id)
        .where(col(Checkin.id).in_(ids))
    )
    found = {i: (d, a, m) for i, d, a, m in await db.execute(statement)}
    rows = []
    for row in shown:
        day, activity, member = found[int(row.record_id)]
        rows.append(
            SimulatedRow(
                checkin_id=int(row.record_id),
                day=day.isoformat() if day else "",
                activity=names.get(activity, activity),
                member=person(member, scope.can_edit),
                awarded_points=row.awarded_points,
                would_award_points=row.would_award_points,
                difference_points=row.difference_points,
                unknown_activity=row.unknown_activity,
            )
        )
    return rows


async def _version_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    scope: Scope,
    number: int,
    now: datetime,
    **context: Any,
) -> Template:
    row = await rulesets.version(db, community_id=scope.id, number=number)
    active = await rulesets.active_version(db, community_id=scope.id)
    today = local(now, scope.zone).date()
    context.setdefault("since", (today - timedelta(days=DEFAULT_SIMULATION_DAYS)).isoformat())
    return await admin_page(
        request,
        scope,
        "admin_rule_version.html",
        section="rules",
        row=row,
        ruleset=await rulesets.by_hash(db, ruleset_hash=row.hash),
        text=await rulesets.text_by_hash(db, ruleset_hash=row.hash),
        is_active=active is not None and active.id == row.id,
        **context,
    )


@get(
    BASE + "/rules/{version:int}",
    opt=access(Access.STAFF, **PAGE),
    include_in_schema=False,
)
async def version_page(
    request: Request[Any, Any, Any],
    community_id: PathId,
    version: PathId,
    db: Db,
    principal: Me,
    now: Now,
    done: Done = None,
) -> Template:
    """One version: hash, activities and text; simulate and activate for admins."""
    scope = await staff_scope(db, principal, community_id)
    return await _version_page(request, db, scope, version, now, done=done)


def _since(text: str | None, default: date) -> date:
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise invalid("since", "a date like 2026-03-01") from exc


@get(
    BASE + "/rules/{version:int}/simulation",
    opt=access(Access.ADMIN, **PAGE),
    include_in_schema=False,
)
async def simulation_page(
    request: Request[Any, Any, Any],
    community_id: PathId,
    version: PathId,
    db: Db,
    principal: Me,
    now: Now,
    since: SinceText = None,
) -> Template:
    """What this version would have awarded for approved check-ins since a date, beside
    what was awarded, row by row and in total."""
    scope = await admin_scope(db, principal, community_id)
    try:
        first = _since(
            since, local(now, scope.zone).date() - timedelta(days=DEFAULT_SIMULATION_DAYS)
        )
    except Refusal as refusal:
        return await _version_page(request, db, scope, version, now, refusal=refusal, since=since)
    row = await rulesets.version(db, community_id=scope.id, number=version)
    draft = await rulesets.by_hash(db, ruleset_hash=row.hash)
    result = await rulesets.simulate(db, community_id=scope.id, draft=draft, since=first)
    names = await activity_names(db, scope.id, choose_language(request), draft)
    return await _version_page(
        request,
        db,
        scope,
        version,
        now,
        since=first.isoformat(),
        simulation=result,
        simulated=await _simulated_rows(db, scope, result, names),
        shown_rows=SHOWN_ROWS,
    )


@post(
    BASE + "/rules/{version:int}/activate",
    opt=access(Access.ADMIN, **PAGE),
    include_in_schema=False,
)
async def activate_rules(
    community_id: PathId, version: PathId, db: Db, principal: Me, now: Now
) -> Redirect:
    """Put this version in force for every credit from now on."""
    scope = await admin_scope(db, principal, community_id)
    await rulesets.activate(
        db, community_id=scope.id, number=version, activated_by=principal.member_id, now=now
    )
    return Redirect(f"{scope.base}/rules/{version}?done=activated", status_code=303)


ROUTES = [
    rules_page,
    check_rules,
    upload_rules,
    version_page,
    simulation_page,
    activate_rules,
]
