"""Test helpers: a hand-moved clock and a scene of people, events and scans.

Scans go through `checkin.recording.run_recorded`, as the API does, so a refused scan files
its refusal in a transaction of its own. `Scene.snapshot` counts everything a scan could
change, so a refusal test can show that nothing else changed.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from checkin import approval, codes, events, personal, recording, scans, tokens
from checkin.models import Checkin, Event, OfflineScan, ScanRefusal
from checkin.refusals import Attempt
from checkin.times import bucket_of
from ledger import keyring
from ledger.errors import Refusal
from ledger.keys import KeyStore, Signer
from ledger.models import LedgerEntry
from organisation import auth
from organisation import service as org
from organisation.auth import Principal
from organisation.models import Community, Member
from tests.api.world import PASSWORD_HASH, World

TTL_SECONDS = 30  # the Settings default that World.app() uses
BASE_URL = "http://127.0.0.1:8000"  # likewise


@dataclass
class Clock:
    """The time the service sees; tests move it, nobody sleeps."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass(frozen=True)
class Snapshot:
    """Counts of what scans and decisions change."""

    checkins: tuple[tuple[int | None, str, int | None], ...]  # id, state, points
    places_taken: tuple[int, ...]
    ledger_entries: int
    offline_scans: int


@dataclass
class Scene:
    """The API world on a test clock, with helpers to act at the use-case level."""

    world: World
    clock: Clock
    principals: dict[str, Principal] = field(default_factory=dict)
    # Concurrency tests use a pool of their own, bounded so that a shared server keeps
    # connections for everyone else.
    own_sessions: async_sessionmaker[AsyncSession] | None = None

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        return self.own_sessions or self.world.db.sessions

    @property
    def keystore(self) -> KeyStore:
        return self.world.keystore

    @property
    def community(self) -> Community:
        return self.world.community

    def member_id(self, role: str) -> int:
        return self.world.id_of(role)

    async def principal(self, role: str) -> Principal:
        """The principal of the person holding `role` (or of an added member's name)."""
        if role not in self.principals:
            member_id = self.world.id_of(role)
            async with self.sessions.begin() as session:
                member = await session.get(Member, member_id)
                assert member is not None
                opened = await auth.open_session(session, member=member, now=self.clock.now)
                found = await auth.load_principal(session, session_id=opened.id, now=self.clock.now)
            assert found is not None
            self.principals[role] = found
        return self.principals[role]

    async def add_member(self, name: str, *, in_team: bool = True, other: bool = False) -> Member:
        """A new member (who can log in with the world's password), by default in the team."""
        community = self.world.other if other else self.world.community
        async with self.sessions.begin() as session:
            member, _ = await org.create_member(
                session,
                community=community,
                display_name=name,
                phone=None,
                username=f"{name}-{community.ledger_id}",
                building_id=None,
                date_of_birth=None,
                now=self.clock.now,
                with_setup_code=False,
            )
            member.password_hash = PASSWORD_HASH
            if in_team:
                team = self.world.other_team if other else self.world.team
                await org.add_to_team(session, team=team, member=member, now=self.clock.now)
        self.world.people[name] = member
        return member

    async def event(
        self,
        *,
        activity_id: str = "new_year_banquet",
        capacity: int = 20,
        open_to: str = "community",
        checkout_required: bool | None = None,
        hours: float = 2,
        opened: bool = True,
        by: str = "captain",
        other: bool = False,
    ) -> Event:
        """An event starting now, created by `by` and (by default) opened."""
        community = self.world.other if other else self.world.community
        team = self.world.other_team if other else self.world.team
        spec = events.EventSpec(
            activity_id=activity_id,
            title="坝坝席迎新年",
            place="3 号楼前",
            starts_at=self.clock.now,
            ends_at=self.clock.now + timedelta(hours=hours),
            capacity=capacity,
            open_to=open_to,
            checkout_required=checkout_required,
        )
        async with self.sessions.begin() as session:
            event = await events.create(
                session,
                community_id=community.id or 0,
                team_id=team.id or 0,
                created_by=self.member_id(by),
                spec=spec,
                now=self.clock.now,
            )
            if opened:
                await events.open_event(session, event=event, now=self.clock.now)
        return event

    async def reload(self, event: Event) -> Event:
        async with self.sessions() as session:
            found = await session.get(Event, event.id)
        assert found is not None
        return found

    async def code(self, event: Event) -> str:
        """The event's current venue code."""
        async with self.sessions.begin() as session:
            shown = await codes.current(
                session,
                keystore=self.keystore,
                event=await self.reload(event),
                base_url=BASE_URL,
                ttl_seconds=TTL_SECONDS,
                now=self.clock.now,
            )
        return shown.token

    async def signer(self, purpose: str = "checkin", *, other: bool = False) -> Signer:
        """The community's purpose key (created on first use)."""
        ledger = (self.world.other if other else self.world.community).ledger_id
        async with self.sessions.begin() as session:
            return await keyring.purpose_signer(
                session, keystore=self.keystore, scope=ledger, purpose=purpose, now=self.clock.now
            )

    async def sign(self, event_id: int, *, bucket_shift: int = 0, other: bool = False) -> str:
        """A venue code signed with the community's key for any event id and bucket."""
        bucket = bucket_of(self.clock.now, TTL_SECONDS) + bucket_shift
        signer = await self.signer(other=other)
        return tokens.sign_event_code(signer, event_id=event_id, bucket=bucket, nonce=b"\0" * 8)

    async def scan(self, role: str, token: str, *, action: str = "check_in") -> scans.ScanResult:
        """`role` scans a venue code, as POST /api/v1/checkins (or /checkouts) does."""
        principal = await self.principal(role)
        now = self.clock.now
        use_case = scans.check_in if action == "check_in" else scans.check_out

        async def operation(session: AsyncSession) -> scans.ScanResult:
            return await use_case(
                session,
                keystore=self.keystore,
                token=token,
                member_id=principal.member_id,
                community_id=principal.community_id,
                ttl_seconds=TTL_SECONDS,
                now=now,
            )

        attempt = Attempt(principal.community_id, principal.member_id, action, token)
        return await recording.run_recorded(self.sessions, operation, attempt=attempt, now=now)

    async def refused_scan(self, role: str, token: str, *, action: str = "check_in") -> Refusal:
        """Scan expecting a refusal; returns it."""
        try:
            await self.scan(role, token, action=action)
        except Refusal as refusal:
            return refusal
        raise AssertionError("the scan was not refused")

    async def member_code(self, role: str, *, ttl_seconds: int = 300) -> str:
        async with self.sessions.begin() as session:
            member = await session.get(Member, self.member_id(role))
            assert member is not None
            issued = await personal.issue(
                session,
                keystore=self.keystore,
                member=member,
                ttl_seconds=ttl_seconds,
                now=self.clock.now,
            )
        return issued.code

    async def personal_scan(
        self, by: str, event: Event, code: str, *, action: str = "check_in"
    ) -> scans.ScanResult:
        """`by` scans a personal code at the event, as POST .../personal-scans does."""
        principal = await self.principal(by)
        now = self.clock.now

        async def operation(session: AsyncSession) -> scans.ScanResult:
            return await personal.scan(
                session,
                keystore=self.keystore,
                principal=principal,
                event_id=event.id or 0,
                code=code,
                action=action,
                at=now,
                now=now,
            )

        attempt = Attempt(principal.community_id, principal.member_id, "personal", code)
        return await recording.run_recorded(self.sessions, operation, attempt=attempt, now=now)

    async def approve(self, by: str, checkin_id: int) -> Checkin:
        principal = await self.principal(by)
        async with self.sessions.begin() as session:
            return await approval.approve(
                session,
                keystore=self.keystore,
                principal=principal,
                checkin_id=checkin_id,
                now=self.clock.now,
            )

    async def reject(self, by: str, checkin_id: int, reason: str = "not seen there") -> Checkin:
        principal = await self.principal(by)
        async with self.sessions.begin() as session:
            return await approval.reject(
                session,
                principal=principal,
                checkin_id=checkin_id,
                reason=reason,
                now=self.clock.now,
            )

    async def checkin(self, checkin_id: int) -> Checkin:
        async with self.sessions() as session:
            found = await session.get(Checkin, checkin_id)
        assert found is not None
        return found

    async def snapshot(self) -> Snapshot:
        """Everything of both communities that scans and decisions change."""
        ids = (self.world.community.id, self.world.other.id)
        ledgers = (self.world.community.ledger_id, self.world.other.ledger_id)
        async with self.sessions() as session:
            rows = await session.execute(
                select(col(Checkin.id), col(Checkin.state), col(Checkin.points))
                .where(col(Checkin.community_id).in_(ids))
                .order_by(col(Checkin.id))
            )
            places = await session.execute(
                select(col(Event.checkin_count))
                .where(col(Event.community_id).in_(ids))
                .order_by(col(Event.id))
            )
            entries = await session.execute(
                select(func.count()).where(col(LedgerEntry.ledger).in_(ledgers))
            )
            offline = await session.execute(
                select(func.count())
                .select_from(OfflineScan)
                .join(Event, col(Event.id) == col(OfflineScan.event_id))
                .where(col(Event.community_id).in_(ids))
            )
            return Snapshot(
                checkins=tuple((r[0], r[1], r[2]) for r in rows),
                places_taken=tuple(places.scalars()),
                ledger_entries=entries.scalar_one(),
                offline_scans=offline.scalar_one(),
            )

    async def refused(self, operation: Awaitable[object], code: str) -> ScanRefusal:
        """Run `operation`, which must be refused with `code`, change nothing, and file
        exactly one refusal record; returns that record."""
        before = await self.snapshot()
        filed_before = len(await self.refusals())
        with pytest.raises(Refusal) as refused:
            await operation
        assert refused.value.code == code, refused.value
        assert await self.snapshot() == before
        filed = await self.refusals()
        assert len(filed) == filed_before + 1
        assert filed[-1].code == code
        return filed[-1]

    async def refusals(self) -> list[ScanRefusal]:
        """Refused scans filed in either community, oldest first."""
        ids = (self.world.community.id, self.world.other.id)
        async with self.sessions() as session:
            statement = (
                select(ScanRefusal)
                .where(col(ScanRefusal.community_id).in_(ids))
                .order_by(col(ScanRefusal.id))
            )
            return list((await session.execute(statement)).scalars())
