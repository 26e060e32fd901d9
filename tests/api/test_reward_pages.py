"""The reward pages and the clerk's counter pages, through HTTP, on both backends.

A resident asks for a code with the page's form, the clerk opens the code's URL and confirms
or cancels with the page's buttons; refusals render as pages carrying their code; scopes
answer 404; strangers are sent to log in. After every test the ledgers verify and sum to zero.
"""

# Chinese text takes full-width punctuation; it is no confusable here.
# ruff: noqa: RUF001

from __future__ import annotations

import html
import io
import re
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest
import zxingcpp
from litestar import Litestar
from litestar.testing import AsyncTestClient
from PIL import Image

from api.app import CSRF_COOKIE
from ledger.keys import KeyStore
from organisation import service as org
from organisation.models import Shop
from redemption.policy import set_shop_policy
from tests.api.world import build_world
from tests.conftest import Database
from tests.redemption.conftest import (
    CODE_TTL_SECONDS,
    HOLD_TTL_SECONDS,
    Clock,
    Front,
    add_clerk,
    assert_ledgers_sound,
)

Client = AsyncTestClient[Litestar]
ENGLISH = {"accept-language": "en-GB,en"}


@pytest.fixture
async def front(db: Database, keystore: KeyStore, now: datetime) -> AsyncIterator[Front]:
    """The world with a movable clock; its ledgers are verified after the test."""
    clock = Clock(now)
    world = await build_world(db, keystore, now)
    world.clock = clock
    yield Front(world, clock)
    await assert_ledgers_sound(db, [world.community.ledger_id, world.other.ledger_id])


def form(client: Client, **fields: object) -> dict[str, str]:
    """A form body as the page's form sends it, with the CSRF field."""
    return {
        "_csrf_token": client.cookies.get(CSRF_COOKIE) or "",
        **{k: str(v) for k, v in fields.items()},
    }


def refusal_code(text: str) -> str | None:
    found = re.search(r'class="refusal"[^>]*data-code="([a-z_]+)"', text)
    return found.group(1) if found else None


def data_state(text: str) -> str | None:
    found = re.search(r'data-testid="(?:redemption|code)" data-state="([a-z]+)"', text)
    return found.group(1) if found else None


def section(text: str, testid: str) -> str:
    """The part of the page from the element with `testid` to the end of its list."""
    start = text.index(f'data-testid="{testid}"')
    return text[start : text.index("</ul>", start)]


async def ask_code(client: Client, **fields: object) -> str:
    """Ask for a code with the rewards page's form; the token of the code page it leads to."""
    response = await client.post(
        "/rewards/code", data=form(client, **fields), follow_redirects=False
    )
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("/rewards/code/")
    return location.removeprefix("/rewards/code/")


async def open_code(client: Client, token: str) -> str:
    """Open a code's URL as the clerk; the confirm page it leads to."""
    response = await client.get(f"/r/{token}", follow_redirects=False)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert re.fullmatch(r"/clerk/redemptions/\d+", location)
    return location


async def test_rewards_page_shows_what_my_points_buy(front: Front) -> None:
    """The list shows price, stock, validity and limits, what I can afford first, and what I
    am short of for the rest, in Chinese and in English."""
    await front.fund(front.member(), 50)
    oil = await front.add_reward(name_zh="食用油", name_en="Cooking oil", price_points=30, stock=2)
    until = datetime.fromisoformat("2026-12-31T15:59:00+00:00")
    tv = await front.add_reward(
        name_zh="电饭煲", name_en="Rice cooker", price_points=80, valid_until=until, limit_ever=1
    )
    async with front.world.client("resident") as resident:
        chinese = (await resident.get("/rewards")).text
        english = (await resident.get("/rewards", headers=ENGLISH)).text
    assert 'data-testid="available">50<' in chinese
    affordable, short = section(chinese, "affordable"), section(chinese, "out-of-reach")
    assert f'data-reward="{oil.id}"' in affordable
    assert "食用油" in affordable
    assert "库存 2" in affordable
    assert f'data-reward="{tv.id}"' in short
    assert "还差 30 分" in short
    assert "兑换截止 2026-12-31 23:59" in short
    assert "每人限 1 次" in short
    assert 'lang="en"' in english
    assert "Cooking oil" in english
    assert "30 points short" in english
    assert "2 left" in english


