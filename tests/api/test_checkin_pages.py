"""The volunteer's check-in pages and the captain's pages, through HTTP, on both backends.

A volunteer opens a venue code's URL and is checked in (or logs in first and comes back);
the captain creates, opens, shows, closes and cancels events, approves and rejects with the
pages' forms, and scans a neighbour's personal code. Refusals render as pages carrying
their code and change nothing but the refusal record; other teams' events answer 404,
residents 403 and strangers the login page.
"""

# Chinese text takes full-width punctuation, and a time span an en dash.
# ruff: noqa: RUF001

from __future__ import annotations

import base64
import io
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import zxingcpp
from litestar import Litestar
from litestar.testing import AsyncTestClient
from PIL import Image
from sqlmodel import col, func, select

from api.app import CSRF_COOKIE
from checkin import events
from checkin.models import APPROVED, PENDING, REJECTED, Checkin, Event
from checkin.times import as_utc
from ledger.keys import KeyStore
from organisation import service as org
from tests.api.world import PASSWORD, build_world
from tests.checkin.helpers import Clock, Scene
from tests.conftest import Database

Client = AsyncTestClient[Litestar]
ENGLISH = {"accept-language": "en-GB,en"}


@pytest.fixture
async def scene(db: Database, keystore: KeyStore, now: datetime) -> Scene:
    """The API world on a clock the test moves, with the check-in tests' helpers."""
    clock = Clock(now)
    world = await build_world(db, keystore, now)
    world.clock = clock
    return Scene(world, clock)


def form(client: Client, **fields: object) -> dict[str, str]:
    """A form body as the page's form sends it, with the CSRF field."""
    token = client.cookies.get(CSRF_COOKIE) or ""
    return {"_csrf_token": token, **{k: str(v) for k, v in fields.items()}}


def refusal_code(text: str) -> str | None:
    found = re.search(r'class="refusal[^"]*"[^>]*data-code="([a-z_]+)"', text)
    return found.group(1) if found else None


def data_of(text: str, testid: str, name: str) -> str | None:
    found = re.search(rf'data-testid="{testid}"[^>]*data-{name}="([^"]*)"', text)
    return found.group(1) if found else None


async def open_code(client: Client, token: str, **kwargs: object) -> tuple[str, str]:
    """Open a venue code's URL; the check-in page it leads to and that page's text."""
    opened = await client.get(f"/c/{token}", follow_redirects=False)
    assert opened.status_code == 303, opened.text
    location = opened.headers["location"]
    assert re.fullmatch(r"/me/checkins/\d+\?scan=(new|existing)", location), location
    shown = await client.get(location, **kwargs)  # type: ignore[arg-type]  # headers only
    assert shown.status_code == 200, shown.text
    return location, shown.text


async def checkin_of(scene: Scene, role: str, event: Event) -> Checkin | None:
    async with scene.sessions() as session:
        statement = select(Checkin).where(
            Checkin.event_id == event.id, Checkin.member_id == scene.member_id(role)
        )
        return (await session.execute(statement)).scalar_one_or_none()


async def count_events(scene: Scene) -> int:
    async with scene.sessions() as session:
        statement = select(func.count()).where(col(Event.community_id) == scene.community.id)
        return int((await session.execute(statement)).scalar_one())


# The volunteer's check-in page.


async def test_opening_a_code_checks_in_and_says_what_happens_next(scene: Scene) -> None:
    """A logged-in volunteer who opens the code's URL is checked in (pending) and sees
    "已签到" with the event's title, place and time and that the captain approves next."""
    event = await scene.event()
    token = await scene.code(event)
    async with scene.world.client("resident") as resident:
        location, text = await open_code(resident, token)
    checkin = await checkin_of(scene, "resident", event)
    assert checkin is not None
    assert checkin.state == PENDING
    assert location == f"/me/checkins/{checkin.id}?scan=new"
    assert data_of(text, "checkin", "state") == "pending"
    assert "已签到" in text
    assert "坝坝席迎新年" in text
    assert "3 号楼前" in text
    assert "2026-03-01 16:00–18:00" in text  # 08:00 UTC is 16:00 in Asia/Shanghai
    assert "请等待队长审核" in text


