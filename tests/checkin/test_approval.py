"""Approval and rejection, one by one and in bulk; who may decide; reversal of a credit."""

from __future__ import annotations

from collections.abc import Awaitable

import pytest

from checkin import approval, reversal
from checkin.errors import CheckoutPending, NotPending, NotReversible, SelfApproval
from ledger import service as ledger_service
from ledger.errors import InsufficientPoints
from ledger.types import Posting
from organisation import service as org
from organisation.errors import NotFound
from organisation.models import Member
from tests.checkin.helpers import Scene


async def _checked_in(scene: Scene, role: str = "resident", **event: object) -> int:
    created = await scene.event(**event)  # type: ignore[arg-type]  # keyword pass-through
    result = await scene.scan(role, await scene.code(created))
    assert result.checkin.id is not None
    return result.checkin.id


async def _entries(scene: Scene, account: str) -> list[dict[str, object]]:
    async with scene.sessions() as session:
        found = await ledger_service.account_entries(
            session, ledger=scene.community.ledger_id, account=account, before_seq=None, limit=50
        )
    return [dict(e.public()) for e in found]


async def _refused_decision(
    scene: Scene, operation: Awaitable[object], error: type[Exception]
) -> None:
    """A decision that must be refused with `error` and leave everything as it was."""
    before = await scene.snapshot()
    with pytest.raises(error):
        await operation
    assert await scene.snapshot() == before


async def test_approval_credits_once_and_keeps_the_explanation(scene: Scene) -> None:
    """Approval appends one credit and stores points and explanation; approving again is
    not_pending and changes nothing."""
    checkin_id = await _checked_in(scene)
    decided = await scene.approve("captain", checkin_id)
    assert decided.state == "approved"
    assert decided.decided_by == scene.member_id("captain")
    assert decided.points == 80
    assert decided.role == "volunteer"
    assert decided.duration_minutes == 120
    assert "首次参加" in decided.explanation_zh
    assert "capped at 80 today" in decided.explanation_en
    [credit] = await _entries(scene, scene.world.people["resident"].account)
    assert credit["seq"] == decided.ledger_seq
    assert credit["ref"] == f"checkin/{checkin_id}"
    await _refused_decision(scene, scene.approve("admin", checkin_id), NotPending)
    await _refused_decision(scene, scene.reject("admin", checkin_id), NotPending)


async def test_rejection_records_the_reason_and_credits_nothing(scene: Scene) -> None:
    """A rejected check-in keeps its reason, has no credit and cannot then be approved."""
    checkin_id = await _checked_in(scene)
    decided = await scene.reject("captain", checkin_id, "照片是转发的")
    assert decided.state == "rejected"
    assert decided.reason == "照片是转发的"
    assert decided.ledger_seq is None
    await _refused_decision(scene, scene.approve("captain", checkin_id), NotPending)


async def test_nobody_decides_their_own_checkin(scene: Scene) -> None:
    """A captain's own check-in is self_approval for them; an admin approves it instead,
    with the captain's role multiplier."""
    checkin_id = await _checked_in(scene, "captain", by="admin")
    await _refused_decision(scene, scene.approve("captain", checkin_id), SelfApproval)
    await _refused_decision(scene, scene.reject("captain", checkin_id), SelfApproval)
    decided = await scene.approve("admin", checkin_id)
    assert decided.role == "captain"


async def test_the_organiser_earns_the_organiser_multiplier(scene: Scene) -> None:
    """The member who created the event is its organiser (150%)."""
    checkin_id = await _checked_in(scene, "captain", by="captain")
    decided = await scene.approve("admin", checkin_id)
    assert decided.role == "organiser"


async def test_other_teams_and_communities_see_no_checkin(scene: Scene) -> None:
    """A captain of another team and an admin of another community get not_found."""
    checkin_id = await _checked_in(scene)
    async with scene.sessions.begin() as session:
        second_team = await org.create_team(
            session, community_id=scene.community.id or 0, name="红丝带服务队"
        )
        member = await session.get(Member, scene.member_id("clerk"))
        assert member is not None
        await org.grant_role(
            session,
            member=member,
            role="captain",
            scope_id=second_team.id or 0,
            granted_by=None,
            now=scene.clock.now,
        )
    for outsider in ("clerk", "other_admin", "resident"):
        await _refused_decision(scene, scene.approve(outsider, checkin_id), NotFound)
        await _refused_decision(scene, scene.reject(outsider, checkin_id), NotFound)


async def test_a_patrol_is_approved_after_check_out_or_the_end(scene: Scene) -> None:
    """Before check-out a patrol is checkout_pending; after the end it is approved with the
    time up to the end and flagged as auto-closed."""
    checkin_id = await _checked_in(scene, activity_id="safety_patrol", hours=1)
    await _refused_decision(scene, scene.approve("captain", checkin_id), CheckoutPending)
    scene.clock.advance(hours=2)
    decided = await scene.approve("captain", checkin_id)
    assert decided.auto_closed
    assert decided.duration_minutes == 60
    # 10 base + 2 x 10 for 60 minutes + 20 first time.
    assert decided.points == 50


