"""`jifen serve`: run the service with uvicorn worker processes on one listening socket."""

from __future__ import annotations

import multiprocessing
import os
import secrets
import signal
import socket
from dataclasses import replace
from pathlib import Path
from typing import Any

import uvicorn

from config.settings import Settings

SECRET_FILE = "session.secret"  # noqa: S105 (a file name, not a secret)
APP_FACTORY = "api.asgi:create_app_from_environ"
LISTEN_BACKLOG = 2048


def ensure_session_secret(settings: Settings) -> Settings:
    """Settings with a session secret: the configured one, or one kept in the data directory.

    The secret signs login cookies, so it must survive restarts and be the same in every
    worker; without JIFEN_SESSION_SECRET it is generated once next to the key directory.
    """
    if settings.session_secret:
        return settings
    path = Path(settings.key_dir).parent / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return replace(settings, session_secret=path.read_text().strip())


def tcp_listener(host: str, port: int, *, reuse_port: bool = False) -> socket.socket:
    """A listening socket made with protocol IPPROTO_TCP.

    uvicorn's own socket for several workers has protocol 0, and asyncio then leaves Nagle's
    algorithm on for accepted connections: each small response waits about 40 ms for the
    client's delayed ACK. With IPPROTO_TCP asyncio sets TCP_NODELAY on every connection.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    listener.bind((host, port))
    listener.listen(LISTEN_BACKLOG)
    listener.set_inheritable(True)
    return listener


def worker_listeners(host: str, port: int, workers: int) -> list[socket.socket]:
    """A listening socket for each worker, all on one port, where the system allows it.

    With one socket shared, the worker that wakes first accepts a whole burst of new
    connections (asyncio accepts up to the backlog at once): a client that keeps its
    connections open, such as a reverse proxy, then loads that worker alone. With a socket
    each (SO_REUSEPORT), the kernel spreads new connections over the workers.
    """
    if workers <= 1 or not hasattr(socket, "SO_REUSEPORT"):
        return [tcp_listener(host, port)] * max(workers, 1)
    first = tcp_listener(host, port, reuse_port=True)
    bound_port = first.getsockname()[1]  # port 0 asks for a free one: all take the same
    others = [tcp_listener(host, bound_port, reuse_port=True) for _ in range(workers - 1)]
    return [first, *others]


def _worker(app: str, listener: socket.socket, options: dict[str, Any]) -> None:
    config = uvicorn.Config(app, factory=True, proxy_headers=True, **options)
    uvicorn.Server(config).run(sockets=[listener])


def run_workers(app: str, *, host: str, port: int, workers: int, **options: Any) -> None:
    """Serve the app factory `app` from `workers` processes until SIGTERM or Ctrl-C."""
    listeners = worker_listeners(host, port, workers)
    if workers <= 1:
        _worker(app, listeners[0], options)
        return
    spawn = multiprocessing.get_context("spawn")
    processes = [
        spawn.Process(target=_worker, args=(app, listener, options)) for listener in listeners
    ]
    for process in processes:
        process.start()

    def stop(*_: object) -> None:
        for process in processes:
            process.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        for process in processes:
            process.join()
    except KeyboardInterrupt:
        stop()


def serve(settings: Settings, *, host: str, port: int) -> int:
    """Run until interrupted; workers build the app from the environment, like a deployment."""
    settings = ensure_session_secret(settings)
    os.environ["JIFEN_SESSION_SECRET"] = settings.session_secret
    os.environ["JIFEN_DATABASE_URL"] = settings.database_url
    os.environ["JIFEN_KEY_DIR"] = str(settings.key_dir)
    os.environ["JIFEN_PUBLIC_BASE_URL"] = settings.public_base_url
    run_workers(APP_FACTORY, host=host, port=port, workers=settings.workers, log_level="warning")
    return 0