async def test_the_check_in_page_speaks_english(scene: Scene) -> None:
    """The same page in English for a browser that asks for it."""
    event = await scene.event()
    token = await scene.code(event)
    async with scene.world.client("resident") as resident:
        _, text = await open_code(resident, token, headers=ENGLISH)
    assert 'lang="en"' in text
    assert "Checked in" in text
    assert "New Year neighbourhood banquet" in text
    assert "Wait for the captain&#39;s approval" in text


async def test_a_second_scan_shows_the_check_in_already_there(scene: Scene) -> None:
    """Opening a later code of the same event shows the first check-in and records nothing."""
    event = await scene.event()
    async with scene.world.client("resident") as resident:
        first, _ = await open_code(resident, await scene.code(event))
        scene.clock.advance(minutes=5)
        before = await scene.snapshot()
        again, text = await open_code(resident, await scene.code(event))
    assert again == first.replace("scan=new", "scan=existing")
    assert await scene.snapshot() == before
    assert "您已于 16:00 签到" in text


async def test_auto_approved_activities_credit_at_once(scene: Scene) -> None:
    """A building clean-up is approved by the rules on the scan: the page shows the credit
    and its explanation."""
    event = await scene.event(activity_id="building_cleanup")
    async with scene.world.client("resident") as resident:
        _, chinese = await open_code(resident, await scene.code(event))
        checkin = await checkin_of(scene, "resident", event)
        assert checkin is not None
        english = (await resident.get(f"/me/checkins/{checkin.id}", headers=ENGLISH)).text
    assert checkin.state == APPROVED
    assert checkin.points
    assert f"已入账 {checkin.points} 分" in chinese
    assert checkin.explanation_zh in chinese
    assert f"{checkin.points} points credited" in english
    assert checkin.explanation_en.replace("'", "&#39;") in english


async def test_strangers_log_in_and_come_back_checked_in(scene: Scene) -> None:
    """Opening the URL without a login leads to the login page and back; the code, seen
    before it rotated away, is still accepted two minutes later."""
    event = await scene.event()
    token = await scene.code(event)
    async with scene.world.client() as visitor:
        opened = await visitor.get(f"/c/{token}", follow_redirects=False)
        assert opened.status_code == 302
        assert opened.headers["location"] == f"/login?next=%2Fc%2F{token}"
        assert await checkin_of(scene, "resident", event) is None
        scene.clock.advance(minutes=2)  # typing the password; the code rotated 4 times
        login = {"identifier": scene.world.username("resident"), "password": PASSWORD}
        logged_in = await visitor.post(
            "/login", data=form(visitor, **login, next=f"/c/{token}"), follow_redirects=False
        )
        assert logged_in.headers["location"] == f"/c/{token}"
        _, text = await open_code(visitor, token)
    checkin = await checkin_of(scene, "resident", event)
    assert checkin is not None
    assert checkin.state == PENDING
    assert "已签到" in text


async def test_a_code_seen_too_long_before_logging_in_is_refused(scene: Scene) -> None:
    """Ten minutes after the code was seen, the login grace is over: token_expired."""
    event = await scene.event()
    token = await scene.code(event)
    async with scene.world.client() as visitor:
        await visitor.get(f"/c/{token}", follow_redirects=False)
        scene.clock.advance(minutes=11)
        login = {"identifier": scene.world.username("resident"), "password": PASSWORD}
        await visitor.post("/login", data=form(visitor, **login, next="/"))
        before = await scene.snapshot()
        refused = await visitor.get(f"/c/{token}")
    assert refused.status_code == 409
    assert refusal_code(refused.text) == "token_expired"
    assert "请扫描现场屏幕上的最新二维码" in refused.text
    assert await scene.snapshot() == before


