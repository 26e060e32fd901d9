"""The admin console's rule sets, dashboard, reversals and keys through HTTP, on both
backends, over a community with a few weeks of history: every form end to end, every
refusal shown with its code, changing nothing."""

# Chinese text takes full-width punctuation; it is no confusable here.
# ruff: noqa: RUF001

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import col, select

import rules
from checkin.models import APPROVED, REVERSED, Checkin, Event, RulesetActivation, RulesetVersion
from ledger import service as ledger_service
from ledger.keyring import list_keys
from ledger.models import LedgerEntry
from organisation.models import Member
from redemption import catalogue
from redemption.models import Reward
from tests.admin.history import History, new_history
from tests.api.admin_pages_helpers import (
    BAD_RULES,
    ENGLISH,
    GOOD_RULES,
    Client,
    base,
    count,
    form,
    post,
    refusal_code,
)
from tests.api.scene import Scene, module_scene_fixtures
from tests.api.world import build_world
from tests.conftest import FIXED_NOW, Database

scene_db, scene = module_scene_fixtures()


# --- Rule sets ------------------------------------------------------------------------------


async def test_checking_a_bad_rule_set_names_file_line_and_key(scene: Scene) -> None:
    """Check and upload of a rule set with a float both answer ruleset_invalid (400) naming
    the file, line 15 and the key, keep the text in the editor, and store nothing."""
    admin = await scene.client("admin")
    a = base(scene)
    versions = await count(scene.db, RulesetVersion)
    for action in ("/rules/check", "/rules"):
        response = await post(admin, a + action, text=BAD_RULES, file_name="社区规则.toml")
        assert response.status_code == 400, response.text
        assert refusal_code(response.text) == "ruleset_invalid"
        assert 'data-detail="file">社区规则.toml<' in response.text
        assert 'data-detail="line">15<' in response.text
        assert (
            'data-detail="key">activities.elderly_collective_birthday.base_points<' in response.text
        )
        assert "不允许使用小数" in response.text
        assert "base_points = 2.5" in response.text  # the text stays in the editor
    english = await admin.post(
        a + "/rules/check", data=form(admin, text=BAD_RULES), headers=ENGLISH
    )
    assert "floats are not allowed" in english.text
    broken = await post(admin, a + "/rules/check", text="[ruleset\nid = 1")
    assert 'data-detail="line">1<' in broken.text
    empty = await post(admin, a + "/rules", text="")
    assert refusal_code(empty.text) == "invalid_input"
    assert await count(scene.db, RulesetVersion) == versions


async def test_checking_a_good_rule_set_shows_its_hash_and_stores_nothing(scene: Scene) -> None:
    """A valid rule set checks with its content hash and activities; only upload stores it."""
    admin = await scene.client("admin")
    versions = await count(scene.db, RulesetVersion)
    response = await post(admin, base(scene) + "/rules/check", text=GOOD_RULES)
    assert response.status_code == 200
    assert f'data-testid="checked-hash">{rules_hash(GOOD_RULES)}<' in response.text
    assert 'data-activity="new_year_banquet"' in response.text
    assert await count(scene.db, RulesetVersion) == versions


def rules_hash(text: str) -> str:
    return rules.load_text(text).hash


async def test_admin_uploads_and_activates_a_rule_set(scene: Scene) -> None:
    """Uploading stores the next version and shows it with its hash; uploading the same
    meaning again (as a file, with other comments) returns that version; activating puts it
    in force, which the versions list shows."""
    admin = await scene.client("admin")
    a = base(scene)
    uploaded = await post(admin, a + "/rules", text=GOOD_RULES, file_name="v2.toml")
    assert uploaded.status_code == 303, uploaded.text
    location = uploaded.headers["location"]
    version = int(re.fullmatch(rf"{a}/rules/(\d+)\?done=uploaded", location).group(1))  # type: ignore[union-attr]
    page = await admin.get(location)
    assert f'data-testid="hash">{rules_hash(GOOD_RULES)}<' in page.text
    assert 'data-testid="activate"' in page.text
    assert 'data-testid="in-force"' not in page.text
    again = await admin.post(
        a + "/rules",
        data=form(admin, file_name="ignored.toml"),
        files={"file": ("从文件.toml", ("# a comment\n" + GOOD_RULES).encode(), "text/plain")},
        follow_redirects=False,
    )
    assert again.status_code == 303, again.text
    assert again.headers["location"] == location
    activated = await post(admin, f"{a}/rules/{version}/activate")
    assert activated.headers["location"] == f"{a}/rules/{version}?done=activated"
    async with scene.db.sessions() as session:
        newest = await session.scalar(
            select(RulesetActivation.ruleset_version_id)
            .where(RulesetActivation.community_id == scene.community_id)
            .order_by(col(RulesetActivation.id).desc())
        )
        row = await session.get(RulesetVersion, newest)
    assert row is not None
    assert row.version == version
    listed = await admin.get(a + "/rules")
    assert f'data-version="{version}" data-active="yes"' in listed.text
    auditor = await scene.client("auditor")
    assert (await auditor.get(f"{a}/rules/{version}")).status_code == 200
    assert (await auditor.get(f"{a}/rules/{version}/simulation")).status_code == 403
    missing = await admin.get(f"{a}/rules/99999")
    assert missing.status_code == 404
    assert refusal_code(missing.text) == "ruleset_not_found"
    assert (await post(admin, f"{a}/rules/99999/activate")).status_code == 404


