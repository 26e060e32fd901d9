"""A scanned code becomes a hold; the clerk commits or voids it, or it expires.

Scanning (`scan`) does, in the caller's one transaction: read and verify the code; refuse an
expired code, another shop's code, an inactive shop or member, a reward out of its window or
withdrawn, a free amount the shop does not take; take the member's limit lock and count;
claim the code (INSERT ... ON CONFLICT DO NOTHING on the unique code id: one redemption per
code whatever scans it); place the ledger hold (ref `redeem/{code_id}`); take one unit of
stock by a conditional UPDATE. Any refusal raises, and the caller's rollback undoes it all.

Refusal precedence: code_malformed, code_unknown_key, code_bad_signature, code_expired,
wrong_shop, shop_inactive, member_inactive, reward_withdrawn, reward_not_yet_valid,
reward_expired, free_amount_not_accepted, free_amount_too_large; then what is read without
locks: code_already_used, insufficient_points, out_of_stock; then, under locks, the answers
that decide: limit_reached, code_already_used (the claim), insufficient_points (the ledger's
check under its chain lock), out_of_stock (the conditional update).

No deadlocks: a scan takes the (member, reward) limit lock and inserts its own new row before
the community's chain head lock; every other lock on redemption and reward rows (reserving
and returning stock, marking resolutions and expiries) is taken while holding the chain head
lock, which serialises them per community. The only other writer of reward rows, an admin's
edit, waits for nothing else.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ledger import errors as ledger_errors
from ledger import service as ledger_service
from ledger.keys import KeyStore
from ledger.tables import holds as ledger_holds
from ledger.types import HoldAction, Posting
from organisation.errors import NotFound
from organisation.models import Community, Member, Shop
from redemption import catalogue, codes, errors, limits
from redemption.models import COMMITTED, EXPIRED, HELD, VOIDED, Redemption, Reward
from redemption.policy import community_policy, shop_policy
from redemption.tables import dialect_insert, redemptions, rewards

REDEEM_KIND = "redeem"
RESOLVED_STATE = {"commit": COMMITTED, "void": VOIDED}


def hold_ref(code_id: str) -> str:
    """The ledger reference of a code's hold: one hold per code, at any shop."""
    return f"redeem/{code_id}"


async def _member_of(session: AsyncSession, member_id: int, community: Community) -> Member:
    member = await session.get(Member, member_id)
    if member is None or member.community_id != community.id or not member.active:
        raise errors.MemberInactive(member=member_id)
    return member


async def check_offer(
    session: AsyncSession, *, shop: Shop, reward: Reward | None, amount_points: int, now: datetime
) -> None:
    """Refuse what this shop cannot sell now: inactive shop, reward or free amount."""
    if not shop.active:
        raise errors.ShopInactive(shop=shop.id or 0)
    if reward is not None:
        catalogue.check_redeemable(reward, now)
        return
    accepted = (await shop_policy(session, shop)).free_amount_max_points
    if accepted <= 0:
        raise errors.FreeAmountNotAccepted(shop=shop.id or 0)
    if amount_points > accepted:
        raise errors.FreeAmountTooLarge(maximum=accepted, amount=amount_points)


async def _available(session: AsyncSession, ledger: str, account: str, now: datetime) -> int:
    found = await ledger_service.balance(session, ledger=ledger, account=account, now=now)
    return found.available_points


async def _precheck(
    session: AsyncSession, *, ledger: str, member: Member, claims: codes.CodeClaims, now: datetime
) -> None:
    """Cheap refusals read without locks; the locked steps below decide in the end."""
    found = select(redemptions.c.id).where(redemptions.c.code_id == claims.code_id)
    if (await session.execute(found)).first() is not None:
        raise errors.CodeAlreadyUsed()
    available = await _available(session, ledger, member.account, now)
    if available < claims.amount_points:
        raise errors.InsufficientPoints(available=available, required=claims.amount_points)


async def claim_code(session: AsyncSession, *, values: dict[str, object]) -> int:
    """Insert the redemption row for a code, or refuse if the code already has one."""
    statement = (
        dialect_insert(session, redemptions)
        .values(values)
        .on_conflict_do_nothing(index_elements=["code_id"])
        .returning(redemptions.c.id)
    )
    claimed = (await session.execute(statement)).scalar_one_or_none()
    if claimed is None:
        raise errors.CodeAlreadyUsed()
    return int(claimed)


