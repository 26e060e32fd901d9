"""Fixtures for redemption tests: the API world plus a shop front acting on it.

`Front` runs each step in its own committed transaction, as the service would, with a clock
the test moves by hand. After every test that uses it, each ledger of the world verifies and
its accounts sum to zero.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from ledger import service as ledger_service
from ledger.errors import Refusal
from ledger.keys import KeyStore
from ledger.tables import accounts, heads, signing_keys
from ledger.types import HoldAction, Posting
from ledger.verify import verify_ledger
from organisation import service as org
from organisation.models import Community, Member, Shop
from organisation.pseudonyms import ISSUANCE_ACCOUNT
from redemption import catalogue, codes, holds
from redemption.models import Redemption, RefundRequest, Reward, Settlement
from tests.api.world import PASSWORD_HASH, World, build_world
from tests.conftest import Database

HOLD_TTL_SECONDS = 600
CODE_TTL_SECONDS = 120


@dataclass
class Clock:
    """A clock the test moves; the app and every step read it."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@dataclass
class Front:
    """The world's first community with helpers for redemption steps."""

    world: World
    clock: Clock
    funded: int = 0
    ledgers: list[str] = field(default_factory=list)

    @property
    def db(self) -> Database:
        return self.world.db

    @property
    def keystore(self) -> KeyStore:
        return self.world.keystore

    @property
    def community(self) -> Community:
        return self.world.community

    @property
    def shop(self) -> Shop:
        return self.world.shop

    @property
    def ledger(self) -> str:
        return self.world.community.ledger_id

    def member(self, role: str = "resident") -> Member:
        return self.world.people[role]

    async def fund(self, member: Member, amount: int) -> None:
        """Credit `amount` points to `member` from the issuance account."""
        self.funded += 1
        posting = Posting("credit", ISSUANCE_ACCOUNT, member.account, amount, f"fund/{self.funded}")
        async with self.db.sessions.begin() as session:
            await ledger_service.append(
                session,
                keystore=self.keystore,
                ledger=self.ledger,
                posting=posting,
                now=self.clock(),
            )

    async def add_reward(self, shop: Shop | None = None, **fields: Any) -> Reward:
        """A reward of `shop` (default: the world's shop); price 10, unlimited, no limits."""
        values: dict[str, object] = {"name_zh": "大米", "name_en": "Rice", "price_points": 10}
        values.update(fields)
        target = shop or self.shop
        async with self.db.sessions.begin() as session:
            return await catalogue.create_reward(
                session,
                community_id=target.community_id,
                shop_id=target.id or 0,
                fields=values,
                now=self.clock(),
            )

    async def new_shop(self, name: str = "理发店") -> Shop:
        async with self.db.sessions.begin() as session:
            return await org.create_shop(
                session,
                community=self.community,
                name=name,
                address="",
                opening_hours="",
                contact="",
            )

    async def code(
        self,
        member: Member | None = None,
        *,
        reward: Reward | None = None,
        shop: Shop | None = None,
        amount: int | None = None,
        ttl_seconds: int = CODE_TTL_SECONDS,
    ) -> str:
        """A signed code, made without issuing's pre-checks (so refusals show at the scan)."""
        who = member or self.member()
        target_shop = reward.shop_id if reward is not None else (shop or self.shop).id
        async with self.db.sessions.begin() as session:
            signer = await codes.signer_for(
                session, keystore=self.keystore, ledger=self.ledger, now=self.clock()
            )
        claims = codes.new_claims(
            signer,
            member_id=who.id or 0,
            shop_id=target_shop or 0,
            reward_id=reward.id if reward is not None else None,
            amount_points=reward.price_points if reward is not None else amount or 0,
            ttl_seconds=ttl_seconds,
            now=self.clock(),
        )
        return codes.encode(claims, signer)

    async def codes(self, member: Member, rewards: list[Reward]) -> list[str]:
        """One code per reward in `rewards`, all for `member`, signed with one key lookup."""
        async with self.db.sessions.begin() as session:
            signer = await codes.signer_for(
                session, keystore=self.keystore, ledger=self.ledger, now=self.clock()
            )
        return [
            codes.encode(
                codes.new_claims(
                    signer,
                    member_id=member.id or 0,
                    shop_id=reward.shop_id,
                    reward_id=reward.id,
                    amount_points=reward.price_points,
                    ttl_seconds=CODE_TTL_SECONDS,
                    now=self.clock(),
                ),
                signer,
            )
            for reward in rewards
        ]

    async def new_member(self, name: str) -> Member:
        """A new resident of the community."""
        async with self.db.sessions.begin() as session:
            member, _ = await org.create_member(
                session,
                community=self.community,
                display_name=name,
                phone=None,
                username=f"{name}-{self.community.ledger_id}",
                building_id=None,
                date_of_birth=None,
                now=self.clock(),
                with_setup_code=False,
            )
            return member

    async def scan(self, token: str, shop: Shop | None = None) -> Redemption:
        async with self.db.sessions.begin() as session:
            return await holds.scan(
                session,
                keystore=self.keystore,
                community=self.community,
                shop=shop or self.shop,
                clerk_id=self.world.id_of("clerk"),
                token=token,
                hold_ttl_seconds=HOLD_TTL_SECONDS,
                now=self.clock(),
            )

    async def resolve(self, redemption: Redemption, action: HoldAction) -> Redemption:
        async with self.db.sessions.begin() as session:
            row = await session.get(Redemption, redemption.id)
            assert row is not None
            return await holds.resolve(
                session,
                keystore=self.keystore,
                community=self.community,
                redemption=row,
                action=action,
                clerk_id=self.world.id_of("clerk"),
                now=self.clock(),
            )

    async def redeem(self, reward: Reward, member: Member | None = None) -> Redemption:
        """Scan and confirm one unit of `reward`."""
        held = await self.scan(await self.code(member, reward=reward))
        return await self.resolve(held, "commit")

    async def balance(self, who: Member | Shop | str) -> tuple[int, int]:
        """(balance, held) of an account, holds past expiry not counted as held."""
        account = who if isinstance(who, str) else who.account
        async with self.db.sessions() as session:
            found = await ledger_service.balance(
                session, ledger=self.ledger, account=account, now=self.clock()
            )
        return found.balance_points, found.held_points

    async def reward_row(self, reward_id: int) -> Reward:
        """The reward as stored now."""
        async with self.db.sessions() as session:
            row = await session.get(Reward, reward_id)
            assert row is not None
            return row

    async def stock(self, reward: Reward) -> int | None:
        return (await self.reward_row(reward.id or 0)).stock

    async def stock_of(self, reward_id: int) -> int | None:
        return (await self.reward_row(reward_id)).stock

    async def row(self, redemption: Redemption | int) -> Redemption:
        """The redemption as stored now."""
        key = redemption if isinstance(redemption, int) else redemption.id
        async with self.db.sessions() as session:
            found = await session.get(Redemption, key)
            assert found is not None
            return found

    async def snapshot(self) -> Mapping[str, object]:
        """Everything of the community that a refusal must leave as it was."""
        community_id = self.community.id
        queries: dict[str, Any] = {
            "size": select(heads.c.size).where(heads.c.ledger == self.ledger),
            "balances": select(accounts.c.account, accounts.c.balance, accounts.c.held)
            .where(accounts.c.ledger == self.ledger)
            .order_by(accounts.c.account),
            "stocks": select(Reward.id, Reward.stock)  # type: ignore[call-overload]
            .where(Reward.community_id == community_id)
            .order_by(Reward.id),
            "redemptions": select(Redemption.id, Redemption.state)  # type: ignore[call-overload]
            .where(Redemption.community_id == community_id)
            .order_by(Redemption.id),
            "refunds": select(RefundRequest.id, RefundRequest.state)  # type: ignore[call-overload]
            .where(RefundRequest.community_id == community_id)
            .order_by(RefundRequest.id),
            "settlements": select(Settlement.id)  # type: ignore[call-overload]
            .where(Settlement.community_id == community_id)
            .order_by(Settlement.id),
            "keys": select(func.count()).select_from(signing_keys),
        }
        async with self.db.sessions() as session:
            return {
                name: [tuple(row) for row in await session.execute(query)]
                for name, query in queries.items()
            }