async def test_a_file_that_is_not_utf8_is_refused(scene: Scene) -> None:
    """An uploaded file that is not UTF-8 text is invalid_input, and nothing is stored."""
    admin = await scene.client("admin")
    versions = await count(scene.db, RulesetVersion)
    response = await admin.post(
        base(scene) + "/rules",
        data=form(admin),
        files={"file": ("gbk.toml", "规则".encode("gbk"), "text/plain")},
        follow_redirects=False,
    )
    assert response.status_code == 400
    assert refusal_code(response.text) == "invalid_input"
    assert await count(scene.db, RulesetVersion) == versions


async def test_starting_from_the_rules_in_force_fills_the_editor(scene: Scene) -> None:
    """`?template=active` puts the text of the rule set in force into the editor."""
    admin = await scene.client("admin")
    page = await admin.get(base(scene) + "/rules", params={"template": "active"})
    assert "[ruleset]" in page.text.split('data-testid="rules-text">', 1)[1]


# --- A community with a few weeks of history --------------------------------------------------

START = FIXED_NOW - timedelta(weeks=13)


def day(offset: int) -> Any:
    """10:00 in Shanghai, `offset` days after the story starts (day 91 is FIXED_NOW's day)."""
    return START.replace(hour=2) + timedelta(days=offset)


@dataclass
class Story:
    """Community A of a world made 13 weeks before FIXED_NOW, with volunteering, a
    confirmed redemption and a held one; the app's clock stands at FIXED_NOW."""

    history: History
    reversible: list[Checkin]
    reward: Reward
    stack: AsyncExitStack = field(default_factory=AsyncExitStack)
    clients: dict[str, Client] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"/admin/c/{self.history.community.id}"

    @property
    def db(self) -> Database:
        return self.history.world.db

    async def client(self, role: str) -> Client:
        if role not in self.clients:
            world = self.history.world
            self.clients[role] = await self.stack.enter_async_context(world.client(role))
        return self.clients[role]


@pytest.fixture(scope="module")
async def story(scene_db: Database, keystore: Any) -> AsyncIterator[Story]:
    world = await build_world(scene_db, keystore, START)
    world.clock = lambda: FIXED_NOW
    history = await new_history(world, START)
    await history.visit(day(64), "elderly_collective_birthday", "patrol", ["wang", "li"])
    await history.visit(day(70), "new_year_banquet", "arts", ["li", "zhao", "sun"])
    await history.visit(day(78), "building_cleanup", "patrol", ["wang"])
    await history.visit(day(85), "elderly_collective_birthday", "arts", ["zhao", "sun"])
    async with scene_db.sessions.begin() as session:
        reward = await catalogue.create_reward(
            session,
            community_id=world.community.id or 0,
            shop_id=world.shop.id or 0,
            fields={"name_zh": "洗衣液", "price_points": 20},
            now=START,
        )
    await history.redeem(day(86), "wang", reward)
    reversible = [
        *await history.visit(day(89), "legal_aid_day", "patrol", ["li"]),
        *await history.visit(day(90), "legal_aid_day", "patrol", ["wang"]),
    ]
    await history.visit(day(91), "science_fitness", "arts", ["zhao"])
    await history.redeem(FIXED_NOW - timedelta(minutes=2), "sun", reward, confirm=False)
    told = Story(history, reversible, reward)
    yield told
    await told.stack.aclose()


async def credited(story: Story) -> list[Checkin]:
    """The story's approved (unreversed) check-ins, as stored now."""
    async with story.history.world.db.sessions() as session:
        statement = select(Checkin).where(
            Checkin.community_id == story.history.community.id, Checkin.state == APPROVED
        )
        return list((await session.execute(statement)).scalars())


def number(text: str, name: str) -> int:
    found = re.search(rf'data-number="{name}">([-+0-9]+)<', text)
    assert found, name
    return int(found.group(1))