async def test_strangers_see_a_bad_code_refused_without_logging_in(scene: Scene) -> None:
    """A code that is not one, or an expired one, is refused before any login."""
    event = await scene.event()
    token = await scene.code(event)
    scene.clock.advance(minutes=2)
    async with scene.world.client() as visitor:
        junk = await visitor.get("/c/not-a-code")
        stale = await visitor.get(f"/c/{token}", headers=ENGLISH)
    assert (junk.status_code, refusal_code(junk.text)) == (400, "token_malformed")
    assert (stale.status_code, refusal_code(stale.text)) == (409, "token_expired")
    assert "This code has expired" in stale.text


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("expired", 409, "token_expired"),
        ("wrong_community", 403, "wrong_community"),
        ("not_team_member", 403, "not_team_member"),
        ("capacity", 409, "capacity_reached"),
        ("closed", 409, "event_closed"),
        ("cancelled", 409, "event_cancelled"),
        ("not_open", 409, "event_not_open"),
    ],
)
async def test_refused_check_ins_show_their_code_and_change_nothing(
    scene: Scene, case: str, status: int, code: str
) -> None:
    """Each refusal renders its bilingual message with its code; only the refusal record
    is added."""
    who = "other_resident" if case == "wrong_community" else "resident"
    event = await scene.event(
        capacity=1 if case == "capacity" else 20,
        open_to="team" if case == "not_team_member" else "community",
        opened=case != "not_open",
    )
    if case == "not_team_member":
        await scene.add_member("neighbour", in_team=False)
        who = "neighbour"
    if case == "capacity":
        await scene.scan("captain", await scene.code(event))
    token = await scene.sign(event.id or 0)
    if case == "expired":
        scene.clock.advance(minutes=2)
    async with scene.world.client(who) as client:
        if case == "closed":
            async with scene.world.client("captain") as captain:
                await captain.post(f"/captain/events/{event.id}/close", data=form(captain))
        if case == "cancelled":
            async with scene.world.client("captain") as captain:
                cancel = form(captain, reason="下雨")
                await captain.post(f"/captain/events/{event.id}/cancel", data=cancel)
        before = await scene.snapshot()
        filed = len(await scene.refusals())
        refused = await client.get(f"/c/{token}")
        english = await client.get(f"/c/{token}", headers=ENGLISH)
    assert refused.status_code == status
    assert refusal_code(refused.text) == code
    assert "签到未成功" in refused.text
    assert refusal_code(english.text) == code
    assert "Could not check in" in english.text
    assert await scene.snapshot() == before
    assert [r.code for r in (await scene.refusals())[filed:]] == [code, code]


async def test_patrols_check_out_from_a_second_scan(scene: Scene) -> None:
    """A patrol's first scan asks to check out at the end; scanning again at the end shows
    a check-out button, which records the check-out."""
    event = await scene.event(activity_id="safety_patrol")
    async with scene.world.client("resident") as resident:
        _, first = await open_code(resident, await scene.code(event))
        assert "结束时请再次扫描现场二维码" in first
        assert 'data-testid="checkout"' not in first
        scene.clock.advance(minutes=90)
        location, second = await open_code(resident, await scene.code(event))
        assert location.endswith("scan=existing")
        action = re.search(r'<form method="post" action="(/c/[^"]+/checkout)"', second)
        assert action is not None
        scene.clock.advance(seconds=45)  # reading the page; the code rotated since
        done = await resident.post(action.group(1), data=form(resident), follow_redirects=False)
        assert done.status_code == 303
        assert done.headers["location"].endswith("?scan=out")
        shown = (await resident.get(done.headers["location"])).text
    checkin = await checkin_of(scene, "resident", event)
    assert checkin is not None
    assert checkin.checked_out_at is not None
    assert "已签退" in shown
    assert "请等待队长审核" in shown


async def test_my_check_in_page_is_mine_only(scene: Scene) -> None:
    """Someone else's check-in page answers 404; strangers are sent to log in."""
    event = await scene.event()
    scanned = await scene.scan("resident", await scene.code(event))
    async with scene.world.client("captain") as captain:
        other = await captain.get(f"/me/checkins/{scanned.checkin.id}")
    async with scene.world.client() as visitor:
        stranger = await visitor.get(f"/me/checkins/{scanned.checkin.id}", follow_redirects=False)
    assert other.status_code == 404
    assert refusal_code(other.text) == "not_found"
    assert stranger.status_code == 302


