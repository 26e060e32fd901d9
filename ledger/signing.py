"""Signing many entries at once, on several threads.

An entry's signature is not part of what the next entry's `prev` hashes, so a batch can
build its whole chain first and sign afterwards. Ed25519 signing releases the GIL, and it is
most of a batch's client CPU (about 30 µs of the 55 µs an entry costs), so a batch's
signatures are shared between the calling thread and a small pool.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from ledger.keys import Signer

# Below this many messages per thread, handing work to a thread costs more than it saves.
MIN_MESSAGES_PER_THREAD = 4
THREADS = max(1, min(4, os.cpu_count() or 1))

_pool = ThreadPoolExecutor(max_workers=THREADS - 1) if THREADS > 1 else None


def _sign_each(signer: Signer, messages: Sequence[bytes]) -> list[str]:
    return [signer.sign_hex(message) for message in messages]


def sign_all(signer: Signer, messages: Sequence[bytes]) -> list[str]:
    """Lowercase hex signatures of `messages`, in order."""
    parts = min(THREADS, len(messages) // MIN_MESSAGES_PER_THREAD)
    if _pool is None or parts < 2:
        return _sign_each(signer, messages)
    size = -(-len(messages) // parts)  # ceiling division: the last part may be shorter
    chunks = [messages[i : i + size] for i in range(0, len(messages), size)]
    others = [_pool.submit(_sign_each, signer, chunk) for chunk in chunks[1:]]
    signatures = _sign_each(signer, chunks[0])
    for future in others:
        signatures.extend(future.result())
    return signatures
