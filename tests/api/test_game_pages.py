"""Home, history and leaderboards through HTTP, on both backends, over real volunteering.

Volunteering is made with the use cases (events, scans, check-outs, approvals, reversals,
redemptions) on a clock the test moves, so every credit and explanation is the service's
own. The pages must show the level and its progress, badges with their dates, streaks,
every entry with its explanation, and leaderboards ranked on points earned in the window
with reversals subtracted, opted-out members anonymous and my own row marked.
"""

# Chinese text takes full-width punctuation; it is no confusable here.
# ruff: noqa: RUF001

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

import rules
from checkin import events, game, reversal
from checkin.models import APPROVED, Checkin, Event
from ledger import service as ledger_service
from ledger.keys import KeyStore
from ledger.types import Posting
from organisation import service as org
from organisation.models import Building, Member, Team
from organisation.pseudonyms import EXPIRY_ACCOUNT, ISSUANCE_ACCOUNT
from redemption import catalogue
from tests.admin.history import History as Visits
from tests.api.test_checkin_pages import ENGLISH
from tests.api.world import build_world
from tests.checkin.helpers import Clock, Scene
from tests.conftest import Database

START = datetime(2026, 2, 9, 8, 0, tzinfo=UTC)  # a Monday, 16:00 in Asia/Shanghai


@pytest.fixture
async def scene(db: Database, keystore: KeyStore) -> Scene:
    """The API world, made on START, on a clock the test moves."""
    clock = Clock(START)
    world = await build_world(db, keystore, START)
    world.clock = clock
    return Scene(world, clock)


async def event_of(
    scene: Scene, team: Team, activity: str, *, minutes: int, title: str = "坝坝席迎新年"
) -> Event:
    """An open community event of `team` starting now and lasting `minutes`, by the admin."""
    spec = events.EventSpec(
        activity_id=activity,
        title=title,
        place="社区广场",
        starts_at=scene.clock.now,
        ends_at=scene.clock.now + timedelta(minutes=minutes),
        capacity=50,
        open_to="community",
    )
    async with scene.sessions.begin() as session:
        event = await events.create(
            session,
            community_id=team.community_id,
            team_id=team.id or 0,
            created_by=scene.member_id("admin"),
            spec=spec,
            now=scene.clock.now,
        )
        await events.open_event(session, event=event, now=scene.clock.now)
    return event


async def serve(
    scene: Scene,
    at: datetime,
    who: list[str],
    activity: str = "new_year_banquet",
    *,
    minutes: int = 120,
    team: Team | None = None,
    title: str = "坝坝席迎新年",
) -> list[Checkin]:
    """An event at `at` where `who` check in (and out, for patrols) and the admin approves
    them after its end; their check-ins as approved."""
    scene.clock.now = at
    event = await event_of(scene, team or scene.world.team, activity, minutes=minutes, title=title)
    token = await scene.code(event)
    scanned = [(await scene.scan(name, token)).checkin for name in who]
    if event.checkout_required:
        scene.clock.advance(minutes=minutes - 1)
        token = await scene.code(event)
        for name in who:
            await scene.scan(name, token, action="check_out")
    scene.clock.now = at + timedelta(minutes=minutes + 1)
    return [c if c.state == APPROVED else await scene.approve("admin", c.id or 0) for c in scanned]


async def reverse(scene: Scene, checkin: Checkin, at: datetime) -> None:
    scene.clock.now = at
    principal = await scene.principal("admin")
    async with scene.sessions.begin() as session:
        await reversal.reverse(
            session,
            keystore=scene.keystore,
            principal=principal,
            checkin_id=checkin.id or 0,
            reason="记错了人",
            now=at,
        )


def text_of(text: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}"[^>]*>([^<]*)<', text)
    assert found is not None, testid
    return found.group(1)


# Home.