async def test_my_code_is_a_qr_the_captain_scans(scene: Scene) -> None:
    """My code page shows a QR of the captain's scan URL with my code, valid five minutes
    and renewed a minute before; the captain's scan of it checks me in."""
    event = await scene.event()
    async with scene.world.client("resident") as resident:
        page = await resident.get("/me/code")
        english = await resident.get("/me/code", headers=ENGLISH)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert 'data-remaining="300"' in page.text
    assert 'data-renew-in="240"' in page.text
    assert '<meta http-equiv="refresh" content="240">' in page.text
    assert "请把二维码出示给队长扫描签到" in page.text
    assert "Show this code to the captain" in english.text
    found = re.search(r'src="data:image/png;base64,([^"]+)"', page.text)
    assert found is not None
    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(base64.b64decode(found.group(1)))))
    url = urlsplit(decoded.text)
    assert (url.netloc, url.path) == ("127.0.0.1:8000", "/captain/scan")
    async with scene.world.client("captain") as captain:
        prefilled = await captain.get(f"{url.path}?{url.query}")
        code = parse_qs(url.query)["code"][0]
        assert code in prefilled.text
        scan = form(captain, event_id=event.id, code=decoded.text, action="check_in")
        done = await captain.post("/captain/scan", data=scan)
    assert done.status_code == 200
    assert data_of(done.text, "outcome", "outcome") == "recorded"
    assert "resident" in done.text
    checkin = await checkin_of(scene, "resident", event)
    assert checkin is not None
    assert checkin.method == "personal"


# The captain's events and kiosk.


async def test_captain_creates_opens_shows_and_closes_an_event(scene: Scene) -> None:
    """The form creates a scheduled event on the community's clock; opening it makes the
    kiosk show the rotating code and the count; closing it stops the code."""
    async with scene.world.client("captain") as captain:
        home = await captain.get("/captain")
        assert home.status_code == 200
        assert "新建活动" in home.text
        assert 'value="2026-03-01T16:00"' in home.text  # now, on the community's clock
        fields = {
            "team_id": scene.world.team.id,
            "activity_id": "elderly_collective_birthday",
            "title": "三月集体生日会",
            "place": "活动室",
            "starts_at": "2026-03-01T16:00",
            "ends_at": "2026-03-01T18:00",
            "capacity": "25",
            "checkout": "",
            "open_to": "team",
        }
        created = await captain.post("/captain/events", data=form(captain, **fields))
        assert created.status_code == 200
        assert "活动已创建" in created.text
        async with scene.sessions() as session:
            event = (
                await session.execute(
                    select(Event).where(
                        Event.title == "三月集体生日会",
                        Event.community_id == scene.world.community.id,
                    )
                )
            ).scalar_one()
        assert (event.state, event.capacity, event.open_to) == ("scheduled", 25, "team")
        assert as_utc(event.starts_at) == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
        waiting = await captain.get(f"/captain/events/{event.id}/kiosk")
        assert data_of(waiting.text, "kiosk", "state") == "scheduled"
        assert 'data-testid="qr"' not in waiting.text
        opened = await captain.post(f"/captain/events/{event.id}/open", data=form(captain))
        assert "已开始签到" in opened.text
        scene.clock.advance(seconds=7)
        await scene.scan("resident", await scene.code(await scene.reload(event)))
        kiosk = await captain.get(f"/captain/events/{event.id}/kiosk")
        live = (await captain.get(f"/captain/events/{event.id}/live")).json()
        english = await captain.get(f"/captain/events/{event.id}/kiosk", headers=ENGLISH)
        image = await captain.get(live["image"])
        closed = await captain.post(f"/captain/events/{event.id}/close", data=form(captain))
        after = (await captain.get(f"/captain/events/{event.id}/live")).json()
    assert kiosk.headers["cache-control"] == "no-store"
    assert f'src="/api/v1/events/{event.id}/code.svg?b={live["bucket"]}"' in kiosk.text
    assert 'data-testid="count">1<' in kiosk.text
    assert '<meta http-equiv="refresh" content="23">' in kiosk.text
    assert "请用手机扫码签到" in kiosk.text
    assert "Scan with your phone to check in" in english.text
    assert live == {
        "state": "open",
        "checked_in": 1,
        "capacity": 25,
        "bucket": live["bucket"],
        "seconds_left": 23,
        "ttl_seconds": 30,
        "image": f"/api/v1/events/{event.id}/code.svg?b={live['bucket']}",
    }
    assert image.headers["content-type"] == "image/svg+xml"
    assert "已结束签到" in closed.text
    assert after["state"] == "closed"
    assert after["image"] is None