async def test_code_page_shows_the_qr_and_the_countdown(front: Front) -> None:
    """Picking a reward leads to its code page: a same-host QR image of the code's URL, the
    seconds left for the script and the end time for everyone."""
    await front.fund(front.member(), 50)
    oil = await front.add_reward(name_zh="食用油", price_points=30)
    async with front.world.client("resident") as resident:
        token = await ask_code(resident, reward_id=oil.id)
        shown = await resident.get(f"/rewards/code/{token}")
        png = await resident.get(f"/api/v1/me/redemption-codes/{token}/qr.png")
        status = (await resident.get(f"/rewards/code/{token}/status")).json()
    assert shown.status_code == 200
    assert shown.headers["cache-control"] == "no-store"
    assert data_state(shown.text) == "live"
    assert f'src="/api/v1/me/redemption-codes/{token}/qr.svg"' in shown.text
    assert f'data-remaining="{CODE_TTL_SECONDS}"' in shown.text
    assert "有效至 16:02:00" in shown.text  # 08:00 UTC is 16:00 in Asia/Shanghai
    assert '<script src="/static/countdown.js"' in shown.text
    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))
    assert decoded.text == f"http://127.0.0.1:8000/r/{token}"
    assert status == {"state": "live", "seconds_left": CODE_TTL_SECONDS}


async def test_clerk_confirms_and_the_points_move(front: Front) -> None:
    """Form to code, clerk opens the URL (the hold), confirms (the points move); repeating
    the confirmation answers the same, cancelling afterwards is refused with its code."""
    resident_member = front.member()
    await front.fund(resident_member, 50)
    oil = await front.add_reward(name_zh="食用油", price_points=30, stock=2)
    async with front.world.client("resident") as resident, front.world.client("clerk") as clerk:
        token = await ask_code(resident, reward_id=oil.id)
        confirm_page = await open_code(clerk, token)
        held = await clerk.get(confirm_page)
        assert data_state(held.text) == "held"
        assert "食用油" in held.text
        assert 'data-testid="points">30<' in held.text
        assert resident_member.account in held.text
        assert resident_member.display_name is not None
        assert resident_member.display_name not in held.text
        assert await front.balance(resident_member) == (50, 30)
        assert (await resident.get(f"/rewards/code/{token}/status")).json()["state"] == "held"
        assert await open_code(clerk, token) == confirm_page  # a reload does not scan again
        for _ in range(2):
            done = await clerk.post(f"{confirm_page}/confirm", data=form(clerk))
            assert done.status_code == 200
            assert data_state(done.text) == "committed"
        cancel = await clerk.post(f"{confirm_page}/cancel", data=form(clerk))
        assert cancel.status_code == 409
        assert refusal_code(cancel.text) == "hold_already_resolved"
        code_page = (await resident.get(f"/rewards/code/{token}")).text
        mine = (await resident.get("/rewards/mine")).text
    assert await front.balance(resident_member) == (20, 0)
    assert await front.balance(front.shop) == (30, 0)
    assert await front.stock(oil) == 1
    assert data_state(code_page) == "committed"
    assert "兑换成功" in code_page
    assert 'data-state="committed"' in mine
    assert 'data-testid="available">20<' in mine


async def test_clerk_cancels_and_everything_returns(front: Front) -> None:
    """Cancelling voids the hold: the points are available again and the unit is back."""
    await front.fund(front.member(), 50)
    oil = await front.add_reward(price_points=30, stock=2)
    async with front.world.client("resident") as resident, front.world.client("clerk") as clerk:
        token = await ask_code(resident, reward_id=oil.id)
        confirm_page = await open_code(clerk, token)
        assert await front.stock(oil) == 1
        cancelled = await clerk.post(f"{confirm_page}/cancel", data=form(clerk), headers=ENGLISH)
        mine = (await resident.get("/rewards/mine", headers=ENGLISH)).text
    assert data_state(cancelled.text) == "voided"
    assert "Cancelled" in cancelled.text
    assert await front.balance(front.member()) == (50, 0)
    assert await front.stock(oil) == 2
    assert 'data-state="voided"' in mine


async def test_free_amount_at_a_shop_that_takes_one(front: Front) -> None:
    """A shop taking free amounts shows its form; the amount asked for is what moves."""
    await front.fund(front.member(), 50)
    async with front.db.sessions.begin() as session:
        shop = await session.get(Shop, front.shop.id)
        assert shop is not None
        await set_shop_policy(session, shop=shop, is_supermarket=False, free_amount_max_points=40)
    async with front.world.client("resident") as resident, front.world.client("clerk") as clerk:
        listed = (await resident.get("/rewards")).text
        token = await ask_code(resident, shop_id=front.shop.id, amount_points=25)
        shown = (await resident.get(f"/rewards/code/{token}")).text
        confirm_page = await open_code(clerk, token)
        await clerk.post(f"{confirm_page}/confirm", data=form(clerk))
    assert f'data-shop="{front.shop.id}"' in listed
    assert "每次最多 40 分" in listed
    assert "积分抵扣" in shown
    assert "将使用 25 分" in shown
    assert await front.balance(front.shop) == (25, 0)