async def test_dashboard_shows_the_numbers_and_the_charts(story: Story) -> None:
    """Members, volunteers this month, points in circulation (member balances) and held
    points; five inline SVG charts; weekly figures that add up to the credits and the
    redemption; participation totals from the approved check-ins."""
    admin = await story.client("admin")
    page = await admin.get(story.base)
    assert page.status_code == 200
    checkins = await credited(story)
    issued = sum(c.points or 0 for c in checkins)
    async with story.history.world.db.sessions() as session:
        members = list(
            (
                await session.execute(
                    select(Member).where(Member.community_id == story.history.community.id)
                )
            ).scalars()
        )
        balances = [
            (
                await ledger_service.balance(
                    session,
                    ledger=story.history.community.ledger_id,
                    account=m.account,
                    now=FIXED_NOW,
                )
            )
            for m in members
        ]
    assert number(page.text, "members") == len(members) == 10
    assert number(page.text, "volunteers") == 1  # zhao, on March 1st
    assert number(page.text, "circulation") == sum(b.balance_points for b in balances)
    assert number(page.text, "circulation") == issued - story.reward.price_points
    assert number(page.text, "held") == story.reward.price_points
    assert page.text.count("<svg") == 5
    for key in ("points", "volunteers", "activity", "team", "building"):
        assert f'data-chart="{key}"' in page.text
    weekly = page.text.split('data-testid="weekly"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<td class="num">(\d+)</td><td class="num">(\d+)</td>', weekly)
    assert len(rows) == 12
    assert sum(int(i) for i, _ in rows) == issued
    assert sum(int(r) for _, r in rows) == story.reward.price_points
    volunteers = len({c.member_id for c in checkins})
    assert f"{len(checkins)} 人次签到，{volunteers} 位志愿者，{issued} 分" in page.text
    assert "坝坝席迎新年" in page.text  # activities by their names in the rule set
    for name in ("文艺宣传队", "1 栋", "未登记楼栋"):  # teams and buildings by name
        assert name in page.text
    english = await admin.get(story.base + "?weeks=4", headers=ENGLISH)
    assert "Points issued and redeemed per week" in english.text
    assert english.text.count('<td class="num">') >= 4 * 3
    assert (await admin.get(story.base + "?weeks=2")).status_code == 400


async def test_simulation_shows_would_award_beside_awarded(story: Story) -> None:
    """Simulating an uploaded version since the story's start lists every approved check-in
    with what it got and what the draft gives (40 per banquet, 25 per birthday, 0 for
    activities the draft lacks), with totals; it changes nothing."""
    admin = await story.client("admin")
    uploaded = await post(admin, story.base + "/rules", text=GOOD_RULES)
    version_path = uploaded.headers["location"].split("?")[0]
    checkins = await credited(story)
    entries = await count(story.db, LedgerEntry)
    page = await admin.get(version_path + "/simulation", params={"since": START.date().isoformat()})
    assert page.status_code == 200, page.text
    assert number(page.text, "rows") == len(checkins)
    assert number(page.text, "awarded") == sum(c.points or 0 for c in checkins)
    async with story.history.world.db.sessions() as session:
        activities = [
            await session.scalar(select(Event.activity_id).where(Event.id == c.event_id))
            for c in checkins
        ]
    draft = {"new_year_banquet": 40, "elderly_collective_birthday": 25}
    assert number(page.text, "would") == sum(draft.get(a or "", 0) for a in activities)
    for checkin in checkins:
        assert f'data-checkin="{checkin.id}"' in page.text
    assert "此版本无此活动" in page.text
    later = await admin.get(version_path + "/simulation", params={"since": "2026-03-02"})
    assert 'data-testid="simulation-empty"' in later.text
    bad = await admin.get(version_path + "/simulation", params={"since": "yesterday"})
    assert bad.status_code == 400
    assert refusal_code(bad.text) == "invalid_input"
    assert await count(story.db, LedgerEntry) == entries


# --- Reversals and keys --------------------------------------------------------------------


async def test_admin_reverses_a_credit_by_its_seq(story: Story) -> None:
    """Looking a credit up shows what it credited; reversing it appends one entry that moves
    the points back and marks the check-in reversed, listed with its reason."""
    admin = await story.client("admin")
    target = story.reversible[0]
    assert target.ledger_seq is not None
    preview = await admin.get(story.base + "/reversals", params={"seq": target.ledger_seq})
    assert 'data-testid="entry" data-kind="checkin.credit"' in preview.text
    assert f"#{target.id}" in preview.text
    entries = await count(story.db, LedgerEntry)
    done = await post(admin, story.base + "/reversals", seq=target.ledger_seq, reason="记错了人")
    assert done.status_code == 303, done.text
    assert (
        done.headers["location"] == f"{story.base}/reversals?seq={target.ledger_seq}&done=reversed"
    )
    assert await count(story.db, LedgerEntry) == entries + 1
    async with story.db.sessions() as session:
        after = await session.get(Checkin, target.id)
    assert after is not None
    assert (after.state, after.reversal_reason) == (REVERSED, "记错了人")
    page = await admin.get(done.headers["location"])
    assert 'data-testid="checkin-state">已冲正' in page.text
    assert f'data-seq="{target.ledger_seq}"' in page.text
    assert "记错了人" in page.text