async def test_a_bad_event_form_shows_the_form_again(scene: Scene) -> None:
    """An end before the start, a time that is not one, or a team I do not lead is refused
    with the field named and the values kept, and no event is made."""
    before = await count_events(scene)
    async with scene.world.client("captain") as captain:
        fields = {
            "team_id": scene.world.team.id,
            "activity_id": "safety_patrol",
            "title": "夜间巡逻",
            "starts_at": "2026-03-01T20:00",
            "ends_at": "2026-03-01T19:00",
            "capacity": "8",
        }
        refused = await captain.post("/captain/events", data=form(captain, **fields))
        unknown = await captain.post(
            "/captain/events", data=form(captain, **{**fields, "ends_at": "tomorrow"})
        )
        not_mine = await captain.post(
            "/captain/events",
            data=form(captain, **{**fields, "team_id": scene.world.other_team.id}),
        )
    assert refused.status_code == 400
    assert refusal_code(refused.text) == "invalid_input"
    assert 'data-field="ends_at"' in refused.text
    assert 'value="夜间巡逻"' in refused.text
    assert unknown.status_code == 400
    assert (not_mine.status_code, refusal_code(not_mine.text)) == (400, "invalid_input")
    assert 'data-field="team_id"' in not_mine.text
    assert await count_events(scene) == before


async def test_cancelling_needs_a_reason_and_rejects_pending_check_ins(scene: Scene) -> None:
    """Cancelling without a reason is refused and changes nothing; with one, the event is
    cancelled and its pending check-ins are rejected with it."""
    event = await scene.event()
    scanned = await scene.scan("resident", await scene.code(event))
    async with scene.world.client("captain") as captain:
        before = await scene.snapshot()
        blank = await captain.post(f"/captain/events/{event.id}/cancel", data=form(captain))
        assert await scene.snapshot() == before
        done = await captain.post(
            f"/captain/events/{event.id}/cancel", data=form(captain, reason="大雨")
        )
        again = await captain.post(
            f"/captain/events/{event.id}/cancel", data=form(captain, reason="大雨")
        )
    assert (blank.status_code, refusal_code(blank.text)) == (400, "invalid_input")
    assert "活动已取消" in done.text
    assert (again.status_code, refusal_code(again.text)) == (409, "invalid_transition")
    assert (await scene.reload(event)).state == "cancelled"
    checkin = await scene.checkin(scanned.checkin.id or 0)
    assert (checkin.state, checkin.reason) == (REJECTED, "event cancelled: 大雨")


async def another_teams_event(scene: Scene, where: str) -> Event:
    """An open event of a team the captain does not lead: in community A, or in B."""
    if where == "other_community":
        return await scene.event(by="other_admin", other=True)
    async with scene.sessions.begin() as session:
        team = await org.create_team(session, community_id=scene.community.id or 0, name="文艺队")
        spec = events.EventSpec(
            activity_id="arts_performance",
            title="文艺演出",
            place="广场",
            starts_at=scene.clock.now,
            ends_at=scene.clock.now + timedelta(hours=2),
            capacity=20,
            open_to="community",
        )
        event = await events.create(
            session,
            community_id=scene.community.id or 0,
            team_id=team.id or 0,
            created_by=scene.member_id("admin"),
            spec=spec,
            now=scene.clock.now,
        )
        await events.open_event(session, event=event, now=scene.clock.now)
    return event


@pytest.mark.parametrize("where", ["same_community", "other_community"])
@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("GET", "/kiosk"),
        ("GET", "/live"),
        ("POST", "/open"),
        ("POST", "/close"),
        ("POST", "/cancel"),
    ],
)
async def test_other_teams_events_are_not_found(
    scene: Scene, where: str, method: str, suffix: str
) -> None:
    """Events of another team, in my community or another, answer 404 and stay as they
    were."""
    event = await another_teams_event(scene, where)
    async with scene.world.client("captain") as captain:
        before = await scene.snapshot()
        answer = await captain.request(
            method,
            f"/captain/events/{event.id}{suffix}",
            data=form(captain, reason="x") if method == "POST" else None,
        )
    assert answer.status_code == 404
    assert await scene.snapshot() == before
    assert (await scene.reload(event)).state == "open"