@pytest.mark.parametrize(
    ("fields", "code", "status"),
    [
        ({"price_points": 80}, "insufficient_points", 409),
        ({"price_points": 10, "stock": 0}, "out_of_stock", 409),
        ({"price_points": 10, "active": False}, "reward_withdrawn", 409),
    ],
)
async def test_asking_for_a_code_is_refused_on_the_page(
    front: Front, fields: dict[str, Any], code: str, status: int
) -> None:
    """A code that could not be redeemed now is refused at once, with the refusal's code, and
    nothing changes."""
    await front.fund(front.member(), 50)
    reward = await front.add_reward(**fields)
    async with front.world.client("resident") as resident:
        before = await front.snapshot()
        response = await resident.post(
            "/rewards/code", data=form(resident, reward_id=reward.id), follow_redirects=False
        )
    assert response.status_code == status
    assert refusal_code(response.text) == code
    assert 'href="/rewards"' in response.text
    assert await front.snapshot() == before


@pytest.mark.parametrize(
    ("fields", "code", "status"),
    [
        ({"shop_id": "1x", "amount_points": "5"}, "invalid_input", 400),
        ({"amount_points": "5"}, "invalid_input", 400),
        ({"shop_id": "SHOP", "amount_points": "0"}, "invalid_input", 400),
        ({"shop_id": "SHOP", "amount_points": "41"}, "free_amount_too_large", 409),
    ],
)
async def test_free_amounts_are_checked(
    front: Front, fields: dict[str, str], code: str, status: int
) -> None:
    """A free amount that is not a number, names no shop or passes the shop's maximum is
    refused with its code, and nothing changes."""
    await front.fund(front.member(), 50)
    async with front.db.sessions.begin() as session:
        shop = await session.get(Shop, front.shop.id)
        assert shop is not None
        await set_shop_policy(session, shop=shop, is_supermarket=False, free_amount_max_points=40)
    body = {name: str(front.shop.id) if v == "SHOP" else v for name, v in fields.items()}
    async with front.world.client("resident") as resident:
        before = await front.snapshot()
        response = await resident.post("/rewards/code", data=form(resident, **body))
    assert response.status_code == status
    assert refusal_code(response.text) == code
    assert await front.snapshot() == before


async def test_limit_reached_is_shown(front: Front) -> None:
    """A reward once a day, redeemed today, is refused the second time with limit_reached."""
    await front.fund(front.member(), 50)
    reward = await front.add_reward(price_points=5, limit_per_day=1)
    await front.redeem(reward)
    async with front.world.client("resident") as resident:
        before = await front.snapshot()
        response = await resident.post("/rewards/code", data=form(resident, reward_id=reward.id))
    assert (response.status_code, refusal_code(response.text)) == (409, "limit_reached")
    assert await front.snapshot() == before


async def test_expired_code_is_refused_at_the_counter(front: Front) -> None:
    """A code opened after its two minutes says code_expired and holds nothing; the
    resident's page offers a new code."""
    await front.fund(front.member(), 50)
    reward = await front.add_reward(price_points=10)
    async with front.world.client("resident") as resident, front.world.client("clerk") as clerk:
        token = await ask_code(resident, reward_id=reward.id)
        front.clock.advance(CODE_TTL_SECONDS)
        before = await front.snapshot()
        response = await clerk.get(f"/r/{token}", headers=ENGLISH)
        lapsed = (await resident.get(f"/rewards/code/{token}")).text
    assert (response.status_code, refusal_code(response.text)) == (409, "code_expired")
    assert "This redemption code has expired" in response.text
    assert 'href="/clerk"' in response.text
    assert await front.snapshot() == before
    assert data_state(lapsed) == "lapsed"
    assert f'name="reward_id" value="{reward.id}"' in lapsed


async def test_confirming_after_the_hold_lapsed_is_refused(front: Front) -> None:
    """Confirming a hold older than its time says hold_expired, moves nothing, and the page
    then shows the redemption as timed out."""
    await front.fund(front.member(), 50)
    reward = await front.add_reward(price_points=10, stock=1)
    async with front.world.client("resident") as resident, front.world.client("clerk") as clerk:
        confirm_page = await open_code(clerk, await ask_code(resident, reward_id=reward.id))
        front.clock.advance(HOLD_TTL_SECONDS)
        before = await front.snapshot()
        response = await clerk.post(f"{confirm_page}/confirm", data=form(clerk))
        after = await clerk.get(confirm_page)
    assert (response.status_code, refusal_code(response.text)) == (409, "hold_expired")
    assert await front.snapshot() == before
    assert data_state(after.text) == "expired"
    assert await front.balance(front.member()) == (50, 0)