async def test_home_shows_balance_level_badges_and_streak(scene: Scene) -> None:
    """After three weeks in a row (banquets, then a patrol), home shows the points, the
    level with the way to the next, the first-patrol badge with its date and the streak."""
    await serve(scene, START, ["resident"])  # 30 + 4 x 10 + 20 first = 90, capped at 80
    await serve(scene, START + timedelta(days=7), ["resident"])  # 30 + 40 = 70
    await serve(scene, START + timedelta(days=14), ["resident"], "safety_patrol", minutes=60)
    scene.clock.now = START + timedelta(days=16)  # Wednesday of the third week
    async with scene.world.client("resident") as resident:
        chinese = (await resident.get("/")).text
        english = (await resident.get("/", headers=ENGLISH)).text
    # The patrol: 10 base + 1 x 10 for 59 minutes served + 20 first time = 40.
    assert text_of(chinese, "available") == "190"
    assert text_of(chinese, "held") == "0"
    assert 'data-level="neighbour"' in chinese
    assert "热心邻居" in chinese
    assert text_of(chinese, "earned") == "累计获得 190 分"
    assert text_of(chinese, "to-next") == "再得 310 分升为「社区骨干」"
    assert 'value="22"' in chinese  # (190 - 100) of the 400 points from 100 to 500
    assert text_of(chinese, "streak-now") == "3"
    assert text_of(chinese, "streak-best") == "3"
    assert 'data-badge="first_patrol"' in chinese
    assert "首次巡逻" in chinese
    assert "2026-02-23 获得" in chinese
    assert "1 / 6" in chinese
    assert "Helpful neighbour" in english
    assert "310 more points to “Community mainstay”" in english
    assert "Earned 2026-02-23" in english
    assert "First patrol" in english


async def test_a_reversal_demotes_and_breaks_nothing_else(scene: Scene) -> None:
    """Reversing a credit takes its points off the lifetime total (and the level), never
    below what remains; the balance follows."""
    first, *_ = await serve(scene, START, ["resident"])
    await serve(scene, START + timedelta(days=7), ["resident"])
    await reverse(scene, first, START + timedelta(days=8))
    async with scene.world.client("resident") as resident:
        text = (await resident.get("/")).text
    assert text_of(text, "available") == "70"
    assert text_of(text, "earned") == "累计获得 70 分"
    assert 'data-level="newcomer"' in text
    assert text_of(text, "to-next") == "再得 30 分升为「热心邻居」"
    assert text_of(text, "streak-now") == "1"
    assert text_of(text, "streak-best") == "1"


async def test_home_of_a_newcomer(scene: Scene) -> None:
    """A member who has not volunteered yet sees zero, the first level and how to start."""
    async with scene.world.client("resident") as resident:
        text = (await resident.get("/")).text
    assert text_of(text, "available") == "0"
    assert 'data-level="newcomer"' in text
    assert text_of(text, "streak-now") == "0"
    assert "参加活动即可获得徽章" in text
    assert "还没有积分记录" in text


# History.


async def test_history_explains_every_entry(scene: Scene) -> None:
    """Credits show their event and the rules' explanation, a reversal the credit it took
    back, a redemption its reward and shop, a refund and an expiry plain titles."""
    first, *_ = await serve(scene, START, ["resident"])
    [second] = await serve(scene, START + timedelta(days=7), ["resident"], title="二月坝坝席")
    await reverse(scene, first, START + timedelta(days=8))
    at = START + timedelta(days=9)
    async with scene.sessions.begin() as session:
        reward = await catalogue.create_reward(
            session,
            community_id=scene.community.id or 0,
            shop_id=scene.world.shop.id or 0,
            fields={"name_zh": "食用油", "name_en": "Cooking oil", "price_points": 20},
            now=at,
        )
    visits = Visits(scene.world, await scene.principal("admin"), {}, {})
    visits.people = {"resident": scene.world.people["resident"]}
    sold = await visits.redeem(at, "resident", reward)
    resident = scene.world.people["resident"]
    extra = [
        Posting(
            "refund",
            scene.world.shop.account,
            resident.account,
            5,
            f"refund/{secrets.token_hex(4)}",
            {"redemption": sold.id or 0, "commit_seq": sold.resolved_seq or 0},
        ),
        Posting(
            "expiry",
            resident.account,
            EXPIRY_ACCOUNT,
            3,
            f"expiry/x/{secrets.token_hex(2)}",
            {"period": "2025"},
        ),
    ]
    async with scene.sessions.begin() as session:
        for posting in extra:
            await ledger_service.append(
                session,
                keystore=scene.keystore,
                ledger=scene.community.ledger_id,
                posting=posting,
                now=at + timedelta(hours=1),
            )
    async with scene.world.client("resident") as client:
        chinese = (await client.get("/history")).text
        english = (await client.get("/history", headers=ENGLISH)).text
    kinds = re.findall(r'data-kind="([a-z.]+)"', chinese)
    assert kinds == [
        "expiry",
        "refund",
        "hold.commit",
        "hold",
        "reversal",
        "checkin.credit",
        "checkin.credit",
    ]
    assert "志愿服务 · 二月坝坝席" in chinese
    assert second.explanation_zh in chinese
    assert "积分冲正" in chinese
    assert "撤销 2026-02-09 的积分：坝坝席迎新年" in chinese
    assert "积分兑换 · 食用油" in chinese
    assert "冻结 20" in chinese
    assert "兑换退还 · 食用油" in chinese
    assert "2025 获得的积分已到期" in chinese
    assert ">-80<" in chinese
    assert ">+70<" in chinese
    assert "2026-02-16 18:01" in chinese  # approved one minute after the end, local time
    assert "Volunteering · 二月坝坝席" in english
    assert "30 base" in english
    assert "Points of 2026-02-09 taken back" in english
    assert "Redeemed · Cooking oil" in english
    assert "Points earned in 2025 expired" in english