@pytest.mark.parametrize(
    ("path", "chinese", "english"),
    [
        ("/captain", "进行中和即将开始", "Now and upcoming"),
        ("/captain/pending", "待审核签到", "Check-ins to approve"),
        ("/captain/scan", "扫描居民二维码", "Scan a neighbour&#39;s code"),
    ],
)
async def test_captain_pages_speak_both_languages(
    scene: Scene, path: str, chinese: str, english: str
) -> None:
    """Each captain page is in Chinese by default and in English when asked."""
    event = await scene.event()
    await scene.scan("resident", await scene.code(event))
    async with scene.world.client("captain") as captain:
        zh = await captain.get(path)
        en = await captain.get(path, headers=ENGLISH)
    assert zh.status_code == en.status_code == 200
    assert chinese in zh.text
    assert english in en.text
    assert 'lang="en"' in en.text
    assert "坝坝席迎新年" in zh.text


@pytest.mark.parametrize(
    "path", ["/captain", "/captain/pending", "/captain/scan", "/captain/events/1/kiosk"]
)
async def test_captain_pages_are_for_captains(scene: Scene, path: str) -> None:
    """Residents get 403, strangers the login page and back."""
    async with scene.world.client("resident") as resident:
        refused = await resident.get(path)
    async with scene.world.client() as visitor:
        stranger = await visitor.get(path, follow_redirects=False)
    assert (refused.status_code, refusal_code(refused.text)) == (403, "forbidden")
    assert stranger.status_code == 302
    assert stranger.headers["location"].startswith("/login?next=")


# Approvals.


async def test_captain_approves_and_the_volunteer_sees_the_credit(scene: Scene) -> None:
    """Approving from the pending list credits the volunteer with the rules' explanation,
    which their check-in page and history then show."""
    event = await scene.event()
    scanned = await scene.scan("resident", await scene.code(event))
    checkin_id = scanned.checkin.id
    scene.clock.advance(hours=2)
    async with scene.world.client("captain") as captain:
        pending = await captain.get("/captain/pending")
        assert f'data-checkin="{checkin_id}"' in pending.text
        assert "resident" in pending.text
        done = await captain.post(f"/captain/checkins/{checkin_id}/approve", data=form(captain))
    checkin = await scene.checkin(checkin_id or 0)
    assert checkin.state == APPROVED
    assert checkin.points == 80
    assert data_of(done.text, "decided", "state") == "approved"
    assert "已通过：resident" in done.text
    assert f'data-checkin="{checkin_id}"' not in done.text
    async with scene.world.client("resident") as resident:
        mine = (await resident.get(f"/me/checkins/{checkin_id}")).text
        history = (await resident.get("/history")).text
        english = (await resident.get("/history", headers=ENGLISH)).text
    assert "已入账 80 分" in mine
    assert checkin.explanation_zh in history
    assert "坝坝席迎新年" in history
    assert "30 base" in english


async def test_my_own_check_in_is_not_mine_to_approve(scene: Scene) -> None:
    """The list says why my own check-in has no buttons; posting an approval anyway is
    refused with self_approval and changes nothing."""
    event = await scene.event(by="admin")
    own = await scene.scan("captain", await scene.code(event))
    async with scene.world.client("captain") as captain:
        listed = (await captain.get("/captain/pending")).text
        before = await scene.snapshot()
        refused = await captain.post(
            f"/captain/checkins/{own.checkin.id}/approve", data=form(captain)
        )
        rejected = await captain.post(
            f"/captain/checkins/{own.checkin.id}/reject", data=form(captain, reason="x")
        )
    assert f'data-checkin="{own.checkin.id}" data-own="1"' in listed
    assert "这是您自己的签到" in listed
    assert (refused.status_code, refusal_code(refused.text)) == (403, "self_approval")
    assert (rejected.status_code, refusal_code(rejected.text)) == (403, "self_approval")
    assert await scene.snapshot() == before


async def test_rejecting_needs_a_reason(scene: Scene) -> None:
    """A rejection without a reason is refused; with one, the volunteer reads it."""
    event = await scene.event()
    scanned = await scene.scan("resident", await scene.code(event))
    async with scene.world.client("captain") as captain:
        before = await scene.snapshot()
        blank = await captain.post(
            f"/captain/checkins/{scanned.checkin.id}/reject", data=form(captain, reason=" ")
        )
        assert await scene.snapshot() == before
        done = await captain.post(
            f"/captain/checkins/{scanned.checkin.id}/reject", data=form(captain, reason="未到场")
        )
    async with scene.world.client("resident") as resident:
        mine = (await resident.get(f"/me/checkins/{scanned.checkin.id}")).text
    assert (blank.status_code, refusal_code(blank.text)) == (400, "invalid_input")
    assert data_of(done.text, "decided", "state") == "rejected"
    assert (await scene.checkin(scanned.checkin.id or 0)).state == REJECTED
    assert "未通过审核" in mine
    assert "原因：未到场" in mine