async def test_caps_count_earlier_approvals_and_a_zero_award_appends_nothing(
    scene: Scene,
) -> None:
    """A second banquet the same day meets the 80-point daily cap: the approval is recorded
    with 0 points, its explanation names the cap, and no ledger entry is appended."""
    first = await _checked_in(scene)
    second = await _checked_in(scene)
    await scene.approve("captain", first)
    entries = (await scene.snapshot()).ledger_entries
    decided = await scene.approve("captain", second)
    assert decided.state == "approved"
    assert decided.points == 0
    assert decided.ledger_seq is None
    assert "cap" in decided.explanation_en
    assert (await scene.snapshot()).ledger_entries == entries


async def test_bulk_decisions_answer_each_checkin(scene: Scene) -> None:
    """Bulk approval approves what it may and names the refusal of each other id."""
    mine = await _checked_in(scene, "captain", by="admin")
    ok = await _checked_in(scene)
    await scene.add_member("walker")
    rejected_later = await _checked_in(scene, "walker")
    captain = await scene.principal("captain")
    async with scene.sessions.begin() as session:
        outcomes = await approval.approve_many(
            session,
            keystore=scene.keystore,
            principal=captain,
            checkin_ids=[mine, ok, 999_999],
            now=scene.clock.now,
        )
        rejections = await approval.reject_many(
            session,
            principal=captain,
            checkin_ids=[ok, rejected_later],
            reason="重复签到",
            now=scene.clock.now,
        )
    assert [(o.checkin_id, o.refusal.code if o.refusal else "ok") for o in outcomes] == [
        (mine, "self_approval"),
        (ok, "ok"),
        (999_999, "not_found"),
    ]
    assert [(o.checkin_id, o.refusal.code if o.refusal else "ok") for o in rejections] == [
        (ok, "not_pending"),
        (rejected_later, "ok"),
    ]
    assert (await scene.checkin(rejected_later)).reason == "重复签到"


async def test_an_admin_reverses_a_credit_once(scene: Scene) -> None:
    """A reversal is a new entry naming the original; a second reversal is not_reversible."""
    checkin_id = await _checked_in(scene)
    credited = await scene.approve("captain", checkin_id)
    admin = await scene.principal("admin")
    async with scene.sessions.begin() as session:
        reversed_ = await reversal.reverse(
            session,
            keystore=scene.keystore,
            principal=admin,
            checkin_id=checkin_id,
            reason="录入错误",
            now=scene.clock.now,
        )
    assert reversed_.state == "reversed"
    assert reversed_.reversal_reason == "录入错误"
    entries = await _entries(scene, scene.world.people["resident"].account)
    entry = entries[0]
    assert entry["kind"] == "reversal"
    assert entry["debit"] == scene.world.people["resident"].account
    assert entry["credit"] == "issuance"
    assert entry["amount"] == credited.points
    assert entry["ref"] == f"reversal/{credited.ledger_seq}"
    assert entry["meta"] == {
        "reverses": credited.ledger_seq,
        "checkin": checkin_id,
        "admin": scene.world.people["admin"].account,
    }
    before = await scene.snapshot()
    async with scene.sessions.begin() as session:
        with pytest.raises(NotReversible):
            await reversal.reverse(
                session,
                keystore=scene.keystore,
                principal=admin,
                checkin_id=checkin_id,
                reason="again",
                now=scene.clock.now,
            )
    assert await scene.snapshot() == before


async def test_a_spent_credit_cannot_be_reversed(scene: Scene) -> None:
    """If the member spent the points, the reversal is insufficient_points and nothing
    changes (the admin settles it another way)."""
    checkin_id = await _checked_in(scene)
    credited = await scene.approve("captain", checkin_id)
    spend = Posting(
        "redeem", scene.world.people["resident"].account, scene.world.shop.account, 50, "spend-1"
    )
    async with scene.sessions.begin() as session:
        await ledger_service.append(
            session,
            keystore=scene.keystore,
            ledger=scene.community.ledger_id,
            posting=spend,
            now=scene.clock.now,
        )
    admin = await scene.principal("admin")
    before = await scene.snapshot()
    with pytest.raises(InsufficientPoints):
        async with scene.sessions.begin() as session:
            await reversal.reverse(
                session,
                keystore=scene.keystore,
                principal=admin,
                checkin_id=checkin_id,
                reason="录入错误",
                now=scene.clock.now,
            )
    assert await scene.snapshot() == before
    assert (await scene.checkin(checkin_id)).state == "approved"
    assert credited.points == 80


async def test_only_admins_of_the_community_reverse(scene: Scene) -> None:
    """A captain or another community's admin gets not_found for a reversal."""
    checkin_id = await _checked_in(scene)
    await scene.approve("captain", checkin_id)
    for outsider in ("captain", "other_admin"):
        principal = await scene.principal(outsider)
        async with scene.sessions.begin() as session:
            with pytest.raises(NotFound):
                await reversal.reverse(
                    session,
                    keystore=scene.keystore,
                    principal=principal,
                    checkin_id=checkin_id,
                    reason="x",
                    now=scene.clock.now,
                )