async def test_history_pages_through_older_entries(scene: Scene) -> None:
    """Thirty entries a page, with a link to the older ones."""
    account = scene.world.people["resident"].account
    async with scene.sessions.begin() as session:
        for number in range(31):
            posting = Posting("bonus", ISSUANCE_ACCOUNT, account, 1, f"bonus/{number}")
            await ledger_service.append(
                session,
                keystore=scene.keystore,
                ledger=scene.community.ledger_id,
                posting=posting,
                now=START,
            )
    async with scene.world.client("resident") as resident:
        first = (await resident.get("/history")).text
        link = re.search(r'href="(/history\?before=\d+)"', first)
        assert link is not None
        older = (await resident.get(link.group(1))).text
    assert first.count("data-seq=") == 30
    assert older.count("data-seq=") == 1
    assert 'href="/history?before=' not in older


# Leaderboards.


@dataclass
class Town:
    scene: Scene
    arts: Team
    buildings: dict[str, Building]


async def town(scene: Scene) -> Town:
    """Team A (resident, n1 who opted out), the arts team (artist), n2 of no team; the
    resident and n1 live in building 1, n2 in building 2. Points (see the rules' default):

    - Feb 10: resident banquet 2 h (80, reversed on Mar 3), n1 banquet 1 h (30 + 20 + 20 =
      70), artist arts show 2 h (20 + 40 + 20 = 80, capped at 60).
    - Mar 2: resident birthday 1 h (20 + 20 + 20 = 60), n1 birthday 30 min (20 + 10 + 20 =
      50), n2 banquet 1 h at team A's event (70).
    """
    async with scene.sessions.begin() as session:
        community_id = scene.community.id or 0
        grid = await org.create_grid(session, community_id=community_id, name="一网格")
        buildings = {
            name: await org.create_building(
                session, community_id=community_id, grid_id=grid.id or 0, name=name
            )
            for name in ("1 栋", "2 栋")
        }
        arts = await org.create_team(
            session, community_id=community_id, name="文艺队", name_en="Arts"
        )
    for name, in_team in (("n1", True), ("n2", False), ("artist", False)):
        await scene.add_member(name, in_team=in_team)
    async with scene.sessions.begin() as session:
        for name, building in (("resident", "1 栋"), ("n1", "1 栋"), ("n2", "2 栋")):
            member = await session.get(Member, scene.member_id(name))
            assert member is not None
            member.building_id = buildings[building].id
            member.leaderboard_opt_out = name == "n1"
        artist = await session.get(Member, scene.member_id("artist"))
        assert artist is not None
        await org.add_to_team(session, team=arts, member=artist, now=START)
    feb = datetime(2026, 2, 10, 2, 0, tzinfo=UTC)
    [wrong] = await serve(scene, feb, ["resident"])
    await serve(scene, feb + timedelta(hours=3), ["n1"], minutes=60)
    await serve(scene, feb + timedelta(hours=6), ["artist"], "arts_performance", team=arts)
    mar = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    await serve(scene, mar, ["resident"], "elderly_collective_birthday", minutes=60)
    await serve(scene, mar + timedelta(hours=2), ["n1"], "elderly_collective_birthday", minutes=30)
    await serve(scene, mar + timedelta(hours=4), ["n2"], minutes=60)
    await reverse(scene, wrong, datetime(2026, 3, 3, 2, 0, tzinfo=UTC))
    scene.clock.now = datetime(2026, 3, 4, 4, 0, tzinfo=UTC)  # Wednesday, 12:00 local
    return Town(scene, arts, buildings)


