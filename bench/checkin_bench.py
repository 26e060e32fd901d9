"""Check-ins per second through the HTTP API, beside a plain-insert endpoint, same run.

    python -m bench.checkin_bench [--database-url URL] [--requests 3000] [--concurrency 16]

What runs: a scratch PostgreSQL database; the service under uvicorn with 2 worker processes
(`--factory bench.checkin_bench:create_bench_app`: the real app plus two benchmark-only
routes given through `create_app(extra_routes=...)`); logged-in volunteers posting venue
codes of open events (`POST /api/v1/checkins`: code parsing, signature check, the event,
membership and duplicate checks, the insert and the place taken) in a seeded random mix
over the events; and, as the baseline, the same volunteers posting to `POST /bench/insert`,
which does one plain INSERT behind the same login, session and transaction handling. A
public variant of the insert (`/bench/insert-public`, no login) is reported as well.

Phases: warm-up; closed loop (each of `--concurrency` tasks sends its next request when
the last is answered), alternating baseline and check-ins twice; then an open loop at
half the baseline rate, sending on a fixed schedule and timing each request from its
scheduled start (so a stalled server cannot hide its queue), for the p99 at that rate.
The load generator runs on the same machine and competes with the server for its cores.
The venue codes are fetched once by the captain with a code lifetime of an hour
(`JIFEN_CHECKIN_TTL_SECONDS=3600`), so codes stay valid through the run.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from litestar import Litestar, get, post
from sqlalchemy import text

from api.access import Access, access
from api.app import CSRF_COOKIE, CSRF_HEADER, create_app
from api.deps import Db, Me, Now
from bench.common import (
    DEFAULT_PG_URL,
    machine_line,
    median_ms,
    percentile_ms,
    scratch_database,
    write_section,
)
from checkin import events
from cli.serve import run_workers
from config.database import make_engine, make_sessionmaker
from config.settings import Settings
from ledger.keys import KeyStore
from organisation import service as org
from organisation.passwords import hash_password

PASSWORD = "benchmark password"  # noqa: S105 (the scratch database's made-up volunteers)
VOLUNTEERS = 100
EVENTS = 200
WARM_UP = 300
OPEN_LOOP_SECONDS = 10.0
TARGET_RATIO = 0.5
TARGET_P99_MS = 50.0
SEED = 5
SERVER_WORKERS = 2
OPEN_LOOP_CONNECTIONS = 32


@post("/bench/insert", opt=access(Access.MEMBER), status_code=200)
async def plain_insert(db: Db, principal: Me, now: Now) -> dict[str, bool]:
    """Benchmark only: one plain INSERT behind the same login and transaction handling."""
    await db.execute(
        text("INSERT INTO bench_rows (member_id, at) VALUES (:member_id, :at)"),
        {"member_id": principal.member_id, "at": now},
    )
    return {"ok": True}


@post("/bench/insert-public", opt=access(Access.PUBLIC), status_code=200)
async def plain_insert_public(db: Db, now: Now) -> dict[str, bool]:
    """Benchmark only: the same INSERT without a login."""
    await db.execute(text("INSERT INTO bench_rows (member_id, at) VALUES (NULL, :at)"), {"at": now})
    return {"ok": True}


@get("/bench/worker", opt=access(Access.PUBLIC))
async def worker_pid() -> dict[str, int]:
    """Benchmark only: the server process that answers on this connection."""
    return {"pid": os.getpid()}


def create_bench_app() -> Litestar:
    """The service from JIFEN_* variables plus the benchmark routes (uvicorn --factory)."""
    settings = replace(Settings.from_environ(), login_attempts_per_minute=1_000_000)
    return create_app(settings, extra_routes=[plain_insert, plain_insert_public, worker_pid])


@dataclass(frozen=True)
class Seeded:
    team_id: int
    captain: str
    volunteers: list[str]
    event_ids: list[int]


async def _seed(url: str, key_dir: Path) -> Seeded:
    """One community, one team, a captain, volunteers and open events."""
    engine = make_engine(url, pool_size=2)
    sessions = make_sessionmaker(engine)
    keystore = KeyStore(key_dir)
    now = datetime.now(UTC)
    password_hash = hash_password(PASSWORD)
    async with sessions.begin() as session:
        await session.execute(
            text(
                "CREATE TABLE bench_rows (id BIGSERIAL PRIMARY KEY, member_id INT, at TIMESTAMPTZ)"
            )
        )
        district = await org.create_sub_district(session, name="街道")
        community = await org.create_community(
            session,
            keystore=keystore,
            sub_district_id=district.id or 0,
            name="社区",
            ledger_id="bench",
            ledger_public=False,
            now=now,
        )
        team = await org.create_team(session, community_id=community.id or 0, name="志愿服务队")
        names = ["captain", *(f"volunteer-{i}" for i in range(VOLUNTEERS))]
        people = {}
        for name in names:
            member, _ = await org.create_member(
                session,
                community=community,
                display_name=name,
                phone=None,
                username=name,
                building_id=None,
                date_of_birth=None,
                now=now,
                with_setup_code=False,
            )
            member.password_hash = password_hash
            await org.add_to_team(session, team=team, member=member, now=now)
            people[name] = member
        await org.grant_role(
            session,
            member=people["captain"],
            role="captain",
            scope_id=team.id or 0,
            granted_by=None,
            now=now,
        )
        event_ids = []
        for index in range(EVENTS):
            spec = events.EventSpec(
                activity_id="new_year_banquet",
                title=f"活动 {index}",
                place="社区广场",
                starts_at=now,
                ends_at=now + timedelta(hours=6),
                capacity=10_000,
                open_to="team",
            )
            event = await events.create(
                session,
                community_id=community.id or 0,
                team_id=team.id or 0,
                created_by=people["captain"].id or 0,
                spec=spec,
                now=now,
            )
            await events.open_event(session, event=event, now=now)
            event_ids.append(event.id or 0)
    await engine.dispose()
    return Seeded(team.id or 0, "captain", names[1:], event_ids)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_server(url: str, key_dir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "JIFEN_DATABASE_URL": url,
        "JIFEN_KEY_DIR": str(key_dir),
        "JIFEN_SESSION_SECRET": secrets.token_hex(32),
        "JIFEN_RUN_JOBS": "0",
        "JIFEN_CHECKIN_TTL_SECONDS": "3600",
        "JIFEN_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
    }
    command = [sys.executable, "-m", "bench.checkin_bench", "--serve", str(port)]
    with log.open("wb") as sink:
        # The app logs a line per request (to the log file); both endpoints pay alike.
        return subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT)  # noqa: S603 (our own interpreter and arguments)


def _serve(port: int) -> None:
    """The server under test: the service's own multi-worker runner (see cli/serve.py)."""
    run_workers(
        "bench.checkin_bench:create_bench_app",
        host="127.0.0.1",
        port=port,
        workers=SERVER_WORKERS,
        log_level="warning",
        access_log=False,
        # Clients idle while others log in; keep their connections (no close races).
        timeout_keep_alive=600,
    )


