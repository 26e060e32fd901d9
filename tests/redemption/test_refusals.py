"""Every refusal of the redemption flow has its stable code and changes nothing."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from organisation.models import Member, Shop
from redemption import codes
from redemption.models import Reward
from redemption.policy import set_shop_policy
from tests.redemption.conftest import CODE_TTL_SECONDS, HOLD_TTL_SECONDS, Front, refused


async def _funded_reward(front: Front, points: int = 50, **fields: object) -> Reward:
    await front.fund(front.member(), points)
    values: dict[str, Any] = {"price_points": 10, "stock": 5}
    values.update(fields)
    return await front.add_reward(None, **values)


async def _set(
    front: Front, model: type[Reward | Shop | Member], row_id: int, **fields: object
) -> None:
    async with front.db.sessions.begin() as session:
        row = await session.get(model, row_id)
        assert row is not None
        for name, value in fields.items():
            setattr(row, name, value)


async def test_insufficient_available_points(front: Front) -> None:
    """A price above the available points (balance minus held) is refused: insufficient_points."""
    reward = await _funded_reward(front, points=15)
    await front.scan(await front.code(reward=reward))  # 10 of the 15 now held
    token = await front.code(reward=reward)
    found = await refused(front, "insufficient_points", lambda: front.scan(token))
    assert found.details["available"] == 5


async def test_out_of_stock(front: Front) -> None:
    """A reward whose last unit is reserved is refused: out_of_stock."""
    reward = await _funded_reward(front, stock=1)
    await front.scan(await front.code(reward=reward))
    token = await front.code(reward=reward)
    await refused(front, "out_of_stock", lambda: front.scan(token))


@pytest.mark.parametrize("limit", ["limit_per_day", "limit_per_month", "limit_ever"])
async def test_limit_reached(front: Front, limit: str) -> None:
    """A member who reached a reward's limit is refused: limit_reached, naming the period."""
    reward = await _funded_reward(front, **{limit: 2})
    for _ in range(2):
        await front.redeem(reward)
    token = await front.code(reward=reward)
    found = await refused(front, "limit_reached", lambda: front.scan(token))
    assert found.details["period"] == {"limit_per_day": "day", "limit_per_month": "month"}.get(
        limit, "ever"
    )


async def test_limits_count_per_local_day_and_month(front: Front) -> None:
    """The day limit starts afresh at local midnight; the month limit does not."""
    reward = await _funded_reward(front, points=100, limit_per_day=1, limit_per_month=2)
    await front.redeem(reward)  # 2026-03-01 16:00 in Shanghai
    front.clock.advance(8 * 3600)  # 2026-03-02 00:00 in Shanghai: a new local day
    await front.redeem(reward)
    front.clock.advance(3600)
    token = await front.code(reward=reward)
    found = await refused(front, "limit_reached", lambda: front.scan(token))
    assert found.details["period"] == "day"
    front.clock.advance(24 * 3600)
    token = await front.code(reward=reward)
    found = await refused(front, "limit_reached", lambda: front.scan(token))
    assert found.details["period"] == "month"


async def test_voided_and_expired_redemptions_do_not_count_against_limits(front: Front) -> None:
    """Only live holds and confirmed redemptions count towards a limit."""
    reward = await _funded_reward(front, limit_ever=1)
    voided = await front.scan(await front.code(reward=reward))
    await front.resolve(voided, "void")
    await front.scan(await front.code(reward=reward))  # held, then left to expire
    front.clock.advance(HOLD_TTL_SECONDS)
    done = await front.redeem(reward)
    assert done.state == "committed"


async def test_reward_not_yet_valid(front: Front) -> None:
    """A reward before its valid_from is refused: reward_not_yet_valid."""
    reward = await _funded_reward(front, valid_from=front.clock() + timedelta(days=1))
    token = await front.code(reward=reward)
    await refused(front, "reward_not_yet_valid", lambda: front.scan(token))


async def test_reward_expired(front: Front) -> None:
    """A reward at or after its valid_until is refused: reward_expired."""
    reward = await _funded_reward(front, valid_until=front.clock() + timedelta(seconds=30))
    token = await front.code(reward=reward)
    front.clock.advance(30)
    await refused(front, "reward_expired", lambda: front.scan(token))


async def test_reward_withdrawn(front: Front) -> None:
    """A withdrawn reward is refused: reward_withdrawn."""
    reward = await _funded_reward(front)
    token = await front.code(reward=reward)
    await _set(front, Reward, reward.id or 0, active=False)
    await refused(front, "reward_withdrawn", lambda: front.scan(token))


async def test_shop_inactive(front: Front) -> None:
    """A code scanned at a shop that was made inactive is refused: shop_inactive."""
    reward = await _funded_reward(front)
    token = await front.code(reward=reward)
    await _set(front, Shop, front.shop.id or 0, active=False)
    front.world.shop.active = False
    await refused(front, "shop_inactive", lambda: front.scan(token))


