"""Request and response bodies of the check-in API, and conversions from domain rows."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from checkin.listing import CheckinRow
from checkin.models import Checkin, Event, RulesetVersion, ScanRefusal
from checkin.times import as_utc
from ledger.errors import Refusal

Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
# Codes are checked by the use case, so that a bad one is refused and recorded with its code;
# this bound only keeps absurd bodies out.
CodeText = Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
Moment = Annotated[datetime, msgspec.Meta(tz=True)]
Action = Literal["check_in", "check_out"]


class EventIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    activity_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    place: Annotated[str, msgspec.Meta(max_length=200)] = ""
    starts_at: Moment
    ends_at: Moment
    capacity: Annotated[int, msgspec.Meta(ge=1, le=10_000)]
    open_to: Literal["community", "team"] = "community"
    checkout_required: bool | None = None


class EventOut(msgspec.Struct):
    id: int
    community_id: int
    team_id: int
    activity_id: str
    title: str
    place: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    places_taken: int
    checkout_required: bool
    open_to: str
    auto_approve: bool
    state: str
    cancel_reason: str
    opened_at: datetime | None
    closed_at: datetime | None
    cancelled_at: datetime | None


class CancelIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason


class CodeOut(msgspec.Struct):
    event_id: int
    token: str
    url: str
    bucket: int
    ttl_seconds: int
    seconds_left: int


class ScanIn(msgspec.Struct, forbid_unknown_fields=True):
    token: CodeText


class PersonalScanIn(msgspec.Struct, forbid_unknown_fields=True):
    code: CodeText
    action: Action = "check_in"


class OfflineScanItemIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    nonce: Annotated[str, msgspec.Meta(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
    code: CodeText
    action: Action = "check_in"
    scanned_at: Moment


class OfflineUploadIn(msgspec.Struct, forbid_unknown_fields=True):
    scans: Annotated[list[OfflineScanItemIn], msgspec.Meta(min_length=1, max_length=200)]


class CheckinOut(msgspec.Struct):
    id: int
    event_id: int
    member_id: int
    state: str
    method: str
    checked_in_at: datetime
    checked_out_at: datetime | None
    auto_closed: bool
    auto_approved: bool
    reason: str
    points: int | None
    explanation_zh: str
    explanation_en: str
    ruleset_hash: str | None
    ledger_seq: int | None
    reversal_seq: int | None
    existing: bool = False  # already checked in (or out) before this scan
    event_title: str | None = None
    activity_id: str | None = None
    member_name: str | None = None


class OfflineItemOut(msgspec.Struct):
    nonce: str
    outcome: Literal["recorded", "existing", "refused"]
    replayed: bool
    code: str | None = None
    checkin: CheckinOut | None = None


class DecisionIn(msgspec.Struct, forbid_unknown_fields=True):
    checkin_ids: Annotated[list[int], msgspec.Meta(min_length=1, max_length=200)]


class RejectIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason


class RejectManyIn(msgspec.Struct, forbid_unknown_fields=True):
    checkin_ids: Annotated[list[int], msgspec.Meta(min_length=1, max_length=200)]
    reason: Reason


class DecisionItemOut(msgspec.Struct):
    checkin_id: int
    ok: bool
    checkin: CheckinOut | None = None
    code: str | None = None
    message_zh: str | None = None
    message_en: str | None = None


class MemberCodeIn(msgspec.Struct, forbid_unknown_fields=True):
    ttl_seconds: Annotated[int, msgspec.Meta(ge=1, le=30 * 24 * 3600)] = 300


class MemberCodeOut(msgspec.Struct):
    code: str
    member_id: int
    not_before: datetime
    not_after: datetime


class RefusalOut(msgspec.Struct):
    id: int
    community_id: int
    event_id: int | None
    actor_id: int
    subject_id: int | None
    action: str
    code: str
    token_sha256: str
    nonce: str
    created_at: datetime


class RulesetIn(msgspec.Struct, forbid_unknown_fields=True):
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=200_000)]
    file_name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] = "ruleset.toml"


class ActivityOut(msgspec.Struct):
    activity_id: str
    name_zh: str
    name_en: str
    approval: str
    requires_checkout: bool


class RulesetCheckOut(msgspec.Struct):
    hash: str
    ruleset_id: str
    version: int
    name_zh: str
    name_en: str
    activities: list[ActivityOut]


class RulesetVersionOut(msgspec.Struct):
    version: int | None  # None: the default rule set that ships with Jifen
    hash: str
    ruleset_id: str
    file_name: str
    uploaded_at: datetime | None
    uploaded_by: int | None
    active: bool


class RulesetTextOut(msgspec.Struct):
    hash: str
    text: str


class SimulationRowOut(msgspec.Struct):
    checkin_id: int
    member_id: int
    awarded_points: int
    would_award_points: int
    difference_points: int
    unknown_activity: bool


class SimulationOut(msgspec.Struct):
    ruleset_hash: str
    since: date
    rows: list[SimulationRowOut]
    awarded_total_points: int
    would_award_total_points: int
    difference_total_points: int


class PreviewOut(msgspec.Struct):
    """What a phone that opened a venue code's URL sees before checking in."""

    token: str
    event: EventOut
    logged_in: bool
    check_in_path: str
    check_out_path: str


