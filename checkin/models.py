"""Tables of rule-set versions, events, check-ins, offline scans and refused scans.

Personal data stays in `members`; these rows name members by id only. Credits themselves
live in the ledger; a check-in row keeps what a volunteer reads in their history (points,
explanation in both languages) and the ledger seq of the credit and of any reversal.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

# Event states. An event is created `scheduled`, opened by a captain, and closed by a captain
# or at its end time by the periodic job; `scheduled` and `open` events can be cancelled.
SCHEDULED = "scheduled"
OPEN = "open"
CLOSED = "closed"
CANCELLED = "cancelled"

# Check-in states. `reversed` is an approved check-in whose credit an admin reversed.
PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"
REVERSED = "reversed"

# Who may join an event.
OPEN_TO_COMMUNITY = "community"
OPEN_TO_TEAM = "team"

# How a check-in was recorded.
METHOD_QR = "qr"  # the volunteer scanned the venue's rotating code
METHOD_PERSONAL = "personal"  # a captain scanned the member's personal code
METHOD_OFFLINE = "offline"  # ... while offline, uploaded later


def _moment(*, nullable: bool = False) -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=nullable)


class RulesetText(SQLModel, table=True):
    """Content-addressed rule-set texts: the text of every hash ever uploaded or used."""

    __tablename__ = "ruleset_texts"

    hash: str = Field(primary_key=True, max_length=64)
    text: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=_moment())


class RulesetVersion(SQLModel, table=True):
    """An uploaded rule set of a community: version 1, 2, ... in upload order."""

    __tablename__ = "ruleset_versions"
    __table_args__ = (UniqueConstraint("community_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="communities.id")
    version: int
    hash: str = Field(foreign_key="ruleset_texts.hash", max_length=64)
    ruleset_id: str = Field(max_length=64)  # the file's own [ruleset] id
    file_name: str = Field(max_length=200)
    uploaded_by: int | None = Field(default=None, foreign_key="members.id")
    uploaded_at: datetime = Field(sa_column=_moment())


class RulesetActivation(SQLModel, table=True):
    """A log of activations; a community's active rule set is its newest activation."""

    __tablename__ = "ruleset_activations"

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="communities.id", index=True)
    ruleset_version_id: int = Field(foreign_key="ruleset_versions.id")
    activated_by: int | None = Field(default=None, foreign_key="members.id")
    activated_at: datetime = Field(sa_column=_moment())


class Event(SQLModel, table=True):
    """An event of a team, for one activity of the community's rule set."""

    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="ck_events_times"),
        CheckConstraint("capacity >= 1", name="ck_events_capacity"),
        CheckConstraint("checkin_count <= capacity", name="ck_events_places"),
        Index("ix_events_state_ends", "state", "ends_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="communities.id", index=True)
    team_id: int = Field(foreign_key="teams.id", index=True)
    activity_id: str = Field(max_length=64)
    title: str = Field(max_length=100)
    place: str = Field(max_length=200)
    starts_at: datetime = Field(sa_column=_moment())
    ends_at: datetime = Field(sa_column=_moment())
    capacity: int
    checkout_required: bool
    open_to: str = Field(max_length=16)
    # Whether the activity was auto-approved under the rule set active when the event was
    # created: an announced event keeps its approval mode even if the rules change.
    auto_approve: bool
    state: str = Field(default=SCHEDULED, max_length=16)
    # Places taken; raised by one conditional UPDATE per check-in (see checkin.scans).
    checkin_count: int = 0
    created_by: int = Field(foreign_key="members.id")
    created_at: datetime = Field(sa_column=_moment())
    opened_at: datetime | None = Field(default=None, sa_column=_moment(nullable=True))
    closed_at: datetime | None = Field(default=None, sa_column=_moment(nullable=True))
    cancelled_at: datetime | None = Field(default=None, sa_column=_moment(nullable=True))
    cancel_reason: str = Field(default="", max_length=200)


class Checkin(SQLModel, table=True):
    """One member's attendance at one event, its approval and its credit."""

    __tablename__ = "checkins"
    __table_args__ = (
        UniqueConstraint("event_id", "member_id", name="uq_checkins_event_member"),
        Index("ix_checkins_team_state", "team_id", "state"),
        Index("ix_checkins_community_state", "community_id", "state"),
        Index("ix_checkins_member_state", "member_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="events.id")
    community_id: int = Field(foreign_key="communities.id")
    team_id: int = Field(foreign_key="teams.id")
    member_id: int = Field(foreign_key="members.id")
    method: str = Field(max_length=16)
    state: str = Field(default=PENDING, max_length=16)
    token_sha256: str = Field(max_length=64)  # of the code that was scanned
    scanned_by: int | None = Field(default=None, foreign_key="members.id")
    checked_in_at: datetime = Field(sa_column=_moment())
    checked_out_at: datetime | None = Field(default=None, sa_column=_moment(nullable=True))
    auto_closed: bool = False  # closed at the event's end without a check-out: for the captain
    decided_by: int | None = Field(default=None, foreign_key="members.id")
    decided_at: datetime | None = Field(default=None, sa_column=_moment(nullable=True))
    auto_approved: bool = False
    reason: str = Field(default="", max_length=200)  # of a rejection
    role: str | None = Field(default=None, max_length=16)
    local_date: date | None = None
    duration_minutes: int | None = None
    points: int | None = None
    explanation_zh: str = Field(default="", max_length=500)
    explanation_en: str = Field(default="", max_length=500)
    ruleset_hash: str | None = Field(default=None, max_length=64)
    ledger_seq: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    reversal_seq: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    reversed_by: int | None = Field(default=None, foreign_key="members.id")
    reversed_at: datetime | None = Field(default=None, sa_column=_moment(nullable=True))
    reversal_reason: str = Field(default="", max_length=200)


class OfflineScan(SQLModel, table=True):
    """A personal-code scan uploaded by an offline captain, once per client nonce."""

    __tablename__ = "offline_scans"
    __table_args__ = (UniqueConstraint("uploaded_by", "nonce", name="uq_offline_scans_nonce"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="events.id", index=True)
    uploaded_by: int = Field(foreign_key="members.id")
    nonce: str = Field(max_length=64)
    action: str = Field(max_length=16)
    checkin_id: int | None = Field(default=None, foreign_key="checkins.id")
    refusal_code: str | None = Field(default=None, max_length=40)
    scanned_at: datetime = Field(sa_column=_moment())
    recorded_at: datetime = Field(sa_column=_moment())


class ScanRefusal(SQLModel, table=True):
    """A refused scan: who tried, at which event, which code, when. Written on its own."""

    __tablename__ = "scan_refusals"
    __table_args__ = (Index("ix_scan_refusals_community", "community_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="communities.id")
    event_id: int | None = Field(default=None, foreign_key="events.id", index=True)
    actor_id: int = Field(foreign_key="members.id")  # who sent the scan
    subject_id: int | None = Field(default=None, foreign_key="members.id")  # personal codes
    action: str = Field(max_length=16)
    code: str = Field(max_length=40)
    token_sha256: str = Field(default="", max_length=64)
    nonce: str = Field(default="", max_length=64)
    created_at: datetime = Field(sa_column=_moment())