async def test_wrong_shop_and_malformed_codes_are_refused(front: Front) -> None:
    """A code for another shop says wrong_shop, text that is no code says code_malformed,
    and a typed code opens like a scanned one; none of them changes anything."""
    await front.fund(front.member(), 50)
    barber = await front.new_shop("理发店")
    haircut = await front.add_reward(barber, name_zh="理发", price_points=10)
    async with front.world.client("resident") as resident, front.world.client("clerk") as clerk:
        token = await ask_code(resident, reward_id=haircut.id)
        before = await front.snapshot()
        wrong = await clerk.get(f"/r/{token}")
        garbage = await clerk.get("/r/not-a-code")
        typed = await clerk.get(
            "/clerk/scan",
            params={"code": f"http://127.0.0.1:8000/r/{token}"},
            follow_redirects=False,
        )
        nonsense = await clerk.get("/clerk/scan", params={"code": "../x?"}, follow_redirects=False)
    assert (wrong.status_code, refusal_code(wrong.text)) == (409, "wrong_shop")
    assert (garbage.status_code, refusal_code(garbage.text)) == (400, "code_malformed")
    assert typed.headers["location"] == f"/r/{token}"
    assert nonsense.headers["location"] == "/r/-"
    assert await front.snapshot() == before


async def test_a_clerk_of_several_shops_chooses_the_shop(front: Front) -> None:
    """A clerk of two shops is asked where they are (the code's shop marked) before anything
    is held; a shop that is not theirs is 404."""
    await front.fund(front.member(), 50)
    barber = await front.new_shop("理发店")
    await add_clerk(front, "both", front.shop)
    async with front.db.sessions.begin() as session:
        clerk_member = await session.get(type(front.member()), front.world.id_of("both"))
        assert clerk_member is not None
        await org.grant_role(
            session,
            member=clerk_member,
            role="clerk",
            scope_id=barber.id or 0,
            granted_by=None,
            now=front.clock(),
        )
    haircut = await front.add_reward(barber, name_zh="理发", price_points=10)
    async with front.world.client("resident") as resident, front.world.client("both") as clerk:
        token = await ask_code(resident, reward_id=haircut.id)
        before = await front.snapshot()
        chooser = await clerk.get(f"/r/{token}")
        assert await front.snapshot() == before
        outside = await clerk.get(f"/r/{token}", params={"shop": front.world.other_shop.id})
        chosen = await clerk.get(f"/r/{token}", params={"shop": barber.id}, follow_redirects=False)
    assert chooser.status_code == 200
    assert f'href="/r/{token}?shop={front.shop.id}"' in chooser.text
    assert re.search(
        rf'class="button ck-big primary" href="/r/{token}\?shop={barber.id}"', chooser.text
    )
    assert (outside.status_code, refusal_code(outside.text)) == (404, "not_found")
    assert chosen.status_code == 303
    assert await front.balance(front.member()) == (50, 10)


async def test_clerks_of_other_shops_get_404(front: Front) -> None:
    """Another shop's clerk sees no trace of this shop's redemption, cannot resolve it and
    cannot read its statement; another resident cannot open my code page."""
    await front.fund(front.member(), 50)
    barber = await front.new_shop("理发店")
    await add_clerk(front, "barber_clerk", barber)
    reward = await front.add_reward(price_points=10)
    async with front.world.client("resident") as resident, front.world.client("clerk") as clerk:
        token = await ask_code(resident, reward_id=reward.id)
        confirm_page = await open_code(clerk, token)
    async with (
        front.world.client("barber_clerk") as stranger,
        front.world.client("captain") as captain,
    ):
        before = await front.snapshot()
        answers = [
            await stranger.get(confirm_page),
            await stranger.post(f"{confirm_page}/confirm", data=form(stranger)),
            await stranger.post(f"{confirm_page}/cancel", data=form(stranger)),
            await stranger.get("/clerk/statement", params={"shop": front.shop.id}),
            await captain.get(f"/rewards/code/{token}"),
        ]
        status = await captain.get(f"/rewards/code/{token}/status")
    assert [(r.status_code, refusal_code(r.text)) for r in answers] == [(404, "not_found")] * 5
    assert (status.status_code, status.json()["code"]) == (404, "not_found")
    assert await front.snapshot() == before