async def refused(front: Front, code: str, step: Callable[[], Awaitable[object]]) -> Refusal:
    """Run `step`, expect a refusal with `code`, and check that nothing changed."""
    before = await front.snapshot()
    with pytest.raises(Refusal) as caught:
        await step()
    assert caught.value.code == code
    assert caught.value.message_zh
    assert caught.value.message_en
    assert await front.snapshot() == before
    return caught.value


async def assert_ledgers_sound(db: Database, ledgers: list[str]) -> None:
    """Each ledger verifies in full and its accounts sum to zero."""
    for ledger in ledgers:
        report = await verify_ledger(database_url=db.url, ledger=ledger, workers=1)
        assert report.ok, report.faults[:5]
        async with db.sessions() as session:
            total = select(func.coalesce(func.sum(accounts.c.balance), 0)).where(
                accounts.c.ledger == ledger
            )
            assert (await session.execute(total)).scalar_one() == 0


@pytest.fixture
async def front(db: Database, keystore: KeyStore, now: datetime) -> AsyncIterator[Front]:
    """The world with a movable clock; its ledgers are verified after the test."""
    clock = Clock(now)
    world = await build_world(db, keystore, now)
    world.clock = clock
    yield Front(world, clock)
    await assert_ledgers_sound(db, [world.community.ledger_id, world.other.ledger_id])


async def add_clerk(front: Front, key: str, shop: Shop) -> None:
    """A new person of community A, clerk of `shop`, who can log in as `key`."""
    async with front.db.sessions.begin() as session:
        member, _ = await org.create_member(
            session,
            community=front.community,
            display_name=f"李店员 {key}",
            phone=None,
            username=f"{key}-{front.community.ledger_id}",
            building_id=None,
            date_of_birth=None,
            now=front.clock(),
            with_setup_code=False,
        )
        member.password_hash = PASSWORD_HASH
        await org.grant_role(
            session,
            member=member,
            role="clerk",
            scope_id=shop.id or 0,
            granted_by=None,
            now=front.clock(),
        )
    front.world.people[key] = member