def rows(text: str) -> list[tuple[str, str, str, bool]]:
    """(rank, name, points, mine) of every row shown."""
    found = []
    for item in re.findall(r'<li class="gm-row[^"]*"(.*?)</li>', text, re.S):
        rank = re.search(r'data-rank="(\d+)"', item)
        who = re.search(
            r'<span class="gm-who">(.*?)</span>\s*<span class="gm-points">(\d+)<', item, re.S
        )
        assert rank is not None
        assert who is not None
        name = re.sub(r"<[^>]+>", "", who.group(1).split(' <span class="gm-me">')[0]).strip()
        found.append((rank.group(1), name, who.group(2), 'data-mine="1"' in item))
    return found


async def test_leaderboards_rank_points_earned_in_the_window(scene: Scene) -> None:
    """This month's and all-time community boards: reversals subtract in the credit's own
    window, the opted-out member is anonymous, equal points share a rank, my row is marked."""
    await town(scene)
    async with scene.world.client("resident") as resident:
        month = (await resident.get("/leaderboards?board=community&window=month")).text
        ever = (await resident.get("/leaderboards?board=community&window=all_time")).text
        week = (await resident.get("/leaderboards?board=community&window=week")).text
    n2 = scene.world.people["n2"].display_name
    artist = scene.world.people["artist"].display_name
    me = scene.world.people["resident"].display_name
    assert rows(month) == [
        ("1", n2, "70", False),
        ("2", me, "60", True),
        ("3", "匿名志愿者", "50", False),
    ]
    assert "自 2026-03-01 起获得的积分" in month
    assert rows(week) == rows(month)
    assert "自 2026-03-02 起获得的积分" in week
    assert rows(ever) == [
        ("1", "匿名志愿者", "120", False),
        ("2", n2, "70", False),
        ("3", me, "60", True),  # 80 - 80 + 60, and it reached 60 before the artist did
        ("3", artist, "60", False),
    ]
    assert "历来获得的积分" in ever


async def test_team_building_and_group_boards(scene: Scene) -> None:
    """My team's board counts its events; my building's its residents; teams and buildings
    are ranked against each other; a team I am not in is not found."""
    found = await town(scene)
    async with scene.world.client("resident") as resident:
        default = (await resident.get("/leaderboards")).text
        building = (await resident.get("/leaderboards?board=building&window=all_time")).text
        teams = (await resident.get("/leaderboards?board=teams&window=all_time")).text
        english = (
            await resident.get("/leaderboards?board=buildings&window=all_time", headers=ENGLISH)
        ).text
        other = await resident.get(f"/leaderboards?board=team&team={found.arts.id}")
    assert 'data-board="team"' in default
    assert 'data-window="month"' in default
    assert [r[2] for r in rows(default)] == ["70", "60", "50"]
    assert rows(building)[0][1:3] == ("匿名志愿者", "120")
    assert len(rows(building)) == 2
    # Team A: 80 + 70 - 80 + 60 + 50 + 70 = 250; the arts team 60.
    assert rows(teams) == [("1", "巡逻队", "250", True), ("2", "文艺队", "60", False)]
    assert rows(english) == [("1", "1 栋", "180", True), ("2", "2 栋", "70", False)]
    assert "Buildings" in english
    assert "Anonymous" not in english
    assert other.status_code == 404


async def test_opted_out_members_see_themselves_marked(scene: Scene) -> None:
    """An opted-out member's own row is anonymous to everyone, marked for them, with a note."""
    await town(scene)
    async with scene.world.client("n1") as n1:
        text = (await n1.get("/leaderboards?board=community&window=all_time")).text
    assert rows(text)[0] == ("1", "匿名志愿者", "120", True)
    assert "您已选择不公开上榜" in text


async def test_my_row_below_the_top_is_shown(scene: Scene) -> None:
    """When I am not among the top rows, my row follows them, with my rank."""
    await town(scene)
    async with scene.sessions() as session:
        member = await session.get(Member, scene.member_id("resident"))
        assert member is not None
        shown = await game.leaderboard(
            session,
            member=member,
            team_ids=frozenset(),
            board=game.Board.COMMUNITY,
            scope_id=None,
            window=rules.Window.ALL_TIME,
            now=scene.clock.now,
            size=1,
        )
    assert [(r.rank, r.points, r.mine) for r in shown.rows] == [(1, 120, False)]
    assert shown.mine_below is not None
    assert (shown.mine_below.rank, shown.mine_below.points) == (3, 60)
    assert shown.entrants == 4


async def test_leaderboards_need_a_login(scene: Scene) -> None:
    """Strangers are sent to log in."""
    async with scene.world.client() as visitor:
        answer = await visitor.get("/leaderboards", follow_redirects=False)
    assert answer.status_code == 302
    assert answer.headers["location"] == "/login?next=%2Fleaderboards"