async def test_member_inactive(front: Front) -> None:
    """A code of a member who was deactivated since is refused: member_inactive."""
    reward = await _funded_reward(front)
    token = await front.code(reward=reward)
    await _set(front, Member, front.member().id or 0, active=False)
    await refused(front, "member_inactive", lambda: front.scan(token))


async def test_code_expired(front: Front) -> None:
    """A code scanned at or after its expiry is refused: code_expired."""
    reward = await _funded_reward(front)
    token = await front.code(reward=reward)
    front.clock.advance(CODE_TTL_SECONDS)
    await refused(front, "code_expired", lambda: front.scan(token))


async def test_code_already_used(front: Front) -> None:
    """A code scanned a second time is refused: code_already_used, whatever became of it."""
    reward = await _funded_reward(front)
    token = await front.code(reward=reward)
    held = await front.scan(token)
    await refused(front, "code_already_used", lambda: front.scan(token))
    await front.resolve(held, "void")
    await refused(front, "code_already_used", lambda: front.scan(token))


async def test_wrong_shop(front: Front) -> None:
    """A code for one shop scanned at another is refused: wrong_shop."""
    reward = await _funded_reward(front)
    other = await front.new_shop()
    token = await front.code(reward=reward)
    await refused(front, "wrong_shop", lambda: front.scan(token, shop=other))


async def test_hold_expired(front: Front) -> None:
    """Confirming a hold at or after its expiry is refused: hold_expired."""
    reward = await _funded_reward(front)
    held = await front.scan(await front.code(reward=reward))
    front.clock.advance(HOLD_TTL_SECONDS)
    await refused(front, "hold_expired", lambda: front.resolve(held, "commit"))
    await refused(front, "hold_expired", lambda: front.resolve(held, "void"))


async def test_free_amount_not_accepted(front: Front) -> None:
    """A free amount at a shop that takes none is refused: free_amount_not_accepted."""
    await front.fund(front.member(), 50)
    token = await front.code(shop=front.shop, amount=5)
    await refused(front, "free_amount_not_accepted", lambda: front.scan(token))


async def test_free_amount_too_large(front: Front) -> None:
    """A free amount above the shop's maximum is refused: free_amount_too_large."""
    await front.fund(front.member(), 50)
    async with front.db.sessions.begin() as session:
        await set_shop_policy(
            session, shop=front.shop, is_supermarket=False, free_amount_max_points=9
        )
    token = await front.code(shop=front.shop, amount=10)
    await refused(front, "free_amount_too_large", lambda: front.scan(token))


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1],
        lambda t: t + "A",
        lambda t: t[:50] + "*" + t[51:],
        lambda _t: "",
        lambda t: (
            base64.urlsafe_b64encode(b"\x02" + base64.urlsafe_b64decode(t)[1:])
            .rstrip(b"=")
            .decode()
        ),
    ],
    ids=["short", "long", "alphabet", "empty", "version"],
)
async def test_code_malformed(front: Front, mangle: Callable[[str], str]) -> None:
    """Anything that is not a code of the current format is refused: code_malformed."""
    reward = await _funded_reward(front)
    token = mangle(await front.code(reward=reward))
    await refused(front, "code_malformed", lambda: front.scan(token))


async def test_code_with_a_changed_field_fails_its_signature(front: Front) -> None:
    """A code whose amount was changed after signing is refused: code_bad_signature."""
    reward = await _funded_reward(front)
    raw = bytearray(base64.urlsafe_b64decode(await front.code(reward=reward)))
    raw[56] ^= 0x01  # the last byte of the amount field
    token = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    await refused(front, "code_bad_signature", lambda: front.scan(token))


async def test_code_of_another_community_has_an_unknown_key(front: Front) -> None:
    """A code signed by another community's key is refused there: code_unknown_key."""
    other = front.world.other
    async with front.db.sessions.begin() as session:
        signer = await codes.signer_for(
            session, keystore=front.keystore, ledger=other.ledger_id, now=front.clock()
        )
    await _funded_reward(front)
    claims = codes.new_claims(
        signer,
        member_id=front.member().id or 0,
        shop_id=front.shop.id or 0,
        reward_id=None,
        amount_points=5,
        ttl_seconds=CODE_TTL_SECONDS,
        now=front.clock(),
    )
    token = codes.encode(claims, signer)
    await refused(front, "code_unknown_key", lambda: front.scan(token))


async def test_code_of_a_member_of_another_community_is_refused(front: Front) -> None:
    """A code naming someone outside the shop's community is refused: member_inactive."""
    outsider = front.world.people["other_resident"]
    reward = await _funded_reward(front)
    token = await front.code(outsider, reward=reward)
    await refused(front, "member_inactive", lambda: front.scan(token))
