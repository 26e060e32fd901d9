"""Rule sets in the database: versions per community, the active one, texts by hash.

A community's rules are versioned uploads (1, 2, ...) of TOML text; the active rule set is
the one named by the community's newest activation, and the default rule set that ships
with Jifen (`rules/default.toml`) when none was ever activated. Texts are stored by their
content hash (`rules.RuleSet.hash`) once, and never removed: every credit names the hash
of the rule set that computed it in its ledger meta, and anyone can fetch that text and
recompute the credit. Activating a rule set changes future credits only.
"""

# Chinese messages take full-width punctuation, not confusables.
# ruff: noqa: RUF001

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Table, func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

import rules
from checkin.errors import RulesetNotFound
from checkin.models import (
    APPROVED,
    Checkin,
    Event,
    RulesetActivation,
    RulesetText,
    RulesetVersion,
)
from rules.loading import DEFAULT_PATH

DEFAULT_FILE_NAME = "default.toml"
MAX_TEXT_CHARS = 200_000
MAX_PARSED = 64
MAX_SIMULATED_RECORDS = 100_000

_parsed: OrderedDict[str, rules.RuleSet] = OrderedDict()


@dataclass(frozen=True)
class ActiveRuleset:
    """The rule set in force in a community; `version` is None for the shipped default."""

    ruleset: rules.RuleSet
    version: int | None


@cache
def default_text() -> str:
    return DEFAULT_PATH.read_text(encoding="utf-8")


@cache
def default_ruleset() -> rules.RuleSet:
    return rules.load_default()


def check(text: str, *, file_name: str) -> rules.RuleSet:
    """The rule set in `text`, validated; `ruleset_invalid` names file, line, key, problem."""
    if len(text) > MAX_TEXT_CHARS:
        raise rules.RulesetInvalid(
            f"{file_name}: longer than {MAX_TEXT_CHARS} characters",
            message_zh=f"{file_name}：超过 {MAX_TEXT_CHARS} 个字符",
            file=file_name,
            problem="too long",
        )
    return rules.load_text(text, file=file_name)


async def insert_ignoring_conflict(
    session: AsyncSession, table: Table, values: Mapping[str, Any]
) -> bool:
    """Insert a row unless its key is taken; whether it was inserted."""
    dialect_insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    result = await session.execute(dialect_insert(table).values(**values).on_conflict_do_nothing())
    return bool(result.rowcount)  # type: ignore[attr-defined]  # a CursorResult for inserts


async def store_text(
    session: AsyncSession, *, ruleset: rules.RuleSet, text: str, now: datetime
) -> None:
    """Keep `text` under its hash (the first text of a hash stays; all mean the same)."""
    table: Table = RulesetText.__table__  # type: ignore[attr-defined]
    await insert_ignoring_conflict(
        session, table, {"hash": ruleset.hash, "text": text, "created_at": now}
    )
    _remember(ruleset)


def _remember(ruleset: rules.RuleSet) -> None:
    _parsed[ruleset.hash] = ruleset
    _parsed.move_to_end(ruleset.hash)
    while len(_parsed) > MAX_PARSED:
        _parsed.popitem(last=False)


