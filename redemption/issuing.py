"""A member asks for a redemption code: for a reward, or for a free amount at a shop.

Issuing checks what can be checked without locks (the shop, the reward's window and stock,
the member's available points and limits) so that a resident is told at once; the scan
checks everything again, under locks, and is what decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from ledger import service as ledger_service
from ledger.keys import KeyStore
from organisation.errors import InvalidInput
from organisation.models import Community, Member, Shop
from organisation.service import get_in_community
from redemption import codes, errors, limits
from redemption.holds import check_offer
from redemption.models import Reward
from redemption.policy import community_policy


@dataclass(frozen=True)
class IssuedCode:
    """A code to show as a QR image, what it is for and until when."""

    token: str
    url: str
    claims: codes.CodeClaims
    shop: Shop
    reward: Reward | None


async def _target(
    session: AsyncSession,
    community_id: int,
    reward_id: int | None,
    shop_id: int | None,
    amount_points: int | None,
) -> tuple[Shop, Reward | None, int]:
    if reward_id is not None:
        reward = await get_in_community(session, Reward, reward_id, community_id)
        shop = await get_in_community(session, Shop, reward.shop_id, community_id)
        return shop, reward, reward.price_points
    if shop_id is None or amount_points is None or amount_points <= 0:
        raise InvalidInput("give a reward_id, or a shop_id and amount_points", field="reward_id")
    return await get_in_community(session, Shop, shop_id, community_id), None, amount_points


async def issue_code(
    session: AsyncSession,
    *,
    keystore: KeyStore,
    community: Community,
    member: Member,
    reward_id: int | None,
    shop_id: int | None,
    amount_points: int | None,
    ttl_seconds: int,
    public_base_url: str,
    now: datetime,
) -> IssuedCode:
    """A signed code valid for `ttl_seconds`, or the refusal a scan would give right now."""
    assert community.id is not None
    assert member.id is not None
    shop, reward, amount = await _target(session, community.id, reward_id, shop_id, amount_points)
    await check_offer(session, shop=shop, reward=reward, amount_points=amount, now=now)
    if reward is not None and reward.stock is not None and reward.stock <= 0:
        raise errors.OutOfStock(reward=reward.id or 0)
    found = await ledger_service.balance(
        session, ledger=community.ledger_id, account=member.account, now=now
    )
    if found.available_points < amount:
        raise errors.InsufficientPoints(available=found.available_points, required=amount)
    if reward is not None:
        policy = await community_policy(session, community.id)
        await limits.check(
            session,
            reward=reward,
            member_id=member.id,
            timezone=policy.timezone,
            now=now,
            lock=False,
        )
    signer = await codes.signer_for(session, keystore=keystore, ledger=community.ledger_id, now=now)
    claims = codes.new_claims(
        signer,
        member_id=member.id,
        shop_id=shop.id or 0,
        reward_id=reward.id if reward is not None else None,
        amount_points=amount,
        ttl_seconds=ttl_seconds,
        now=now,
    )
    token = codes.encode(claims, signer)
    return IssuedCode(token, codes.code_url(public_base_url, token), claims, shop, reward)
