"""Where the shared known-answer vectors are: `JIFEN_VECTORS_DIR`, or the `shared/vectors`
folder next to the project. They are never copied into the project; a missing folder fails
the tests that need it, with this message, instead of skipping them."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "vectors"


def vectors_dir() -> Path:
    """The vectors' folder; FileNotFoundError naming where it was looked for if absent."""
    found = Path(os.environ.get("JIFEN_VECTORS_DIR", DEFAULT_DIR))
    if not found.is_dir():
        raise FileNotFoundError(
            f"known-answer vectors not found at {found}: set JIFEN_VECTORS_DIR to the "
            "shared vectors folder (RFC 6962 Merkle trees, transparency-dev probes, "
            "Wycheproof Ed25519)"
        )
    return found
