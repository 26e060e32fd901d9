"""`jifen demo` from a bare directory: it seeds once, serves, and its ledger verifies.

The checks of signatures, chain and proofs use the independent verifier of the API tests
(written from the format document alone), never the service's own verifier.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from admin.demo import DEMO_PASSWORD, PUBLIC_LEDGER
from tests.api import independent_verifier as iv

LOGINS = ("admin", "auditor", "district", "resident01", "resident17", "clerk-market")
STARTUP_SECONDS = 60


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _jifen(*args: str) -> list[str]:
    return [sys.executable, "-m", "cli.main", *args]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """`jifen demo` running in an empty directory, with its SQLite default."""
    workdir = tmp_path_factory.mktemp("demo")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIFEN_")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    process = subprocess.Popen(  # noqa: S603 (our own interpreter running our own command)
        _jifen("demo", "--port", str(port)),
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(STARTUP_SECONDS * 10):
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            try:
                if httpx.get(f"{base}/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)  # polling a starting process, not waiting on application time
        yield base, workdir
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_demo_is_ready_and_its_logins_work(demo: tuple[str, Path]) -> None:
    """/ready answers and every printed demo login logs in."""
    base, _ = demo
    assert httpx.get(f"{base}/ready").json() == {"status": "ready"}
    for username in LOGINS:
        with httpx.Client(base_url=base) as client:
            client.get("/health")
            csrf = client.cookies.get("jifen_csrf") or ""
            response = client.post(
                "/api/v1/auth/login",
                json={"identifier": username, "password": DEMO_PASSWORD},
                headers={"x-csrftoken": csrf},
            )
            assert response.status_code == 200, (username, response.text)


def test_demo_public_ledger_verifies_independently(demo: tuple[str, Path]) -> None:
    """The public ledger's entries, checkpoint and proofs verify with another implementation."""
    base, _ = demo
    api = f"{base}/api/v1/ledgers/{PUBLIC_LEDGER}"
    keys = iv.check_keys(httpx.get(f"{api}/keys").json())
    signed = httpx.get(f"{api}/checkpoint").json()
    size = signed["checkpoint"]["size"]
    assert size > 50, "the demo has a few weeks of history"
    entries: list[dict[str, Any]] = []
    while len(entries) < size:
        page = httpx.get(f"{api}/entries", params={"start": len(entries) + 1, "limit": 200})
        entries += page.json()
    leaves = iv.check_entries(entries[:size], keys, PUBLIC_LEDGER)
    checkpoint = iv.check_checkpoint(signed, keys, leaves)
    root = bytes.fromhex(checkpoint["root"])
    for seq in (1, size // 2, size):
        proof = httpx.get(f"{api}/proofs/inclusion", params={"seq": seq, "size": size}).json()
        iv.verify_inclusion(seq - 1, size, leaves[seq - 1], proof["hashes"], root)
    half = size // 2
    proof = httpx.get(f"{api}/proofs/consistency", params={"from": half, "to": size}).json()
    iv.verify_consistency(half, size, iv.merkle_root(leaves[:half]), root, proof["hashes"])


def test_seeding_twice_adds_nothing(demo: tuple[str, Path]) -> None:
    """Running the demo again over the same directory leaves the data as it was."""
    base, workdir = demo
    before = httpx.get(f"{base}/api/v1/ledgers").json()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIFEN_")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    again = subprocess.run(  # noqa: S603 (our own interpreter running our own command)
        _jifen("demo", "--no-serve"),
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "nothing was added" in again.stdout
    assert httpx.get(f"{base}/api/v1/ledgers").json() == before
