"""The venue's rotating code: the current token, its URL, and its images, cached per bucket.

Every `ttl_seconds` a new time bucket starts and the kiosk shows a new code. Within a bucket
a process signs one token per event and renders each image once: tokens and images are kept
in small in-process LRU caches keyed by (signing key, event, bucket), so a kiosk polling
every second costs one dictionary lookup, not a signature and a PNG encoding. (The key id is
part of the cache key so that a rotated key takes effect at once; several processes each sign
their own token for a bucket, all valid.)
"""

from __future__ import annotations

import asyncio
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from checkin import qr, tokens
from checkin.errors import EventCancelled, EventClosed, EventNotOpen
from checkin.models import CANCELLED, OPEN, Event
from checkin.times import as_utc, bucket_of, seconds_until_rotation
from ledger import keyring
from ledger.keys import KeyStore
from organisation.models import Community

MAX_CACHED = 512
ImageFormat = Literal["png", "svg"]


@dataclass(frozen=True)
class ShownCode:
    """What the kiosk shows now, and for how many more seconds."""

    event_id: int
    token: str
    url: str
    bucket: int
    ttl_seconds: int
    seconds_left: int
    key_id: str


_tokens: OrderedDict[tuple[str, int, int], str] = OrderedDict()
_images: OrderedDict[tuple[str, int, int, str], bytes] = OrderedDict()


K = TypeVar("K")
V = TypeVar("V")


def _put(cache: OrderedDict[K, V], key: K, value: V) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > MAX_CACHED:
        cache.popitem(last=False)


def url_for(base_url: str, token: str) -> str:
    """The URL a phone opens: `{base}/c/{token}`."""
    return f"{base_url.rstrip('/')}/c/{token}"


async def current(
    session: AsyncSession,
    *,
    keystore: KeyStore,
    event: Event,
    base_url: str,
    ttl_seconds: int,
    now: datetime,
) -> ShownCode:
    """The code to show for an open event now."""
    assert event.id is not None
    if event.state == CANCELLED:
        raise EventCancelled(event_id=event.id)
    if event.state != OPEN:
        error = EventClosed if event.closed_at is not None else EventNotOpen
        raise error(event_id=event.id)
    if now >= as_utc(event.ends_at):
        raise EventClosed(event_id=event.id)
    community = await session.get(Community, event.community_id)
    assert community is not None
    signer = await keyring.purpose_signer(
        session,
        keystore=keystore,
        scope=community.ledger_id,
        purpose=tokens.Kind.EVENT.purpose,
        now=now,
    )
    bucket = bucket_of(now, ttl_seconds)
    key = (signer.key_id, event.id, bucket)
    token = _tokens.get(key)
    if token is None:
        nonce = secrets.token_bytes(tokens.NONCE_BYTES)
        token = tokens.sign_event_code(signer, event_id=event.id, bucket=bucket, nonce=nonce)
        _put(_tokens, key, token)
    return ShownCode(
        event_id=event.id,
        token=token,
        url=url_for(base_url, token),
        bucket=bucket,
        ttl_seconds=ttl_seconds,
        seconds_left=seconds_until_rotation(now, ttl_seconds),
        key_id=signer.key_id,
    )


async def image(shown: ShownCode, image_format: ImageFormat) -> bytes:
    """The QR image of a shown code's URL, rendered once per (key, event, bucket, format)."""
    key = (shown.key_id, shown.event_id, shown.bucket, image_format)
    found = _images.get(key)
    if found is None:
        render = qr.png if image_format == "png" else qr.svg
        # Rendering takes tens of milliseconds: keep it off the event loop.
        found = await asyncio.to_thread(render, shown.url)
        _put(_images, key, found)
    return found