async def _wait_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(300):
            if server.poll() is not None:
                raise RuntimeError("the server exited; see its log")
            try:
                if (await client.get("/ready")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("the server did not become ready")


@dataclass(frozen=True)
class Credentials:
    """A logged-in session as the headers that carry it."""

    cookie: str
    csrf: str


async def _login(base: str, username: str) -> Credentials:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        await client.get("/health")
        client.headers[CSRF_HEADER] = client.cookies.get(CSRF_COOKIE) or ""
        answer = await client.post(
            "/api/v1/auth/login", json={"identifier": username, "password": PASSWORD}
        )
        answer.raise_for_status()
        cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
        return Credentials(cookie=cookie, csrf=client.headers[CSRF_HEADER])


async def _anonymous(base: str) -> Credentials:
    """No session, only the CSRF cookie every POST needs."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        await client.get("/health")
        csrf = client.cookies.get(CSRF_COOKIE) or ""
        return Credentials(cookie=f"{CSRF_COOKIE}={csrf}", csrf=csrf)


def _request(port: int, path: str, who: Credentials, body: bytes = b"") -> bytes:
    """A whole HTTP/1.1 POST, serialised once before the clock starts."""
    head = (
        f"POST {path} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\n"
        f"cookie: {who.cookie}\r\n{CSRF_HEADER}: {who.csrf}\r\n"
        f"content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


class Connections:
    """Keep-alive HTTP/1.1 connections, lent one request at a time.

    A raw client: serialised requests written to a socket and responses read by their
    Content-Length. It costs the shared cores a small fraction of what a full client
    library does, which leaves them to the server being measured.
    """

    def __init__(self, port: int, size: int) -> None:
        self.port, self.size = port, size
        self.free: asyncio.Queue[Connection] = asyncio.Queue()
        self.per_worker: dict[int, int] = {}

    async def __aenter__(self) -> Connections:
        """Open `size` connections, as many to each server worker as can be had.

        The kernel spreads new connections over the workers' listening sockets by a hash
        (see `cli.serve.worker_listeners`), and 16 connections rarely split evenly; with
        one socket shared, one worker once took 15 of 16. An uneven split would measure
        one worker more than the other, so connections are opened until each worker has
        its share (each asks which process answers it), and the surplus is closed.
        `per_worker` records the split.
        """
        share = -(-self.size // SERVER_WORKERS)
        kept: dict[int, list[Connection]] = {}
        surplus: list[Connection] = []
        for _ in range(self.size * MAX_OPEN_ATTEMPTS_PER_CONNECTION):
            if sum(len(c) for c in kept.values()) == self.size:
                break
            connection = await asyncio.open_connection("127.0.0.1", self.port)
            _, body = await _exchange(connection, _worker_query(self.port))
            worker = kept.setdefault(json.loads(body)["pid"], [])
            (worker if len(worker) < share else surplus).append(connection)
        while sum(len(c) for c in kept.values()) < self.size and surplus:
            kept.setdefault(0, []).append(surplus.pop())  # unbalanced, but enough of them
        for _, writer in surplus:
            writer.close()
        self.per_worker = {pid: len(c) for pid, c in kept.items()}
        # Lent in turn from each worker: consecutive requests, which is what a few in
        # flight at a time are, go to different workers.
        for turn in itertools.zip_longest(*kept.values()):
            for connection in turn:
                if connection is not None:
                    self.free.put_nowait(connection)
        return self

    async def __aexit__(self, *_: object) -> None:
        while not self.free.empty():
            self.free.get_nowait()[1].close()

    async def send(self, request: bytes) -> tuple[int, bytes]:
        connection = await self.free.get()
        try:
            return await _exchange(connection, request)
        finally:
            self.free.put_nowait(connection)


Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]
MAX_OPEN_ATTEMPTS_PER_CONNECTION = 20


def _worker_query(port: int) -> bytes:
    return f"GET /bench/worker HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\n\r\n".encode()


async def _exchange(connection: Connection, request: bytes) -> tuple[int, bytes]:
    """Write one request; read its response's status and body (by its Content-Length)."""
    reader, writer = connection
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return int(head[9:12]), await reader.readexactly(length)


FAILURES: dict[str, int] = {}


def _failed(status: int, body: bytes) -> bool:
    """Whether a request failed; the failures are counted by kind for stderr."""
    if status < 400:
        return False
    key = f"{status} {body[:160].decode(errors='replace')}"
    FAILURES[key] = FAILURES.get(key, 0) + 1
    return True


@dataclass
class Run:
    """Latencies and wall time of one phase."""

    name: str
    latencies: list[float]
    seconds: float
    failures: int
    connections_per_worker: list[int]

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def line(self) -> str:
        return (
            f"{self.name:<34} {self.rate:8.0f}/s  p50 {median_ms(self.latencies):6.1f} ms"
            f"  p99 {percentile_ms(self.latencies, 0.99):6.1f} ms  failures {self.failures}"
            f"  connections per worker {self.connections_per_worker}"
        )


async def _closed_loop(name: str, port: int, requests: list[bytes], concurrency: int) -> Run:
    queue = iter(requests)
    latencies: list[float] = []
    failures = 0

    async def worker(connections: Connections) -> None:
        nonlocal failures
        for request in queue:
            started = time.perf_counter()
            status, body = await connections.send(request)
            latencies.append(time.perf_counter() - started)
            failures += _failed(status, body)

    async with Connections(port, concurrency) as connections:
        started = time.perf_counter()
        await asyncio.gather(*(worker(connections) for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    return Run(name, latencies, seconds, failures, sorted(connections.per_worker.values()))


async def _open_loop(name: str, port: int, requests: list[bytes], rate: float) -> Run:
    latencies: list[float] = []
    failures = 0

    async def one(connections: Connections, scheduled: float, request: bytes) -> None:
        nonlocal failures
        await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
        status, body = await connections.send(request)
        latencies.append(time.perf_counter() - scheduled)
        failures += _failed(status, body)

    async with Connections(port, OPEN_LOOP_CONNECTIONS) as connections:
        started = time.perf_counter()
        await asyncio.gather(
            *(one(connections, started + i / rate, r) for i, r in enumerate(requests))
        )
        seconds = time.perf_counter() - started
    return Run(name, latencies, seconds, failures, sorted(connections.per_worker.values()))


class Load:
    """The volunteers' sessions and the supply of not yet used (volunteer, event) pairs."""

    def __init__(
        self,
        port: int,
        sessions: dict[str, Credentials],
        anonymous: Credentials,
        codes: dict[int, str],
    ) -> None:
        self.port, self.sessions, self.anonymous, self.codes = port, sessions, anonymous, codes
        pairs = [(v, e) for v in sessions for e in codes]
        random.Random(SEED).shuffle(pairs)
        self.pairs = iter(pairs)

    def checkins(self, count: int) -> list[bytes]:
        made = []
        for _ in range(count):
            volunteer, event_id = next(self.pairs)
            body = json.dumps({"token": self.codes[event_id]}).encode()
            made.append(_request(self.port, "/api/v1/checkins", self.sessions[volunteer], body))
        return made

    def inserts(self, count: int, *, public: bool = False) -> list[bytes]:
        if public:  # no session at all: no login to look up
            return [_request(self.port, "/bench/insert-public", self.anonymous)] * count
        sessions = list(self.sessions.values())
        return [
            _request(self.port, "/bench/insert", sessions[i % len(sessions)]) for i in range(count)
        ]


async def _measure(port: int, seeded: Seeded, requests: int, concurrency: int) -> dict[str, Any]:
    base = f"http://127.0.0.1:{port}"
    codes = {}
    captain = await _login(base, seeded.captain)
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        headers = {"cookie": captain.cookie}
        for event_id in seeded.event_ids:
            shown = await client.get(f"/api/v1/events/{event_id}/code", headers=headers)
            shown.raise_for_status()
            codes[event_id] = shown.json()["token"]
    sessions = {v: await _login(base, v) for v in seeded.volunteers}
    load = Load(port, sessions, await _anonymous(base), codes)
    await _closed_loop("warm-up inserts", port, load.inserts(WARM_UP), concurrency)
    await _closed_loop("warm-up check-ins", port, load.checkins(WARM_UP), concurrency)
    runs: dict[str, list[Run]] = {"insert": [], "public": [], "checkin": []}
    for _ in range(2):
        batches = {
            "insert": ("plain insert (logged in)", load.inserts(requests)),
            "public": ("plain insert (public)", load.inserts(requests, public=True)),
            "checkin": ("check-in", load.checkins(requests)),
        }
        for key, (name, batch) in batches.items():
            runs[key].append(await _closed_loop(name, port, batch, concurrency))
    merged = {k: _merge(v) for k, v in runs.items()}
    target_rate = TARGET_RATIO * merged["insert"].rate
    paced_requests = load.checkins(int(target_rate * OPEN_LOOP_SECONDS))
    paced = await _open_loop("check-in, paced", port, paced_requests, target_rate)
    return {**merged, "paced": paced, "target_rate": target_rate}


def _merge(runs: list[Run]) -> Run:
    return Run(
        runs[0].name,
        [x for r in runs for x in r.latencies],
        sum(r.seconds for r in runs),
        sum(r.failures for r in runs),
        # The most lopsided split of the merged runs.
        max((r.connections_per_worker for r in runs), key=lambda c: max(c) - min(c)),
    )


def _report(figures: dict[str, Any], concurrency: int) -> str:
    insert, public, checkin, paced = (figures[k] for k in ("insert", "public", "checkin", "paced"))
    ratio = checkin.rate / insert.rate
    p99 = percentile_ms(paced.latencies, 0.99)
    rows = [
        ("plain insert, logged in (baseline)", f"{insert.rate:,.0f}/s", "1.00", ""),
        ("plain insert, public", f"{public.rate:,.0f}/s", f"{public.rate / insert.rate:.2f}", ""),
        ("check-ins", f"{checkin.rate:,.0f}/s", f"{ratio:.2f}", f">= {TARGET_RATIO}"),
        ("check-ins vs public insert", "", f"{checkin.rate / public.rate:.2f}", ""),
        (
            f"check-ins paced at {figures['target_rate']:,.0f}/s (0.5 x baseline)",
            f"{paced.rate:,.0f}/s, p50 {median_ms(paced.latencies):.1f} ms, p99 {p99:.1f} ms",
            "",
            f"p99 < {TARGET_P99_MS:.0f} ms",
        ),
    ]
    table = "\n".join(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows)
    latencies = "; ".join(
        f"{r.name}: p50 {median_ms(r.latencies):.1f} ms,"
        f" p99 {percentile_ms(r.latencies, 0.99):.1f} ms"
        for r in (insert, public, checkin)
    )
    failures = sum(r.failures for r in (insert, public, checkin, paced))
    splits = ", ".join(
        f"{r.name} {'/'.join(map(str, r.connections_per_worker))}"
        for r in (insert, public, checkin, paced)
    )
    return f"""Measured {datetime.now(UTC):%Y-%m-%d} on {machine_line()}, PostgreSQL, uvicorn with 2
worker processes, by `python -m bench.checkin_bench`. Closed loop with {concurrency} concurrent
requests ({len(checkin.latencies):,} of each kind over two alternating rounds), then an open loop
for {OPEN_LOOP_SECONDS:.0f} s at half the baseline rate, latency timed from each request's
scheduled start. The load generator shares the machine's cores with the server and PostgreSQL.
Failed requests: {failures}.

| measurement | figure | ratio | target |
| --- | --- | --- | --- |
{table}

Closed-loop latencies: {latencies}.

The baseline is the plain insert behind the same login: every check-in is made by a
logged-in member, and loading the caller's session and roles (shared by both endpoints)
costs about as much as the insert itself, as the public variant shows. The server's
listening socket is made with protocol IPPROTO_TCP (see `_serve`): under plain
`uvicorn --workers 2` asyncio leaves Nagle's algorithm on for accepted connections and
every small response waits about 40 ms for a delayed ACK.

The client's keep-alive connections are spread evenly over the two server workers (see
`Connections`): the kernel spreads new connections over the workers' sockets by a hash,
and 16 rarely split evenly (with one socket shared, one worker once took 15 of 16 and
the run's whole load). They are lent in turn from each worker, so that the few requests
in flight at a time in the open loop do not all go to one.
Connections per worker (most lopsided phase): {splits}.
"""


def _server_errors(log: Path) -> str:
    lines = log.read_text(errors="replace").splitlines()
    return "\n".join(sorted({line for line in lines if "Error" in line})[:10])


async def _main(args: argparse.Namespace) -> None:
    async with scratch_database(args.database_url) as url:
        with tempfile.TemporaryDirectory() as scratch:
            key_dir, log = Path(scratch) / "keys", Path(scratch) / "server.log"
            seeded = await _seed(url, key_dir)
            port = _free_port()
            server = _start_server(url, key_dir, port, log)
            try:
                await _wait_ready(f"http://127.0.0.1:{port}", server)
                figures = await _measure(port, seeded, args.requests, args.concurrency)
            except BaseException:
                print(log.read_text(errors="replace")[-3000:], file=sys.stderr)
                raise
            finally:
                server.terminate()
                server.wait(timeout=30)
            if FAILURES:
                print(_server_errors(log), file=sys.stderr)
    for name in ("insert", "public", "checkin", "paced"):
        print(figures[name].line())
    for failure, count in sorted(FAILURES.items(), key=lambda item: -item[1])[:5]:
        print(f"{count} x {failure}", file=sys.stderr)
    body = _report(figures, args.concurrency)
    print(body)
    if args.write:
        write_section("Check-ins", body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", default=os.environ.get("JIFEN_BENCH_DATABASE_URL", DEFAULT_PG_URL)
    )
    parser.add_argument("--requests", type=int, default=3000, help="per kind and round")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--no-write", dest="write", action="store_false", help="leave RESULTS.md")
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(args.serve)
    else:
        asyncio.run(_main(args))


if __name__ == "__main__":
    main()