async def reserve_stock(session: AsyncSession, reward: Reward) -> None:
    """Take one unit, if one is left now (the database decides, not what was read before)."""
    taken = await session.execute(
        update(rewards)
        .where(rewards.c.id == reward.id, rewards.c.stock > 0)
        .values(stock=rewards.c.stock - 1)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]  # DML results carry a rowcount
        raise errors.OutOfStock(reward=reward.id or 0)


async def release_stock(session: AsyncSession, reward_ids: list[int]) -> None:
    """Give back one unit per id (ids in order, so concurrent releases lock alike)."""
    for reward_id in sorted(reward_ids):
        await session.execute(
            update(rewards)
            .where(rewards.c.id == reward_id, rewards.c.stock.is_not(None))
            .values(stock=rewards.c.stock + 1)
        )


async def scan(
    session: AsyncSession,
    *,
    keystore: KeyStore,
    community: Community,
    shop: Shop,
    clerk_id: int,
    token: str,
    hold_ttl_seconds: int,
    now: datetime,
) -> Redemption:
    """Turn a scanned code into a held redemption at `shop`, or refuse having changed nothing."""
    assert community.id is not None
    assert shop.id is not None
    claims = await codes.read(session, token=token, ledger=community.ledger_id)
    if claims.expires_at <= now:
        raise errors.CodeExpired()
    if claims.shop_id != shop.id:
        raise errors.WrongShop(shop=claims.shop_id)
    reward = None if claims.reward_id is None else await session.get(Reward, claims.reward_id)
    if claims.reward_id is not None and (reward is None or reward.shop_id != shop.id):
        raise errors.CodeUnknownKey()  # a validly signed code always names a reward of its shop
    if not shop.active:
        raise errors.ShopInactive(shop=shop.id)
    member = await _member_of(session, claims.member_id, community)
    await check_offer(
        session, shop=shop, reward=reward, amount_points=claims.amount_points, now=now
    )
    await _precheck(session, ledger=community.ledger_id, member=member, claims=claims, now=now)
    if reward is not None and reward.stock is not None and reward.stock <= 0:
        raise errors.OutOfStock(reward=reward.id or 0)
    if reward is not None and limits.has_limits(reward):
        policy = await community_policy(session, community.id)
        await limits.check(
            session, reward=reward, member_id=claims.member_id, timezone=policy.timezone, now=now
        )
    redemption_id = await claim_code(
        session,
        values={
            "code_id": claims.code_id,
            "community_id": community.id,
            "shop_id": shop.id,
            "member_id": claims.member_id,
            "member_account": member.account,
            "reward_id": claims.reward_id,
            "amount_points": claims.amount_points,
            "state": HELD,
            "stock_reserved": False,
            "scanned_by": clerk_id,
            "scanned_at": now,
        },
    )
    posting = Posting(
        REDEEM_KIND,
        member.account,
        shop.account,
        claims.amount_points,
        hold_ref(claims.code_id),
        {"redemption": redemption_id, "reward": claims.reward_id or 0},
    )
    hold = await ledger_service.place_hold(
        session,
        keystore=keystore,
        ledger=community.ledger_id,
        posting=posting,
        ttl_seconds=hold_ttl_seconds,
        now=now,
    )
    assert not hold.replayed, "the claim above makes a second hold for one code impossible"
    reserved = reward is not None and reward.stock is not None
    if reward is not None and reserved:
        await reserve_stock(session, reward)
    return await _record_hold(
        session,
        community=community,
        now=now,
        redemption_id=redemption_id,
        hold_seq=hold.entry.seq,
        expires_at=now + timedelta(seconds=hold_ttl_seconds),
        reserved=reserved,
    )


async def _record_hold(
    session: AsyncSession,
    *,
    community: Community,
    now: datetime,
    redemption_id: int,
    hold_seq: int,
    expires_at: datetime,
    reserved: bool,
) -> Redemption:
    row = await session.get(Redemption, redemption_id)
    assert row is not None
    row.hold_seq = hold_seq
    row.hold_expires_at = expires_at
    row.stock_reserved = reserved
    await session.flush()
    # Placing the hold may have expired this member's overdue holds on the spot (the ledger
    # does so when their points are needed); release what those redemptions reserved.
    await release_expired(session, community=community, now=now, member_account=row.member_account)
    return row


