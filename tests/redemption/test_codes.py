"""Redemption codes: signed by the community's redemption key, verified before being read."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image

from ledger import keyring
from ledger.keyring import LEDGER_PURPOSE
from ledger.tables import signing_keys
from redemption import codes
from tests.redemption.conftest import Front


async def _read(front: Front, token: str) -> codes.CodeClaims:
    async with front.db.sessions() as session:
        return await codes.read(session, token=token, ledger=front.ledger)


async def test_a_code_reads_back_what_was_signed(front: Front) -> None:
    """Encoding then reading gives the same claims, expiry to the millisecond."""
    reward = await front.add_reward(price_points=7)
    token = await front.code(reward=reward)
    claims = await _read(front, token)
    assert (claims.member_id, claims.shop_id, claims.reward_id, claims.amount_points) == (
        front.member().id,
        front.shop.id,
        reward.id,
        7,
    )
    assert (claims.expires_at - front.clock()).total_seconds() == 120
    assert len(token) == codes.TOKEN_CHARS
    assert "=" not in token


async def test_the_redemption_key_is_never_the_ledger_key(front: Front) -> None:
    """Codes are signed by a key of purpose "redemption", distinct from the ledger's keys."""
    token = await front.code(shop=front.shop, amount=3)
    claims = await _read(front, token)
    async with front.db.sessions() as session:
        purpose = (
            await session.execute(
                signing_keys.select()
                .with_only_columns(signing_keys.c.purpose)
                .where(signing_keys.c.key_id == claims.key_id)
            )
        ).scalar_one()
        ledger_keys = [
            k
            for k in await keyring.list_keys(session, scope=front.ledger)
            if k.purpose == LEDGER_PURPOSE
        ]
    assert purpose == codes.PURPOSE
    assert claims.key_id not in {k.key_id for k in ledger_keys}


async def test_codes_signed_before_a_key_rotation_still_verify(front: Front) -> None:
    """After the redemption key is rotated, a code signed with the old key still reads."""
    old = await front.code(shop=front.shop, amount=3)
    front.clock.advance(1)
    async with front.db.sessions.begin() as session:
        await keyring.rotate_purpose_key(
            session,
            keystore=front.keystore,
            scope=front.ledger,
            purpose=codes.PURPOSE,
            now=front.clock(),
        )
    new = await front.code(shop=front.shop, amount=3)
    assert (await _read(front, old)).key_id != (await _read(front, new)).key_id


@pytest.mark.parametrize(
    ("scanned", "expected"),
    [
        ("ABC", "ABC"),
        ("  ABC\n", "ABC"),
        ("https://jifen.example/r/ABC", "ABC"),
        ("https://jifen.example/r/ABC?utm=x#top", "ABC"),
    ],
)
def test_token_from_what_a_scanner_read(scanned: str, expected: str) -> None:
    """A scanner may hand over the code or its URL; both give the code."""
    assert codes.token_from_scan(scanned) == expected


def test_qr_images_carry_the_url() -> None:
    """The PNG decodes back to the URL; the SVG is an SVG document."""
    url = codes.code_url("https://jifen.example/", "A" * codes.TOKEN_CHARS)
    assert url == "https://jifen.example/r/" + "A" * codes.TOKEN_CHARS
    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(codes.qr_png(url))))
    assert decoded.text == url
    assert codes.qr_svg(url).lstrip().startswith(b"<?xml")