async def test_residents_cannot_open_the_counter(front: Front) -> None:
    """A resident who opens a code's URL is refused as not a clerk, and nothing is held."""
    await front.fund(front.member(), 50)
    reward = await front.add_reward(price_points=10)
    async with front.world.client("resident") as resident:
        token = await ask_code(resident, reward_id=reward.id)
        before = await front.snapshot()
        answers = [await resident.get(f"/r/{token}"), await resident.get("/clerk")]
    assert [(r.status_code, refusal_code(r.text)) for r in answers] == [(403, "forbidden")] * 2
    assert await front.snapshot() == before


@pytest.mark.parametrize(
    "path",
    ["/rewards", "/rewards/mine", "/rewards/code/abc", "/r/abc", "/clerk", "/clerk/statement"],
)
async def test_strangers_are_sent_to_log_in(front: Front, path: str) -> None:
    """Without a login every reward and counter page redirects to the login page and back."""
    async with front.world.client() as anonymous:
        response = await anonymous.get(path, follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == "/login?next=" + path.replace("/", "%2F")


async def test_counter_and_statement_pages(front: Front) -> None:
    """The counter lists today's redemptions with their states and the confirmed total; the
    statement adds up in both languages and links to its CSV."""
    await front.fund(front.member(), 100)
    oil = await front.add_reward(name_zh="食用油", name_en="Cooking oil", price_points=30)
    async with front.world.client("resident") as resident, front.world.client("clerk") as clerk:
        kept = await open_code(clerk, await ask_code(resident, reward_id=oil.id))
        await clerk.post(f"{kept}/confirm", data=form(clerk))
        dropped = await open_code(clerk, await ask_code(resident, reward_id=oil.id))
        await clerk.post(f"{dropped}/cancel", data=form(clerk))
        today = (await clerk.get("/clerk")).text
        period = {"from": "2026-03-01", "to": "2026-03-31"}
        chinese = (await clerk.get("/clerk/statement", params=period)).text
        english = (await clerk.get("/clerk/statement", params=period, headers=ENGLISH)).text
        default = await clerk.get("/clerk/statement")
        csv_href = re.search(r'href="([^"]+)" download', chinese)
        assert csv_href is not None
        csv = await clerk.get(csv_href.group(1).replace("&amp;", "&"))
        bad = await clerk.get("/clerk/statement", params={"from": "2026-13-01"})
    assert 'data-state="committed"' in today
    assert 'data-state="voided"' in today
    assert "已确认 1 笔，共 30 分" in today
    assert 'data-testid="redeemed">+30<' in chinese
    assert 'data-testid="closing">30<' in chinese
    assert "食用油" in chinese
    assert "Cooking oil" in english
    assert "Points received" in english
    assert default.status_code == 200
    assert 'value="2026-03-01"' in default.text
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    assert "Cooking oil" in csv.text
    assert (bad.status_code, refusal_code(bad.text)) == (400, "invalid_input")


async def test_every_page_speaks_both_languages(front: Front) -> None:
    """Each reward and counter page is Chinese by default and English when asked."""
    await front.fund(front.member(), 50)
    reward = await front.add_reward(price_points=10)
    pages: dict[str, list[tuple[str, str, str]]] = {"resident": [], "clerk": []}
    async with front.world.client("resident") as resident, front.world.client("clerk") as clerk:
        token = await ask_code(resident, reward_id=reward.id)
        confirm_page = await open_code(clerk, token)
        pages["resident"] = [
            ("/rewards", "现在可以兑换", "You can redeem now"),
            ("/rewards/mine", "我的兑换", "My redemptions"),
            (f"/rewards/code/{token}", "店员已扫码", "The clerk scanned your code"),
        ]
        pages["clerk"] = [
            ("/clerk", "今日兑换", "Today's redemptions"),
            (confirm_page, "确认交付", "Confirm hand-over"),
            ("/clerk/statement", "期末余额", "Closing balance"),
        ]
        for role, client in (("resident", resident), ("clerk", clerk)):
            for path, zh, en in pages[role]:
                chinese = await client.get(path)
                english = await client.get(path, headers=ENGLISH)
                assert (chinese.status_code, english.status_code) == (200, 200), path
                assert 'lang="zh-CN"' in chinese.text
                assert zh in chinese.text, path
                assert 'lang="en"' in english.text
                assert en in html.unescape(english.text), path
                assert '<link rel="stylesheet" href="/static/rewards.css">' in chinese.text