async def test_bulk_approval_decides_each_ticked_check_in(scene: Scene) -> None:
    """Ticking two check-ins approves both; a patrol not yet checked out has no box and,
    sent anyway, is refused on its own with checkout_pending."""
    event = await scene.event()
    patrol = await scene.event(activity_id="safety_patrol")
    await scene.add_member("neighbour")
    first = await scene.scan("resident", await scene.code(event))
    second = await scene.scan("neighbour", await scene.code(event))
    walking = await scene.scan("resident", await scene.code(patrol))
    async with scene.world.client("captain") as captain:
        listed = (await captain.get("/captain/pending")).text
        ids = [first.checkin.id, second.checkin.id, walking.checkin.id]
        body = [("_csrf_token", captain.cookies.get(CSRF_COOKIE) or "")]
        body += [("checkin_id", str(i)) for i in ids]
        done = await captain.post(
            "/captain/pending/approve",
            content="&".join(f"{k}={v}" for k, v in body),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        nothing = await captain.post("/captain/pending/approve", data=form(captain))
    assert f'name="checkin_id" value="{walking.checkin.id}"' not in listed
    assert "尚未签退" in listed
    assert data_of(done.text, "bulk-done", "approved") == "2"
    assert 'data-codes="checkout_pending"' in done.text
    states = [(await scene.checkin(i or 0)).state for i in ids]
    assert states == [APPROVED, APPROVED, PENDING]
    assert (nothing.status_code, refusal_code(nothing.text)) == (400, "invalid_input")


async def test_captains_decide_only_their_teams_check_ins(scene: Scene) -> None:
    """Another community's check-in answers 404 to approve and reject, and stays pending."""
    event = await scene.event(by="other_admin", other=True)
    scanned = await scene.scan("other_resident", await scene.code(event))
    async with scene.world.client("captain") as captain:
        before = await scene.snapshot()
        approve = await captain.post(
            f"/captain/checkins/{scanned.checkin.id}/approve", data=form(captain)
        )
        reject = await captain.post(
            f"/captain/checkins/{scanned.checkin.id}/reject", data=form(captain, reason="x")
        )
        listed = (await captain.get("/captain/pending")).text
    assert approve.status_code == reject.status_code == 404
    assert f'data-checkin="{scanned.checkin.id}"' not in listed
    assert await scene.snapshot() == before


# Scanning personal codes.


async def test_scanning_a_bad_personal_code_shows_why(scene: Scene) -> None:
    """A garbled code is refused with its code on the scan page; the refusal is filed and
    nothing else changes; with no open event the page says so."""
    async with scene.world.client("captain") as captain:
        empty = (await captain.get("/captain/scan")).text
        event = await scene.event()
        chosen = (await captain.get("/captain/scan")).text
        before = await scene.snapshot()
        filed = len(await scene.refusals())
        refused = await captain.post(
            "/captain/scan", data=form(captain, event_id=event.id, code="garbage")
        )
        english = await captain.post(
            "/captain/scan", data=form(captain, event_id=event.id, code="garbage"), headers=ENGLISH
        )
    assert 'data-testid="no-events"' in empty
    assert f'<option value="{event.id}" selected>' in chosen
    assert (refused.status_code, refusal_code(refused.text)) == (400, "token_malformed")
    assert "这不是有效的积分二维码" in refused.text
    assert "This is not a Jifen code." in english.text
    assert await scene.snapshot() == before
    assert [r.code for r in (await scene.refusals())[filed:]] == ["token_malformed"] * 2


async def test_scanning_for_another_teams_event_is_not_found(scene: Scene) -> None:
    """A personal code scanned for an event outside my teams is refused as not found."""
    event = await scene.event(by="other_admin", other=True)
    code = await scene.member_code("resident")
    async with scene.world.client("captain") as captain:
        before = await scene.snapshot()
        refused = await captain.post(
            "/captain/scan", data=form(captain, event_id=event.id, code=code)
        )
    assert (refused.status_code, refusal_code(refused.text)) == (404, "not_found")
    assert await scene.snapshot() == before