async def test_reversal_refusals_change_nothing(story: Story) -> None:
    """A credit reversed already and an entry that credited no check-in are not_reversible
    (409), a seq past the ledger's end not_found (404), a missing reason or seq
    invalid_input (400), another community's admin 404: the ledger does not grow."""
    admin = await story.client("admin")
    first, second = story.reversible
    await post(admin, story.base + "/reversals", seq=first.ledger_seq, reason="一次")
    async with story.db.sessions() as session:
        hold_seq = await session.scalar(
            select(LedgerEntry.seq).where(
                LedgerEntry.ledger == story.history.community.ledger_id,
                LedgerEntry.kind == "hold.commit",
            )
        )
        size = await session.scalar(
            select(func.max(LedgerEntry.seq)).where(
                LedgerEntry.ledger == story.history.community.ledger_id
            )
        )
    entries = await count(story.db, LedgerEntry)
    for fields, status, code in (
        ({"seq": first.ledger_seq, "reason": "再一次"}, 409, "not_reversible"),
        ({"seq": hold_seq, "reason": "不是积分"}, 409, "not_reversible"),
        ({"seq": (size or 0) + 1, "reason": "太远"}, 404, "not_found"),
        ({"seq": second.ledger_seq, "reason": ""}, 400, "invalid_input"),
        ({"seq": "", "reason": "没有序号"}, 400, "invalid_input"),
        ({"seq": "abc", "reason": "没有序号"}, 400, "invalid_input"),
    ):
        response = await post(admin, story.base + "/reversals", form="reverse", **fields)
        assert response.status_code == status, (fields, response.text[:300])
        assert refusal_code(response.text) == code
    other = await post(
        await story.client("other_admin"),
        story.base + "/reversals",
        seq=second.ledger_seq,
        reason="越权",
    )
    assert other.status_code == 404
    assert await count(story.db, LedgerEntry) == entries
    async with story.db.sessions() as session:
        untouched = await session.get(Checkin, second.id)
    assert untouched is not None
    assert untouched.state == APPROVED
    missing = await admin.get(story.base + "/reversals", params={"seq": (size or 0) + 1})
    assert 'data-code="not_found"' in missing.text


async def test_admin_rotates_keys_and_sees_their_validity(scene: Scene) -> None:
    """Rotating the ledger key and the check-in, personal-code and redemption keys adds a
    key each, closing the previous one's validity; an unknown purpose is refused."""
    admin = await scene.client("admin")
    a = base(scene)
    ledger = scene.world.community.ledger_id
    async with scene.db.sessions() as session:
        before = await list_keys(session, scope=ledger)
    for purpose in ("ledger", "checkin", "member-code", "redemption"):
        done = await post(admin, a + "/keys/rotate", purpose=purpose)
        assert done.headers["location"] == a + "/keys?done=rotated"
    async with scene.db.sessions() as session:
        after = await list_keys(session, scope=ledger)
    assert len(after) == len(before) + 4
    assert {k.purpose for k in after} >= {"ledger", "checkin", "member-code", "redemption"}
    current = [k for k in after if k.valid_until is None]
    assert sorted(k.purpose for k in current) == ["checkin", "ledger", "member-code", "redemption"]
    page = await admin.get(a + "/keys")
    for key in after:
        assert f'data-key="{key.key_id}"' in page.text
    assert page.text.count('data-current="yes"') == 4
    bad = await post(admin, a + "/keys/rotate", purpose="everything")
    assert bad.status_code == 400
    assert refusal_code(bad.text) == "invalid_input"
    async with scene.db.sessions() as session:
        assert len(await list_keys(session, scope=ledger)) == len(after)
    # The chain still verifies after the rotation: a new entry is signed with the new key.
    seq = await scene.credit(scene.world.people["resident"], 1)
    async with scene.db.sessions() as session:
        [entry] = await ledger_service.entries(session, ledger=ledger, start_seq=seq, limit=1)
    [newest] = [k for k in current if k.purpose == "ledger"]
    assert entry.key == newest.key_id