def event_out(event: Event) -> EventOut:
    assert event.id is not None
    return EventOut(
        id=event.id,
        community_id=event.community_id,
        team_id=event.team_id,
        activity_id=event.activity_id,
        title=event.title,
        place=event.place,
        starts_at=as_utc(event.starts_at),
        ends_at=as_utc(event.ends_at),
        capacity=event.capacity,
        places_taken=event.checkin_count,
        checkout_required=event.checkout_required,
        open_to=event.open_to,
        auto_approve=event.auto_approve,
        state=event.state,
        cancel_reason=event.cancel_reason,
        opened_at=None if event.opened_at is None else as_utc(event.opened_at),
        closed_at=None if event.closed_at is None else as_utc(event.closed_at),
        cancelled_at=None if event.cancelled_at is None else as_utc(event.cancelled_at),
    )


def checkin_out(checkin: Checkin, *, existing: bool = False) -> CheckinOut:
    assert checkin.id is not None
    return CheckinOut(
        id=checkin.id,
        event_id=checkin.event_id,
        member_id=checkin.member_id,
        state=checkin.state,
        method=checkin.method,
        checked_in_at=as_utc(checkin.checked_in_at),
        checked_out_at=None if checkin.checked_out_at is None else as_utc(checkin.checked_out_at),
        auto_closed=checkin.auto_closed,
        auto_approved=checkin.auto_approved,
        reason=checkin.reason,
        points=checkin.points,
        explanation_zh=checkin.explanation_zh,
        explanation_en=checkin.explanation_en,
        ruleset_hash=checkin.ruleset_hash,
        ledger_seq=checkin.ledger_seq,
        reversal_seq=checkin.reversal_seq,
        existing=existing,
    )


def row_out(row: CheckinRow) -> CheckinOut:
    out = checkin_out(row.checkin)
    out.event_title = row.event_title
    out.activity_id = row.activity_id
    out.member_name = row.member_name
    return out


def refusal_out(row: ScanRefusal) -> RefusalOut:
    assert row.id is not None
    return RefusalOut(
        id=row.id,
        community_id=row.community_id,
        event_id=row.event_id,
        actor_id=row.actor_id,
        subject_id=row.subject_id,
        action=row.action,
        code=row.code,
        token_sha256=row.token_sha256,
        nonce=row.nonce,
        created_at=as_utc(row.created_at),
    )


def decision_item(
    checkin_id: int, checkin: Checkin | None, refusal: Refusal | None
) -> DecisionItemOut:
    if checkin is not None:
        return DecisionItemOut(checkin_id, ok=True, checkin=checkin_out(checkin))
    assert refusal is not None
    return DecisionItemOut(
        checkin_id,
        ok=False,
        code=refusal.code,
        message_zh=refusal.message_zh,
        message_en=refusal.message_en,
    )


def version_out(row: RulesetVersion, *, active: bool) -> RulesetVersionOut:
    return RulesetVersionOut(
        version=row.version,
        hash=row.hash,
        ruleset_id=row.ruleset_id,
        file_name=row.file_name,
        uploaded_at=as_utc(row.uploaded_at),
        uploaded_by=row.uploaded_by,
        active=active,
    )
