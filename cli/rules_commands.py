"""`jifen rules check FILE` and `jifen rules simulate FILE --since DATE [--ledger ID]`.

`check` validates a rule-set file and prints its hash and activities; `simulate` re-runs
every approved check-in since a date under the draft, beside what was awarded, for each
community (or the one whose ledger id is given), without changing anything.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from datetime import date
from typing import TextIO

from sqlmodel import col, select

import rules
from checkin import rulesets
from config.database import make_engine, make_sessionmaker
from config.settings import Settings
from organisation.models import Community


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]], out: TextIO) -> None:
    cells = [[str(c) for c in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(headers))]
    for index, row in enumerate(cells):
        padded = [c + " " * (w - _width(c)) for c, w in zip(row, widths, strict=True)]
        print("  ".join(padded).rstrip(), file=out)
        if index == 0:
            print("  ".join("-" * w for w in widths), file=out)


def _width(text: str) -> int:
    # CJK characters take two columns in a terminal.
    return sum(2 if ord(c) > 0x2E7F else 1 for c in text)


def _load(path: str | os.PathLike[str], err: TextIO) -> rules.RuleSet | None:
    try:
        return rules.load_file(path)
    except rules.RulesetInvalid as invalid:
        print(f"invalid rule set: {invalid.message_en}", file=err)
        print(f"积分规则无效：{invalid.message_zh}", file=err)  # noqa: RUF001 (Chinese punctuation)
        return None


def rules_check(
    path: str | os.PathLike[str], *, out: TextIO = sys.stdout, err: TextIO = sys.stderr
) -> int:
    """Validate a rule-set file; 0 when valid (prints hash and activities), 1 when not."""
    ruleset = _load(path, err)
    if ruleset is None:
        return 1
    print(f"{os.fspath(path)}: valid", file=out)
    print(f"ruleset: {ruleset.ruleset_id} version {ruleset.version} ({ruleset.name_en})", file=out)
    print(f"hash: {ruleset.hash}", file=out)
    rows = [
        (
            a.activity_id,
            a.name_zh,
            a.base_points,
            "-"
            if a.duration is None
            else f"{a.duration.points_per_period}/{a.duration.period_minutes}min",
            a.approval.value,
            "yes" if a.requires_checkout else "no",
        )
        for a in ruleset.activities
    ]
    _table(("activity", "name", "base", "per period", "approval", "check-out"), rows, out)
    return 0


async def rules_simulate(
    settings: Settings,
    path: str | os.PathLike[str],
    since: date | str,
    community_ledger_id: str | None,
    *,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    """Print what the draft would have awarded since `since`, beside what was awarded."""
    draft = _load(path, err)
    if draft is None:
        return 1
    first = since if isinstance(since, date) else date.fromisoformat(since)
    engine = make_engine(settings.database_url, pool_size=1)
    try:
        async with make_sessionmaker(engine)() as session:
            statement = select(Community).order_by(col(Community.ledger_id))
            if community_ledger_id is not None:
                statement = statement.where(col(Community.ledger_id) == community_ledger_id)
            communities = list((await session.execute(statement)).scalars())
            if not communities:
                print(f"no community with ledger {community_ledger_id!r}", file=err)
                return 1
            for community in communities:
                active = await rulesets.active(session, community_id=community.id or 0)
                result = await rulesets.simulate(
                    session, community_id=community.id or 0, draft=draft, since=first
                )
                _report(community, active.ruleset, result, first, out)
    finally:
        await engine.dispose()
    return 0


def _report(
    community: Community,
    active: rules.RuleSet,
    result: rules.Simulation,
    since: date,
    out: TextIO,
) -> None:
    print(f"\n{community.name} (ledger {community.ledger_id}), since {since.isoformat()}", file=out)
    print(f"active rule set {active.hash[:12]}, draft {result.ruleset_hash[:12]}", file=out)
    rows = [
        (
            row.record_id,
            row.member_id,
            row.awarded_points,
            row.would_award_points,
            f"{row.difference_points:+d}",
            "activity not in draft" if row.unknown_activity else "",
        )
        for row in result.rows
    ]
    rows.append(
        (
            "total",
            "",
            result.awarded_total_points,
            result.would_award_total_points,
            f"{result.difference_total_points:+d}",
            f"{len(result.rows)} check-ins",
        )
    )
    _table(("check-in", "member", "awarded", "would award", "difference", ""), rows, out)
