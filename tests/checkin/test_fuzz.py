"""Ten thousand mutated venue codes, each refused with the code its mutation deserves.

Mutations: flipped bits in the bytes, changed characters, truncation, extension,
re-encodings, other keys (unknown, another community's, another purpose's, a forged key
id), other events (cancelled, closed, not open, team-only, full, missing, another
community's) and shifted time buckets. The expected code follows the documented order of
checks in `checkin.scans`. Deterministic (a fixed seed), at the use-case level, on SQLite.
"""

from __future__ import annotations

import base64
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from checkin import events, scans, tokens
from checkin.models import Event
from checkin.times import bucket_of
from ledger import keyring
from ledger.errors import Refusal
from ledger.keys import KeyStore, Signer
from ledger.models import LedgerHead
from tests.checkin.helpers import TTL_SECONDS, Scene

SEED = 20260301
CASES = 10_000
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@pytest.fixture
def backend() -> str:
    """One backend is enough: the checks are the same code on both."""
    return "sqlite"


@dataclass
class Keys:
    ours: Signer
    member_code: Signer
    ledger: Signer
    other_community: Signer
    stranger: Signer  # a key no database knows


@dataclass
class Targets:
    open_event: int
    cancelled: int
    closed: int
    scheduled: int
    team_only: int
    full: int
    other_community_event: int
    missing: int


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _raw(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _expected_for_changed_bytes(changed: set[int]) -> str:
    if changed & {0, 1}:
        return "token_malformed"
    if changed & set(range(2, 10)):
        return "token_unknown_key"
    return "token_bad_signature"


class Mutator:
    """Makes (mutated code, expected refusal code, category) triples from a valid code."""

    def __init__(self, rng: random.Random, keys: Keys, targets: Targets, bucket: int) -> None:
        self.rng, self.keys, self.targets, self.bucket = rng, keys, targets, bucket
        self.valid = self.sign(keys.ours, targets.open_event, bucket)
        self.kinds: list[Callable[[], tuple[str, str, str]]] = [
            self.flip_bit,
            self.change_character,
            self.bad_character,
            self.truncate,
            self.extend,
            self.re_encode,
            self.wrong_key,
            self.wrong_event,
            self.shifted_time,
        ]

    def sign(self, signer: Signer, event_id: int, bucket: int) -> str:
        nonce = self.rng.randbytes(tokens.NONCE_BYTES)
        return tokens.sign_event_code(signer, event_id=event_id, bucket=bucket, nonce=nonce)

    def next(self) -> tuple[str, str, str]:
        return self.rng.choice(self.kinds)()

    def flip_bit(self) -> tuple[str, str, str]:
        raw = bytearray(_raw(self.valid))
        index = self.rng.randrange(len(raw))
        raw[index] ^= 1 << self.rng.randrange(8)
        return _b64(bytes(raw)), _expected_for_changed_bytes({index}), "flip_bit"

    def change_character(self) -> tuple[str, str, str]:
        position = self.rng.randrange(len(self.valid))
        replacement = self.rng.choice([c for c in ALPHABET if c != self.valid[position]])
        text = self.valid[:position] + replacement + self.valid[position + 1 :]
        before, after = _raw(self.valid), _raw(text)
        changed = {i for i in range(len(before)) if before[i] != after[i]}
        return text, _expected_for_changed_bytes(changed), "change_character"

    def bad_character(self) -> tuple[str, str, str]:
        position = self.rng.randrange(len(self.valid))
        replacement = self.rng.choice("+/=. %\n\x00é")
        text = self.valid[:position] + replacement + self.valid[position + 1 :]
        return text, "token_malformed", "bad_character"

    def truncate(self) -> tuple[str, str, str]:
        return self.valid[: self.rng.randrange(len(self.valid))], "token_malformed", "truncate"

    def extend(self) -> tuple[str, str, str]:
        extra = "".join(self.rng.choice(ALPHABET) for _ in range(self.rng.randint(1, 90)))
        return self.valid + extra, "token_malformed", "extend"

    def re_encode(self) -> tuple[str, str, str]:
        raw = _raw(self.valid)
        variants = [
            base64.urlsafe_b64encode(raw).decode() + "=",
            base64.b64encode(raw).decode() + "==",
            raw.hex(),
            base64.b32encode(raw).decode(),
            self.valid.swapcase(),
            base64.urlsafe_b64encode(raw[:-1]).decode().rstrip("="),
        ]
        text = self.rng.choice(variants)
        if text == self.valid.swapcase():  # other bytes of the right length
            after = _raw(text)
            changed = {i for i in range(len(raw)) if raw[i] != after[i]}
            return text, _expected_for_changed_bytes(changed), "re_encode"
        return text, "token_malformed", "re_encode"

    def wrong_key(self) -> tuple[str, str, str]:
        choice = self.rng.randrange(5)
        event_id = self.targets.open_event
        if choice == 0:
            return self.sign(self.keys.stranger, event_id, self.bucket), "token_unknown_key", "key"
        if choice == 1:
            signed = self.sign(self.keys.member_code, event_id, self.bucket)
            return signed, "token_unknown_key", "key"
        if choice == 2:
            return self.sign(self.keys.ledger, event_id, self.bucket), "token_unknown_key", "key"
        if choice == 3:
            signed = self.sign(
                self.keys.other_community, self.targets.other_community_event, self.bucket
            )
            return signed, "wrong_community", "key"
        # A stranger's signature under our key id: found, then fails to verify.
        raw = bytearray(_raw(self.sign(self.keys.stranger, event_id, self.bucket)))
        raw[2:10] = bytes.fromhex(self.keys.ours.key_id)
        return _b64(bytes(raw)), "token_bad_signature", "key"

    def wrong_event(self) -> tuple[str, str, str]:
        targets = self.targets
        event_id, expected = self.rng.choice(
            [
                (targets.cancelled, "event_cancelled"),
                (targets.closed, "event_closed"),
                (targets.scheduled, "event_not_open"),
                (targets.team_only, "not_team_member"),
                (targets.full, "capacity_reached"),
                (targets.missing, "not_found"),
                (targets.other_community_event, "not_found"),
            ]
        )
        return self.sign(self.keys.ours, event_id, self.bucket), expected, "event"

    def shifted_time(self) -> tuple[str, str, str]:
        shift = self.rng.randint(1, 10_000)
        if self.rng.random() < 0.5:
            return (
                self.sign(self.keys.ours, self.targets.open_event, self.bucket + shift),
                ("token_not_yet_valid"),
                "time",
            )
        bucket = self.bucket - 1 - shift
        return self.sign(self.keys.ours, self.targets.open_event, bucket), "token_expired", "time"


async def _keys(scene: Scene, tmp_path: Path) -> Keys:
    now = scene.clock.now

    async def purpose(ledger: str, name: str) -> Signer:
        return await keyring.purpose_signer(
            session, keystore=scene.keystore, scope=ledger, purpose=name, now=now
        )

    async with scene.sessions.begin() as session:
        ours = await purpose(scene.community.ledger_id, "checkin")
        member_code = await purpose(scene.community.ledger_id, "member-code")
        other = await purpose(scene.world.other.ledger_id, "checkin")
        head = await session.get(LedgerHead, scene.community.ledger_id)
        assert head is not None
    ledger = scene.keystore.load(head.key_id)
    return Keys(ours, member_code, ledger, other, KeyStore(tmp_path).generate())


async def _targets(scene: Scene) -> Targets:
    open_event = await scene.event(capacity=50)
    cancelled = await scene.event()
    closed = await scene.event()
    scheduled = await scene.event(opened=False)
    team_only = await scene.event(open_to="team")
    full = await scene.event(capacity=1)
    other = await scene.event(other=True, by="other_admin")
    await scene.scan("resident", await scene.code(full))
    async with scene.sessions.begin() as session:
        to_cancel = await session.get(Event, cancelled.id)
        to_close = await session.get(Event, closed.id)
        assert to_cancel is not None
        assert to_close is not None
        await events.cancel_event(
            session,
            event=to_cancel,
            reason="rain",
            cancelled_by=scene.member_id("captain"),
            now=scene.clock.now,
        )
        await events.close_event(session, event=to_close, now=scene.clock.now)
    return Targets(
        open_event=open_event.id or 0,
        cancelled=cancelled.id or 0,
        closed=closed.id or 0,
        scheduled=scheduled.id or 0,
        team_only=team_only.id or 0,
        full=full.id or 0,
        other_community_event=other.id or 0,
        missing=(other.id or 0) + 1000,
    )


async def _outcome(session: AsyncSession, scene: Scene, member_id: int, text: str) -> str:
    try:
        async with session.begin_nested():
            await scans.check_in(
                session,
                keystore=scene.keystore,
                token=text,
                member_id=member_id,
                community_id=scene.community.id or 0,
                ttl_seconds=TTL_SECONDS,
                now=scene.clock.now,
            )
    except Refusal as refusal:
        return refusal.code
    return "accepted"


async def test_ten_thousand_mutated_codes_are_refused_with_the_right_code(
    scene: Scene, tmp_path: Path
) -> None:
    """Every mutated code is refused, each with the code its mutation calls for, and no
    check-in is recorded; the unmutated code is accepted (the control)."""
    keys = await _keys(scene, tmp_path)
    targets = await _targets(scene)
    fuzzer = await scene.add_member("fuzzer", in_team=False)
    assert fuzzer.id is not None
    before = await scene.snapshot()
    mutator = Mutator(random.Random(SEED), keys, targets, bucket_of(scene.clock.now, TTL_SECONDS))
    wrong: list[tuple[str, str, str, str]] = []
    categories: Counter[str] = Counter()
    async with scene.sessions() as session:
        assert await _outcome(session, scene, fuzzer.id, mutator.valid) == "accepted"
        for _ in range(CASES):
            text, expected, category = mutator.next()
            categories[category] += 1
            got = await _outcome(session, scene, fuzzer.id, text)
            if got != expected:
                wrong.append((category, expected, got, text))
        await session.rollback()
    assert wrong == []
    assert sum(categories.values()) == CASES
    assert len(categories) == len(mutator.kinds)
    assert await scene.snapshot() == before