async def upload(
    session: AsyncSession,
    *,
    community_id: int,
    text: str,
    file_name: str,
    uploaded_by: int | None,
    now: datetime,
) -> RulesetVersion:
    """Store a validated rule set as the community's next version (not yet active).

    Uploading a text whose meaning equals an existing version returns that version.
    """
    ruleset = check(text, file_name=file_name)
    existing = (
        await session.execute(
            select(RulesetVersion).where(
                RulesetVersion.community_id == community_id, RulesetVersion.hash == ruleset.hash
            )
        )
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    await store_text(session, ruleset=ruleset, text=text, now=now)
    latest = await session.execute(
        select(func.max(RulesetVersion.version)).where(RulesetVersion.community_id == community_id)
    )
    row = RulesetVersion(
        community_id=community_id,
        version=(latest.scalar_one_or_none() or 0) + 1,
        hash=ruleset.hash,
        ruleset_id=ruleset.ruleset_id,
        file_name=file_name[:200],
        uploaded_by=uploaded_by,
        uploaded_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def version(session: AsyncSession, *, community_id: int, number: int) -> RulesetVersion:
    """Version `number` of the community's rule sets; ruleset_not_found if there is none."""
    statement = select(RulesetVersion).where(
        RulesetVersion.community_id == community_id, RulesetVersion.version == number
    )
    found = (await session.execute(statement)).scalar_one_or_none()
    if found is None:
        raise RulesetNotFound(version=number)
    return found


async def versions(session: AsyncSession, *, community_id: int) -> list[RulesetVersion]:
    """Every uploaded version of the community, newest first."""
    statement = (
        select(RulesetVersion)
        .where(RulesetVersion.community_id == community_id)
        .order_by(col(RulesetVersion.version).desc())
    )
    return list((await session.execute(statement)).scalars())


async def activate(
    session: AsyncSession,
    *,
    community_id: int,
    number: int,
    activated_by: int | None,
    now: datetime,
) -> RulesetVersion:
    """Make version `number` the community's active rule set from now on."""
    found = await version(session, community_id=community_id, number=number)
    assert found.id is not None
    session.add(
        RulesetActivation(
            community_id=community_id,
            ruleset_version_id=found.id,
            activated_by=activated_by,
            activated_at=now,
        )
    )
    await session.flush()
    return found


async def active_version(session: AsyncSession, *, community_id: int) -> RulesetVersion | None:
    """The version named by the newest activation, or None (the default is in force)."""
    statement = (
        select(RulesetVersion)
        .join(RulesetActivation, col(RulesetActivation.ruleset_version_id) == RulesetVersion.id)
        .where(RulesetActivation.community_id == community_id)
        .order_by(col(RulesetActivation.id).desc())
        .limit(1)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def active(session: AsyncSession, *, community_id: int) -> ActiveRuleset:
    """The rule set in force in the community."""
    found = await active_version(session, community_id=community_id)
    if found is None:
        return ActiveRuleset(default_ruleset(), None)
    return ActiveRuleset(await by_hash(session, ruleset_hash=found.hash), found.version)


async def text_by_hash(session: AsyncSession, *, ruleset_hash: str) -> str:
    """The stored text of the rule set with this hash; ruleset_not_found if never stored."""
    found = await session.get(RulesetText, ruleset_hash)
    if found is not None:
        return found.text
    if ruleset_hash == default_ruleset().hash:
        return default_text()
    raise RulesetNotFound(hash=ruleset_hash[:64])


async def by_hash(session: AsyncSession, *, ruleset_hash: str) -> rules.RuleSet:
    """The parsed rule set with this hash (parsed once per process)."""
    cached = _parsed.get(ruleset_hash)
    if cached is not None:
        return cached
    text = await text_by_hash(session, ruleset_hash=ruleset_hash)
    ruleset = rules.load_text(text, file=f"{ruleset_hash}.toml")
    _remember(ruleset)
    return ruleset


async def past_records(
    session: AsyncSession, *, community_id: int, since: date
) -> list[rules.PastRecord]:
    """Approved check-ins of the community on or after `since`, oldest first, as facts."""
    statement = (
        select(Checkin, Event.activity_id)
        .join(Event, col(Event.id) == Checkin.event_id)
        .where(
            Checkin.community_id == community_id,
            Checkin.state == APPROVED,
            col(Checkin.local_date) >= since,
        )
        .order_by(col(Checkin.local_date), col(Checkin.decided_at), col(Checkin.id))
        .limit(MAX_SIMULATED_RECORDS)
    )
    records = []
    for checkin, activity_id in await session.execute(statement):
        facts = rules.Facts(
            activity_id=activity_id,
            role=rules.Role(checkin.role or rules.Role.VOLUNTEER),
            local_date=checkin.local_date,
            duration_minutes=checkin.duration_minutes,
        )
        records.append(
            rules.PastRecord(
                record_id=str(checkin.id),
                member_id=str(checkin.member_id),
                facts=facts,
                awarded_points=checkin.points or 0,
                team_id=str(checkin.team_id),
            )
        )
    return records


async def simulate(
    session: AsyncSession, *, community_id: int, draft: rules.RuleSet, since: date
) -> rules.Simulation:
    """What `draft` would have awarded for the community's approved check-ins since `since`."""
    records = await past_records(session, community_id=community_id, since=since)
    return rules.simulate(records, draft)
