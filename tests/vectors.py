"""Where the shared known-answer vectors are, first found of:

- `JIFEN_VECTORS_DIR`;
- the `shared/vectors` folder next to the project;
- the `shared/vectors` folder next to the checkout this one was cloned from, when that is a
  folder on this machine (a scratch clone made to test from nothing).

They are never copied into the project; when none is found the tests that need them fail
with this message instead of skipping.
"""

from __future__ import annotations

import configparser
import os
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


def _origin_checkout() -> Path | None:
    """The local checkout `origin` names in the project's git config, if it is one."""
    config = configparser.ConfigParser(strict=False, interpolation=None)
    config.read(PROJECT / ".git" / "config", encoding="utf-8")
    url = config.get('remote "origin"', "url", fallback="")
    return Path(url) if url and Path(url).is_dir() else None


def _candidates() -> list[Path]:
    if "JIFEN_VECTORS_DIR" in os.environ:
        return [Path(os.environ["JIFEN_VECTORS_DIR"])]
    found = [PROJECT.parent / "shared" / "vectors"]
    origin = _origin_checkout()
    if origin is not None:
        found.append(origin.resolve().parent / "shared" / "vectors")
    return found


def vectors_dir() -> Path:
    """The vectors' folder; FileNotFoundError naming where it was looked for if absent."""
    candidates = _candidates()
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"known-answer vectors not found at {', '.join(map(str, candidates))}: set "
        "JIFEN_VECTORS_DIR to the shared vectors folder (RFC 6962 Merkle trees, "
        "transparency-dev probes, Wycheproof Ed25519)"
    )
