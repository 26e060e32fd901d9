"""What the admin pages share: the community in scope, forms, refusals and rendering.

Every admin page names its community in the path (`/admin/c/{community_id}/...`). Reading a
page needs the community's admin or auditor (`staff_scope`), changing anything its admin
(`admin_scope`); anyone else gets 404, as the JSON API answers. Auditors see the same pages
without forms and without personal data.

A form's use case runs inside a savepoint (`attempt`): when it is refused, everything it did
is rolled back and the page is shown again with the refusal (its message and `data-code`)
and what was typed, answering with the refusal's HTTP status. Form fields are checked with
the JSON API's own request structs (`parse`), so the pages and the API accept the same input.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request
from litestar.datastructures import UploadFile
from litestar.params import PathParameter, QueryParameter
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

import rules
from api.access import require_admin, require_staff
from api.problems import status_for
from api.web import words_admin
from api.web.i18n import choose_language
from api.web.redemption_views import community_zone, day_time, local
from api.web.render import PAGE_KEY, page
from checkin import rulesets
from ledger.canonical import parse_ts
from ledger.errors import Refusal
from organisation.auth import Principal
from organisation.errors import InvalidInput
from organisation.models import Community, Member

PAGE = {PAGE_KEY: True}
MAX_ID = 2**31 - 1
BASE = "/admin/c/{community_id:int}"
NO_STORE = {"cache-control": "no-store"}
PathId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
Done = Annotated[str | None, QueryParameter(pattern=r"^[a-z_]{1,24}$")]
CSRF_FIELD = "_csrf_token"
_AT_FIELD = re.compile(r"at `\$\.([A-Za-z_]+)")

T = TypeVar("T")
S = TypeVar("S", bound=msgspec.Struct)


@dataclass(frozen=True)
class Scope:
    """The community a page is about, who is looking, and what they may do there."""

    community: Community
    principal: Principal
    can_edit: bool
    zone: ZoneInfo
    communities: list[Community]

    @property
    def id(self) -> int:
        assert self.community.id is not None
        return self.community.id

    @property
    def base(self) -> str:
        """The path of the community's console."""
        return f"/admin/c/{self.id}"

    def when(self, moment: datetime | None) -> str:
        """A stored moment on the community's clock, or "" for none."""
        return "" if moment is None else day_time(moment, self.zone)

    def when_ts(self, ts: str | None) -> str:
        """A ledger timestamp (RFC 3339, UTC) on the community's clock, to the second."""
        if not ts:
            return ""
        return local(parse_ts(ts), self.zone).strftime("%Y-%m-%d %H:%M:%S")


async def my_communities(db: AsyncSession, principal: Principal) -> list[Community]:
    """Every community the caller administers or audits, in id order."""
    ids = sorted(principal.admin_of | principal.auditor_of)
    statement = select(Community).where(col(Community.id).in_(ids)).order_by(col(Community.id))
    return list((await db.execute(statement)).scalars())


async def _scope(db: AsyncSession, principal: Principal, community_id: int) -> Scope:
    community = await db.get(Community, community_id)
    assert community is not None, "grants reference existing communities"
    return Scope(
        community=community,
        principal=principal,
        can_edit=community_id in principal.admin_of,
        zone=await community_zone(db, community_id),
        communities=await my_communities(db, principal),
    )


async def staff_scope(db: AsyncSession, principal: Principal, community_id: int) -> Scope:
    """For reading: the community's admins and auditors; anyone else gets not_found."""
    require_staff(principal, community_id)
    return await _scope(db, principal, community_id)


async def admin_scope(db: AsyncSession, principal: Principal, community_id: int) -> Scope:
    """For changing: the community's admins only; anyone else gets not_found."""
    require_admin(principal, community_id)
    return await _scope(db, principal, community_id)


@dataclass(frozen=True)
class RefusalView:
    """A refusal as a page shows it: code, message (which says what is wrong) and where:
    the file, line and key of a rule set, or the form field."""

    code: str
    message: str
    details: list[tuple[str, str]]


SHOWN_DETAILS = ("file", "line", "key", "field")


def refusal_view(refusal: Refusal, language: str) -> RefusalView:
    details = [(k, str(refusal.details[k])) for k in SHOWN_DETAILS if k in refusal.details]
    return RefusalView(refusal.code, refusal.message(language), details)


