"""`jifen serve`'s worker processes share the connections of a burst of new clients.

A real server of two workers, on a free port, answers each request with the process id of
the worker that accepted the connection.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2
CONNECTIONS = 32
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def pid_app() -> Callable[[dict[str, Any], Receive, Send], Awaitable[None]]:
    """An ASGI app factory (uvicorn --factory): each response is the worker's process id."""

    async def app(scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = str(os.getpid()).encode()
        headers = [(b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server() -> Iterator[int]:
    """`run_workers` with two workers in a process of its own; yields its port."""
    port = _free_port()
    code = (
        "from cli.serve import run_workers; "
        f"run_workers('tests.test_serve:pid_app', host='127.0.0.1', port={port}, "
        f"workers={WORKERS}, log_level='warning', lifespan='off')"
    )
    process = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)  # noqa: S603 (our own interpreter and code)
    try:
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


async def _worker_of_new_connection(port: int) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"GET / HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.startswith(b"content-length")
        )
        return int(await reader.readexactly(length))
    finally:
        writer.close()


async def _wait_until_up(port: int) -> None:
    for _ in range(200):
        try:
            await _worker_of_new_connection(port)
        except OSError:
            await asyncio.sleep(0.05)
        else:
            return
    raise AssertionError("the server did not start")


async def test_a_burst_of_connections_is_spread_over_the_workers(server: int) -> None:
    """Thirty-two connections opened at once are accepted by both workers, neither taking
    (nearly) all of them, as one worker did with a single shared socket."""
    await _wait_until_up(server)
    await asyncio.sleep(0.5)  # both workers listening, not only the first to start
    pids = await asyncio.gather(*(_worker_of_new_connection(server) for _ in range(CONNECTIONS)))
    counts = Counter(pids)
    assert len(counts) == WORKERS, counts
    assert max(counts.values()) <= CONNECTIONS - 4, counts
