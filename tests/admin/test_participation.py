"""Participation by activity, team and building, read from check-ins made through the use
cases: every breakdown adds up to the same totals, and only approved, unreversed check-ins
dated inside the period count."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta

import pytest

from admin.participation import Participation, Share, participation
from checkin.models import APPROVED, REJECTED, Checkin
from ledger.keys import KeyStore
from organisation import service as org
from organisation.models import Member
from tests.admin.history import VOLUNTEERS, History, new_history
from tests.api.world import build_world
from tests.conftest import FIXED_NOW, Database

START = FIXED_NOW - timedelta(weeks=13)


def day(offset: int) -> datetime:
    """10:00 in Shanghai, `offset` days after the history starts."""
    return START.replace(hour=2) + timedelta(days=offset)


@pytest.fixture
async def history(db: Database, keystore: KeyStore) -> History:
    """Community A of a fresh world with teams, buildings and volunteers, 13 weeks ago."""
    world = await build_world(db, keystore, START)
    return await new_history(world, START)


def expected(
    rows: Iterable[tuple[Checkin, str, str, str | None]],
) -> dict[str, dict[object, tuple[int, int, int]]]:
    """Independently of the module under test: per breakdown, key -> (check-ins,
    volunteers, points), from (check-in, activity, team, building) rows."""
    found: dict[str, dict[object, list[tuple[int, int]]]] = {
        "activity": defaultdict(list),
        "team": defaultdict(list),
        "building": defaultdict(list),
    }
    for checkin, activity, team, building in rows:
        one = (checkin.member_id, checkin.points or 0)
        found["activity"][activity].append(one)
        found["team"][team].append(one)
        found["building"][building].append(one)
    return {
        name: {
            key: (len(items), len({m for m, _ in items}), sum(p for _, p in items))
            for key, items in groups.items()
        }
        for name, groups in found.items()
    }


def as_table(shares: tuple[Share, ...]) -> dict[object, tuple[int, int, int]]:
    return {
        s.name if s.key is not None else None: (s.checkins, s.volunteers, s.points) for s in shares
    }


async def seed(history: History) -> tuple[list[tuple[Checkin, str, str, str | None]], date, date]:
    """Four counted events, plus a reversed credit, a rejected and a pending check-in inside
    the period and an approved one after it; the counted rows and the period."""
    counted: list[tuple[Checkin, str, str, str | None]] = []
    plan = [
        (1, "elderly_collective_birthday", "patrol", ["wang", "li"]),
        (3, "new_year_banquet", "arts", ["li", "zhao", "sun"]),
        (8, "elderly_collective_birthday", "arts", ["zhao"]),
        (10, "building_cleanup", "patrol", ["wang", "sun"]),
    ]
    team_names = {key: team.name for key, team in history.teams.items()}
    for offset, activity, team, who in plan:
        made = await history.visit(day(offset), activity, team, who)
        for checkin, name in zip(made, who, strict=True):
            assert checkin.state == APPROVED
            counted.append((checkin, activity, team_names[team], VOLUNTEERS[name][0]))
    [mistake] = await history.visit(day(15), "legal_aid_day", "patrol", ["li"])
    await history.reverse(mistake, day(15) + timedelta(hours=3))
    [rejected] = await history.visit(day(16), "science_fitness", "arts", ["zhao"], decide="reject")
    assert rejected.state == REJECTED
    await history.visit(day(17), "arts_performance", "arts", ["sun"], decide="leave")
    await history.visit(day(30), "new_year_banquet", "patrol", ["wang"])
    return counted, day(1).date(), day(20).date()


async def read(history: History, first: date, last: date) -> Participation:
    async with history.world.db.sessions() as session:
        return await participation(
            session,
            community_id=history.community.id or 0,
            first=first,
            last=last,
            activity_names={"new_year_banquet": "坝坝席"},
        )


async def test_breakdowns_add_up_to_the_seeded_checkins(history: History) -> None:
    """Totals and each breakdown equal what was seeded; the reversed, rejected, pending and
    later check-ins do not count."""
    counted, first, last = await seed(history)
    found = await read(history, first, last)
    want = expected(counted)
    assert found.checkins == len(counted) == 8
    assert found.volunteers == len({c.member_id for c, *_ in counted}) == 4
    assert found.points == sum(c.points or 0 for c, *_ in counted) > 0
    assert {s.key: (s.checkins, s.volunteers, s.points) for s in found.by_activity} == want[
        "activity"
    ]
    assert as_table(found.by_team) == want["team"]
    assert as_table(found.by_building) == want["building"]
    for shares in (found.by_activity, found.by_team, found.by_building):
        assert sum(s.checkins for s in shares) == found.checkins
        assert sum(s.points for s in shares) == found.points


async def test_rows_are_named_and_largest_first(history: History) -> None:
    """Activities take the given names (ids otherwise), teams and buildings their own names;
    rows run from most check-ins to fewest."""
    _, first, last = await seed(history)
    found = await read(history, first, last)
    names = [s.name for s in found.by_activity]
    assert set(names) == {"坝坝席", "elderly_collective_birthday", "building_cleanup"}
    assert {s.name for s in found.by_team} == {"巡逻队", "文艺宣传队"}
    for shares in (found.by_activity, found.by_team, found.by_building):
        counts = [s.checkins for s in shares]
        assert counts == sorted(counts, reverse=True)


async def test_a_period_without_checkins_is_empty(history: History) -> None:
    """Before any volunteering, every figure is zero and every breakdown is empty."""
    await seed(history)
    found = await read(history, day(-30).date(), day(-1).date())
    assert (found.checkins, found.volunteers, found.points) == (0, 0, 0)
    assert found.by_activity == found.by_team == found.by_building == ()


async def test_an_erased_member_counts_under_no_building(history: History) -> None:
    """Erasing a volunteer's personal data moves their check-ins to "no building" and keeps
    every total."""
    _, first, last = await seed(history)
    before = await read(history, first, last)
    async with history.world.db.sessions.begin() as session:
        zhao = await session.get(Member, history.people["zhao"].id)
        assert zhao is not None
        await org.erase_member(session, member=zhao, now=FIXED_NOW)
    after = await read(history, first, last)
    assert (after.checkins, after.points) == (before.checkins, before.points)
    assert "2 栋" in as_table(before.by_building)
    assert "2 栋" not in as_table(after.by_building)
    assert as_table(after.by_building)[None][0] == as_table(before.by_building)[None][0] + 2