async def get_at_shop(session: AsyncSession, *, redemption_id: int, shop: Shop) -> Redemption:
    """The redemption if it was made at `shop`; otherwise NotFound."""
    found = await session.get(Redemption, redemption_id)
    if found is None or found.shop_id != shop.id:
        raise NotFound(object="redemption", id=redemption_id)
    return found


async def resolve(
    session: AsyncSession,
    *,
    keystore: KeyStore,
    community: Community,
    redemption: Redemption,
    action: HoldAction,
    clerk_id: int,
    now: datetime,
) -> Redemption:
    """Commit or void a held redemption. Repeating an action returns its first outcome; the
    other action is then refused (hold_already_resolved, or hold_expired after expiry)."""
    assert action in RESOLVED_STATE
    assert redemption.hold_seq is not None
    try:
        resolved = await ledger_service.resolve_hold(
            session,
            keystore=keystore,
            ledger=community.ledger_id,
            hold_seq=redemption.hold_seq,
            action=action,
            ref=f"{hold_ref(redemption.code_id)}/{action}",
            now=now,
            meta={"redemption": redemption.id or 0},
        )
    except ledger_errors.HoldAlreadyResolved as refusal:
        if refusal.details.get("state") == EXPIRED:
            raise errors.HoldExpired(redemption=redemption.id or 0) from refusal
        raise errors.HoldAlreadyResolved(
            redemption=redemption.id or 0, state=str(refusal.details.get("state", ""))
        ) from refusal
    except ledger_errors.HoldExpired as refusal:
        raise errors.HoldExpired(redemption=redemption.id or 0) from refusal
    if not resolved.replayed:
        changed = await session.execute(
            update(redemptions)
            .where(redemptions.c.id == redemption.id, redemptions.c.state == HELD)
            .values(
                state=RESOLVED_STATE[action],
                resolved_seq=resolved.entry.seq,
                resolved_by=clerk_id,
                resolved_at=now,
            )
        )
        # The ledger's chain lock orders resolutions, so the row is still held here.
        assert changed.rowcount == 1  # type: ignore[attr-defined]  # DML results carry a rowcount
        if action == "void" and redemption.stock_reserved and redemption.reward_id is not None:
            await release_stock(session, [redemption.reward_id])
    await session.refresh(redemption)
    return redemption


async def release_expired(
    session: AsyncSession,
    *,
    community: Community,
    now: datetime,
    member_account: str | None = None,
) -> int:
    """Mark held redemptions whose ledger hold has expired as expired, and return their stock.

    Only redemptions still held past their expiry are looked at (few, and indexed), so this
    is cheap enough to run after every scan and in every expiry pass.
    """
    h = ledger_holds
    statement = (
        select(redemptions.c.id, redemptions.c.reward_id, redemptions.c.stock_reserved)
        .add_columns(h.c.resolved_seq)
        .join(h, (h.c.ledger == community.ledger_id) & (h.c.hold_seq == redemptions.c.hold_seq))
        .where(
            redemptions.c.community_id == community.id,
            redemptions.c.state == HELD,
            redemptions.c.hold_expires_at <= now,
            h.c.state == EXPIRED,
        )
        .order_by(redemptions.c.id)
    )
    if member_account is not None:
        statement = statement.where(redemptions.c.member_account == member_account)
    rows = list(await session.execute(statement))
    for redemption_id, _, _, resolved_seq in rows:
        await session.execute(
            update(redemptions)
            .where(redemptions.c.id == redemption_id, redemptions.c.state == HELD)
            .values(state=EXPIRED, resolved_seq=resolved_seq)
        )
    await release_stock(session, [r[1] for r in rows if r[2] and r[1] is not None])
    return len(rows)


async def expire_holds(
    session: AsyncSession, *, keystore: KeyStore, community: Community, now: datetime
) -> int:
    """Expire the community's overdue holds and release their redemptions' stock."""
    await ledger_service.expire_due_holds(
        session, keystore=keystore, ledger=community.ledger_id, now=now
    )
    return await release_expired(session, community=community, now=now)