async def admin_page(
    request: Request[Any, Any, Any],
    scope: Scope,
    template: str,
    *,
    section: str,
    refusal: Refusal | None = None,
    values: Mapping[str, str] | None = None,
    done: str | None = None,
    **context: Any,
) -> Template:
    """An admin page; with a refusal, shown with it and answering with its status."""
    language = choose_language(request)
    shown = await page(
        request,
        template,
        scope=scope,
        c=scope.community,
        can_edit=scope.can_edit,
        section=section,
        refused=refusal_view(refusal, language) if refusal is not None else None,
        values=values or {},
        done=done if done is not None and f"ad_done_{done}" in words_admin.WORDS else None,
        **context,
    )
    if refusal is not None:
        shown.status_code = status_for(refusal.code)
    shown.headers.update(NO_STORE)
    return shown


async def attempt(db: AsyncSession, action: Callable[[], Awaitable[T]]) -> T | Refusal:
    """Run a use case in a savepoint: its result, or its refusal with nothing changed."""
    try:
        async with db.begin_nested():
            return await action()
    except Refusal as refusal:
        return refusal


async def form_of(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The text fields of the posted form (without the CSRF token), trimmed."""
    raw = await request.form()
    return {
        key: value.strip()
        for key, value in raw.items()
        if isinstance(value, str) and key != CSRF_FIELD
    }


async def upload_of(request: Request[Any, Any, Any], name: str) -> tuple[str, bytes] | None:
    """The file posted in field `name` as (file name, content), if one was chosen."""
    value = (await request.form()).get(name)
    if not isinstance(value, UploadFile) or not value.filename:
        return None
    return value.filename, await value.read()


def blank_none(value: str | None) -> str | None:
    """An empty form field means "none"."""
    return value if value else None


def invalid(field: str, problem: str) -> InvalidInput:
    """invalid_input naming the field (by its label in Chinese) and what is wrong."""
    label = words_admin.WORDS.get(f"ad_f_{field}", (field, field))[0]
    return InvalidInput(
        f"{field}: {problem}",
        message_zh=f"输入内容不正确（{label}）：{problem}",  # noqa: RUF001 (Chinese punctuation)
        field=field,
    )


def parse(struct: type[S], fields: Mapping[str, object]) -> S:
    """`fields` as the API's request struct `struct`, with the API's own checks."""
    wanted = {k: v for k, v in fields.items() if k in struct.__struct_fields__}
    try:
        return msgspec.convert(wanted, struct, strict=False)
    except msgspec.ValidationError as exc:
        found = _AT_FIELD.search(str(exc))
        field = found.group(1) if found else "form"
        raise invalid(field, str(exc).split(" - at ")[0]) from exc


def whole_number(text: str | None, field: str) -> int | None:
    """A whole number typed into `field`, None when left empty."""
    if not text:
        return None
    if not text.isdigit() or len(text) > 12:
        raise invalid(field, "a whole number")
    return int(text)


def person(member: Member | None, sees_personal: bool) -> str:
    """How a page names a member: their name for the community's admins, else the
    pseudonymous account (and the account for anyone erased)."""
    if member is None:
        return ""
    if sees_personal and member.display_name:
        return member.display_name
    return member.account


async def activity_names(
    db: AsyncSession, community_id: int, language: str, draft: rules.RuleSet | None = None
) -> dict[str, str]:
    """Activity names for people: a draft's, else the rules in force', else the default
    rules' (activities of past check-ins may be in any of them); ids for any other."""
    in_force = (await rulesets.active(db, community_id=community_id)).ruleset
    names: dict[str, str] = {}
    for ruleset in (rulesets.default_ruleset(), in_force, draft):
        for a in ruleset.activities if ruleset is not None else ():
            names[a.activity_id] = a.name_en if language == "en" and a.name_en else a.name_zh
    return names


async def member_by_identifier(
    db: AsyncSession, community_id: int, identifier: str
) -> Member | None:
    """A member of the community named by `#id`, user name or phone number."""
    text = identifier.strip()
    if text.startswith("#") and text[1:].isdigit() and len(text) <= 11:
        found = await db.get(Member, int(text[1:]))
        return found if found is not None and found.community_id == community_id else None
    statement = select(Member).where(
        Member.community_id == community_id,
        (col(Member.username) == text) | (col(Member.phone) == text),
    )
    return (await db.execute(statement)).scalars().first()
