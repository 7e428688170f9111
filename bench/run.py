"""`make bench`: the tracker side by side with PostGraphile 5 on the same PostgreSQL data.

For each network size N (126 today, 1,590 the goal) the bench seeds `bench_<N>` with
`tracker seed-demo --network N` (once; reused while it holds N synthetic collectivities), runs
ANALYZE, and starts four servers on loopback: the tracker with its read cache off (every request
reaches the database), the tracker as configured by default (anonymous persisted reads cached),
PostGraphile 5 (bench/peer) and a bare Starlette endpoint returning the bytes of a cached answer.
Load comes from wrk, a separate process: same concurrency for all, a warm-up run first (not
counted), then rounds that alternate tracker and peer (A B A B). Figures per operation: requests/s,
p50/p90/p99 latency, server CPU ms per request (from /proc), SQL statements per request (from
PostgreSQL's own statement log on dedicated connections), peak RSS; and the ratio tracker/peer.
A py-spy profile of the uncached plan dashboard is written beside the JSON results.

What is measured (bench/catalogue.py): the operations of graphql/operations/ and the frontend-style
reads of bench/queries/, each beside its PostGraphile twin; every read also with an EDITOR token of
the subject's collectivity (uncached: the cache serves anonymous readers only; compared with
PostGraphile's anonymous figure, the peer has no roles); the writes with an ADMIN token. Before
a pair is measured, both answers are compared (bench/compare.py): a pair whose rows differ is not
measured. Then the public pages on the uncached tracker (bench/pages.py; `--pages-only` measures
them alone), the first request of each document on a fresh tracker (bench/planning.py), and
issues 13 and 14's targets judged on the whole report (bench/targets.py).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import platform
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from bench import catalogue, compare, pages, planning, targets
from bench.catalogue import Pair, Subject
from bench.peer import peer

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
LUA = ROOT / "bench" / "request.lua"
BIN = Path(sys.executable).parent
SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
# Databases are named <prefix>_<N> (`--database-prefix`: a copy of one, to leave it as it is).
DATABASE_PREFIX = "bench"
LOG_STATEMENTS = "options=-c%20log_statement%3Dall"
# The status UpdateMilestone sets every other time, beside peer.DEFAULT_STATUS.
ALTERNATE_STATUS = "NOT_STARTED"
# The session key of the bench's servers: one per run, no session outlives it.
BENCH_SECRET_KEY = secrets.token_urlsafe(32)


def _checkout_env() -> dict[str, str]:
    """The environment of the tracker processes the bench starts: this checkout's code first, not
    whichever checkout an editable install of a shared virtualenv points at, and a session key
    (`tracker serve` refuses to start without one outside --demo)."""
    inherited = os.environ.get("PYTHONPATH")
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT) + (os.pathsep + inherited if inherited else ""),
        "TRACKER_SECRET_KEY": os.environ.get("TRACKER_SECRET_KEY") or BENCH_SECRET_KEY,
    }


def database_name(size: int) -> str:
    return f"{DATABASE_PREFIX}_{size}"


def database_url(size: int) -> str:
    return f"{SERVER}/{database_name(size)}"


def _connect(url: str, **options: Any) -> psycopg.Connection[Any]:
    return psycopg.connect(peer.libpq_url(url), **options)


def ensure_database(size: int) -> None:
    """Seed <prefix>_<size> unless it already holds that network; then vacuum it and refresh planner statistics."""
    name = database_name(size)
    with _connect(f"{SERVER}/postgres", autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            admin.execute(f"CREATE DATABASE {name}")
    with _connect(database_url(size)) as connection:
        seeded = connection.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'collectivity'"
        ).fetchone()
        count = connection.execute("SELECT count(*) FROM collectivity").fetchone() if seeded and seeded[0] else (0,)
    if count is None or count[0] != size + 2:  # the synthetic network and the two Ait Melloul collectivities
        with _connect(f"{SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {name}")
        _say(f"seeding {name} with {size} collectivities")
        _tracker_command(database_url(size), "seed-demo", "--network", str(size))
    settle(database_url(size))
    with _connect(database_url(size), autocommit=True) as connection:
        # VACUUM too: index-only scans skip the table only on pages the visibility map marks
        # all-visible, which autovacuum keeps up on a live database and a fresh seed lacks.
        connection.execute("VACUUM ANALYZE")


def _undispatched(url: str) -> int:
    with _connect(url) as connection:
        row = connection.execute("SELECT count(*) FROM outbox_event WHERE dispatched_at IS NULL").fetchone()
    return int(row[0]) if row else 0


def settle(url: str, quiet_seconds: float = 10.0, timeout: float = 1800.0) -> None:
    """Let a `tracker worker` catch up first (deadline reminders of a freshly seeded network, their
    dispatch), so that this one-time work does not land inside the measured runs."""
    log = Path(tempfile.gettempdir()) / "tracker-bench-settle.log"
    with log.open("wb") as output:
        worker = subprocess.Popen(
            [str(BIN / "tracker"), "worker"],
            env={**_checkout_env(), "TRACKER_DATABASE_URL": url},
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + timeout
        quiet_since = time.monotonic()
        while time.monotonic() < deadline:
            if worker.poll() is not None:
                raise RuntimeError(f"tracker worker exited:\n{log.read_text()[-3000:]}")
            if _undispatched(url):
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= quiet_seconds:
                return
            time.sleep(0.5)
        raise RuntimeError("the tracker worker did not catch up in time")
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def _tracker_command(url: str, *args: str) -> str:
    env = {**_checkout_env(), "TRACKER_DATABASE_URL": url}
    done = subprocess.run([str(BIN / "tracker"), *args], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"tracker {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_http(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:
            if response.status == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"server did not answer {url}:\n{log.read_text()[-3000:]}")


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    url: str

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_tracker(name: str, url: str, **env: str) -> Server:
    port = free_port()
    log = Path(tempfile.gettempdir()) / f"tracker-bench-{name}-{port}.log"
    environment = {**_checkout_env(), "TRACKER_DATABASE_URL": url, **env}
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(BIN / "tracker"), "serve", "--port", str(port)],
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    _wait_http(f"{base}/readyz", process, log)
    return Server(name, process, f"{base}/graphql")


def start_peer(url: str) -> Server:
    port = free_port()
    process = peer.start(url, port)
    return Server("postgraphile", process, f"http://127.0.0.1:{port}/graphql")


def start_bare(body: bytes) -> Server:
    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="tracker-bench-bare-"))
    (folder / "answer.json").write_bytes(body)
    log = folder / "server.log"
    env = {**os.environ, "BENCH_BARE_FILE": str(folder / "answer.json")}
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(BIN / "uvicorn"), "bench.bare:app", "--port", str(port), "--log-level", "info"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    _wait_http(f"http://127.0.0.1:{port}/graphql", process, log)
    return Server("bare-starlette", process, f"http://127.0.0.1:{port}/graphql")


@dataclass
class Request:
    """One request wrk sends again and again."""

    url: str
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # Sent every other time instead of `body` (wrk alternates them).
    alternate: bytes | None = None

    @property
    def method(self) -> str:
        return "POST" if self.body is not None else "GET"

    def send(self) -> tuple[int, bytes, dict[str, str]]:
        request = urllib.request.Request(
            self.url, data=self.body, method=self.method, headers={"Content-Type": "application/json", **self.headers}
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read(), dict(error.headers)


def _body(query: str, variables: dict[str, Any]) -> bytes:
    return json.dumps({"query": query, "variables": variables}).encode()


def post(url: str, query: str, variables: dict[str, Any], headers: dict[str, str] | None = None) -> Request:
    return Request(url, _body(query, variables), headers or {})


def get_persisted(url: str, text: str, variables: dict[str, Any]) -> Request:
    from tracker.api.core.persisted import sha256_of

    query = urllib.parse.urlencode({"documentId": "sha256:" + sha256_of(text), "variables": json.dumps(variables)})
    return Request(f"{url}?{query}")


def wrk(request: Request, *, connections: int, seconds: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="tracker-bench-wrk-") as folder:
        env = {**os.environ, "BENCH_METHOD": request.method}
        if request.body is not None:
            (Path(folder) / "body.json").write_bytes(request.body)
            env["BENCH_BODY_FILE"] = str(Path(folder) / "body.json")
        if request.alternate is not None:
            (Path(folder) / "alternate.json").write_bytes(request.alternate)
            env["BENCH_ALT_BODY_FILE"] = str(Path(folder) / "alternate.json")
        if request.headers:
            lines = "".join(f"{name}: {value}\n" for name, value in request.headers.items())
            (Path(folder) / "headers.txt").write_text(lines)
            env["BENCH_HEADERS_FILE"] = str(Path(folder) / "headers.txt")
        command = [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "30s",
            "-s",
            str(LUA),
            request.url,
        ]
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False, timeout=seconds + 60)
    line = next((line for line in done.stdout.splitlines() if line.startswith("{")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed: {done.stdout[-2000:]} {done.stderr[-2000:]}")
    figures: dict[str, Any] = json.loads(line)
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    return figures


def measure(server: Server, request: Request, *, connections: int, seconds: float) -> dict[str, Any]:
    status, body, _ = request.send()
    if status not in (200, 304) or b'"errors"' in body:
        raise RuntimeError(f"{server.name} answered {status}: {body[:500]!r}")
    before = server.cpu_seconds()
    figures = wrk(request, connections=connections, seconds=seconds)
    used = server.cpu_seconds() - before
    if figures["errors"] or figures["status_errors"]:
        raise RuntimeError(f"{server.name}: {figures['errors']} socket and {figures['status_errors']} HTTP errors")
    figures["cpu_ms_per_request"] = used * 1000 / max(figures["requests"], 1)
    return figures


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    ordered = sorted(runs, key=lambda run: run["rps"])
    chosen = dict(ordered[len(ordered) // 2])
    chosen["rps_runs"] = [round(run["rps"], 1) for run in runs]
    return chosen


@contextlib.contextmanager
def statement_log(size: int) -> Iterator[Path]:
    """PostgreSQL's server log, where connections opened with log_statement=all write each statement."""
    with statement_log_of(database_url(size)) as log:
        yield log


@contextlib.contextmanager
def statement_log_of(url: str) -> Iterator[Path]:
    """`statement_log` of the server of any database."""
    with _connect(url) as connection:
        row = connection.execute("SELECT pg_current_logfile()").fetchone()
        version = connection.execute("SHOW server_version_num").fetchone()
    candidates = [Path(row[0])] if row and row[0] else []
    major = int(version[0]) // 10000 if version else 0
    candidates += sorted(Path("/var/log/postgresql").glob(f"postgresql-{major}-*.log"))
    yield next((path for path in candidates if path.is_file()), Path("/nonexistent"))


def count_statements(log: Path, request: Request, times: int) -> float | None:
    """Statements logged per request while only this server talks to the bench database."""
    if not log.is_file():
        return None
    start = log.stat().st_size
    for _ in range(times):
        request.send()
    time.sleep(0.5)  # the log is written asynchronously
    with log.open("rb") as handle:
        handle.seek(start)
        text = handle.read().decode("utf-8", "replace")
    logged = sum(1 for line in text.splitlines() if "LOG:  statement:" in line or "LOG:  execute" in line)
    return logged / times


def profile(server: Server, request: Request, seconds: float, output: Path) -> str | None:
    spy = shutil.which("py-spy") or str(BIN / "py-spy")
    if not Path(spy).exists():
        return None
    recorder = subprocess.Popen(
        [
            spy,
            "record",
            "--pid",
            str(server.pid),
            "--duration",
            str(int(seconds)),
            "--format",
            "speedscope",
            "-o",
            str(output),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wrk(request, connections=4, seconds=seconds + 1)
    recorder.wait(timeout=seconds + 30)
    return str(output.relative_to(ROOT)) if output.exists() else None


def _say(message: str) -> None:
    sys.stderr.write(f"[bench] {message}\n")
    sys.stderr.flush()


def _token(url: str, role: str, name: str, *options: str) -> str:
    created = _tracker_command(url, "token", "create", "--role", role, "--name", name, *options)
    return created.strip().splitlines()[-1]


def answer_of(request: Request) -> dict[str, Any]:
    """The parsed GraphQL response; a body that is not one becomes an error answer."""
    status, body, _ = request.send()
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        return {"errors": [{"message": f"HTTP {status}: {body[:200]!r}"}]}
    return parsed


# Paths whose values differ by nature: the id of the row each server has just created, and of the
# indicator each records on (one per server, see measured_indicators).
IGNORED = {"RecordMeasurement": frozenset({"recordMeasurement.measurement.id", "recordMeasurement.indicator.id"})}


def _attempt(server: Server, request: Request, *, connections: int, seconds: float) -> dict[str, Any]:
    """measure(), with a failure (errors in the answer, HTTP errors under load) kept as the result."""
    try:
        return measure(server, request, connections=connections, seconds=seconds)
    except RuntimeError as error:
        return {"error": str(error)[:500]}


@dataclass
class Servers:
    uncached: Server
    cached: Server
    postgraphile: Server
    admin: dict[str, str]  # Authorization header of an ADMIN token: the writes
    editor: dict[str, str]  # of an EDITOR of the subject's collectivity: the reads again


def bench_pair(pair: Pair, subject: Subject, servers: Servers, size: int, args: argparse.Namespace) -> dict[str, Any]:
    """Check that both servers answer the same data, then measure each side (A B rounds)."""
    ours = pair.tracker_variables(subject)
    url = servers.uncached.url
    sides: dict[str, tuple[Server, Request]] = {}
    if pair.write:
        sides["tracker"] = (servers.uncached, post(url, pair.ours, ours, servers.admin))
    else:
        sides["tracker"] = (servers.uncached, post(url, pair.ours, ours))
        sides["tracker_editor"] = (servers.uncached, post(url, pair.ours, ours, servers.editor))
    theirs = post(servers.postgraphile.url, pair.theirs, pair.peer_variables(subject))
    if pair.name == "UpdateMilestone":
        # Setting the same status again and again changes the milestone only once, and the tracker
        # writes nothing for an update that changes nothing: each side alternates two statuses.
        back = {**ours, "input": {**ours["input"], "status": ALTERNATE_STATUS}}
        tracker_server, tracker_request = sides["tracker"]
        sides["tracker"] = (tracker_server, replace(tracker_request, alternate=_body(pair.ours, back)))
        their_back = peer.variables(pair.name, {**subject.for_peer(), "status": ALTERNATE_STATUS})
        theirs = replace(theirs, alternate=_body(pair.theirs, their_back))
    entry: dict[str, Any] = {"write": pair.write, "check": {}, "check_details": {}}
    answers = {side: answer_of(request) for side, (_server, request) in sides.items()}
    their_answer = answer_of(theirs)
    for side, answer in answers.items():
        verdict = compare.compare(answer, their_answer, ignore=IGNORED.get(pair.name, frozenset()))
        entry["check"][side] = verdict.summary()
        entry["check_details"][side] = verdict.as_dict()
        if not verdict.same:
            _say(f"N={size} {pair.name} {side}: answers differ from PostGraphile's: {verdict.summary()}")
        if not verdict.measurable:
            entry.setdefault("refused", {})[side] = verdict.summary()
            del sides[side]
    if not sides:
        return entry
    sides["postgraphile"] = (servers.postgraphile, theirs)
    load = {"connections": args.connections}
    _say(f"N={size} {pair.name}: warm-up")
    failed = {side: _attempt(server, request, **load, seconds=args.warmup) for side, (server, request) in sides.items()}
    runs: dict[str, list[dict[str, Any]]] = {side: [] for side in sides}
    for round_number in range(args.rounds):
        _say(f"N={size} {pair.name}: round {round_number + 1} ({', '.join(sides)})")
        for side, (server, request) in sides.items():
            if "error" in failed[side]:
                continue
            figures = _attempt(server, request, **load, seconds=args.seconds)
            if "error" in figures:
                failed[side] = figures
            else:
                runs[side].append(figures)
    for side in sides:
        entry[side] = failed[side] if "error" in failed[side] else _median_run(runs[side])
        if "error" in entry[side]:
            _say(f"N={size} {pair.name} {side}: {entry[side]['error']}")
    if pair.persisted:
        persisted = get_persisted(servers.cached.url, pair.ours, ours)
        _attempt(servers.cached, persisted, **load, seconds=args.warmup)
        cached_runs = [_attempt(servers.cached, persisted, **load, seconds=args.seconds) for _ in range(args.rounds)]
        errors = [run for run in cached_runs if "error" in run]
        entry["tracker_cached"] = errors[0] if errors else _median_run(cached_runs)
    return entry


def bench_bare(
    servers: Servers, pair: Pair, subject: Subject, args: argparse.Namespace
) -> tuple[Server, dict[str, Any]]:
    """A bare Starlette endpoint returning the bytes of the cached answer: the ceiling of a cached read."""
    _status, body, _ = get_persisted(servers.cached.url, pair.ours, pair.tracker_variables(subject)).send()
    bare = start_bare(body)
    measure(bare, Request(bare.url), connections=args.connections, seconds=args.warmup)
    runs = [
        measure(bare, Request(bare.url), connections=args.connections, seconds=args.seconds) for _ in range(args.rounds)
    ]
    return bare, _median_run(runs)


def planning_costs(url: str, pairs: list[Pair], subject: Subject) -> dict[str, Any]:
    """What a new document costs (bench/planning.py), on a tracker started for it, cache off."""
    server = start_tracker("planning", url, TRACKER_READ_CACHE_SECONDS="0", TRACKER_SCHEDULER_ENABLED="false")

    def send(text: str, variables: dict[str, Any]) -> tuple[int, bytes]:
        status, body, _ = post(server.url, text, variables).send()
        return status, body

    documents = {pair.name: (pair.ours, pair.tracker_variables(subject)) for pair in pairs if not pair.write}
    try:
        return {"documents": planning.measure(planning.Probe(send, server.pid), documents)}
    except RuntimeError as error:
        return {"error": str(error)[:500], "documents": {}}
    finally:
        server.stop()


CREATE_INDICATOR = """
mutation BenchIndicator($input: CreateIndicatorInput!) { createIndicator(input: $input) { indicator { id } } }
"""
DELETE_INDICATOR = "mutation BenchCleanUp($id: ID!) { deleteIndicator(input: {id: $id}) { deletedId } }"


def _graphql(server: Server, query: str, variables: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    answer = answer_of(post(server.url, query, variables, headers))
    if answer.get("errors") or not isinstance(answer.get("data"), dict):
        raise RuntimeError(f"{server.name} answered {json.dumps(answer)[:500]}")
    return dict(answer["data"])


def _remove_bench_indicators(url: str, server: Server, admin: dict[str, str]) -> None:
    """Through the tracker (its audit and outbox see it), with the values recorded on them."""
    from tracker.ids import encode_id

    with _connect(url) as connection:
        rows = connection.execute(
            "SELECT id FROM indicator WHERE name ->> 'en' = %s", (catalogue.INDICATOR_NAME,)
        ).fetchall()
    for (key,) in rows:
        _graphql(server, DELETE_INDICATOR, {"id": encode_id("Indicator", key)}, admin)


@contextlib.contextmanager
def measured_indicators(url: str, subject: Subject, admin: dict[str, str]) -> Iterator[Subject]:
    """Two indicators made for RecordMeasurement, one per server: the values each server records
    pile up on its own indicator (the tracker's latest value is a window over all of them), and
    are removed with them at the end, as are the leftovers of an interrupted run."""
    from tracker.ids import decode_key, encode_id

    server = start_tracker("indicators", url, TRACKER_READ_CACHE_SECONDS="0", TRACKER_SCHEDULER_ENABLED="false")
    try:
        _remove_bench_indicators(url, server, admin)
        made = []
        for _ in range(2):
            fields = {
                "commitmentId": encode_id("Commitment", uuid.UUID(subject.measured)),
                "name": {"en": catalogue.INDICATOR_NAME},
                "unit": "%",
                "baseline": catalogue.BASELINE,
                "target": catalogue.TARGET,
            }
            data = _graphql(server, CREATE_INDICATOR, {"input": fields}, admin)
            made.append(str(decode_key(data["createIndicator"]["indicator"]["id"], "Indicator", field="id")))
    finally:
        server.stop()
    try:
        yield dataclasses.replace(subject, indicator=made[0], peer_indicator=made[1])
    finally:
        server = start_tracker("indicators", url, TRACKER_READ_CACHE_SECONDS="0", TRACKER_SCHEDULER_ENABLED="false")
        try:
            _remove_bench_indicators(url, server, admin)
        finally:
            server.stop()


def bench_pages(server: Server, size: int, args: argparse.Namespace) -> dict[str, Any]:
    """The public pages (bench/pages.py) on `server`, the uncached tracker: a warm-up, then rounds."""
    with _connect(database_url(size)) as connection:
        subject = pages.pick(connection)
    load = {"connections": args.page_connections}
    base = server.url.removesuffix("/graphql")
    figures: dict[str, Any] = {}
    for name, address in pages.addresses(base, subject).items():
        _say(f"N={size} {name}: {args.rounds} rounds")
        request = Request(address)
        _attempt(server, request, **load, seconds=args.warmup)
        runs = [_attempt(server, request, **load, seconds=args.seconds) for _ in range(args.rounds)]
        errors = [run for run in runs if "error" in run]
        figures[name] = errors[0] if errors else _median_run(runs)
        figures[name]["bytes"] = len(request.send()[1])
    return {"subject": subject.as_dict(), "connections": args.page_connections, "figures": figures}


def pages_only(size: int, args: argparse.Namespace) -> dict[str, Any]:
    """`--pages-only`: the page figures on an uncached tracker, nothing else."""
    ensure_database(size)
    server = start_tracker("pages", database_url(size), TRACKER_READ_CACHE_SECONDS="0")
    try:
        figures = bench_pages(server, size, args)
        rss = {server.name: round(server.peak_rss_mb(), 1)}
    finally:
        server.stop()
    return {"size": size, "operations": {}, "pages": figures, "peak_rss_mb": rss}


def bench_size(size: int, args: argparse.Namespace, stamp: str) -> dict[str, Any]:
    if args.pages_only:
        return pages_only(size, args)
    ensure_database(size)
    url = database_url(size)
    peer.prepare_database(url)
    with _connect(url) as connection:
        picked = catalogue.pick_subject(connection)
    admin = {"Authorization": f"Bearer {_token(url, 'ADMIN', 'bench')}"}
    editor = {"Authorization": f"Bearer {_token(url, 'EDITOR', 'bench-editor', '--collectivity', picked.slug)}"}
    pairs = catalogue.pairs(args.only)
    with measured_indicators(url, picked, admin) as subject:
        return _bench_size(size, args, stamp, subject, admin, editor, pairs)


def _bench_size(
    size: int,
    args: argparse.Namespace,
    stamp: str,
    subject: Subject,
    admin: dict[str, str],
    editor: dict[str, str],
    pairs: list[Pair],
) -> dict[str, Any]:
    url = database_url(size)
    results: dict[str, Any] = {"size": size, "subject": subject.as_dict(), "operations": {}}
    started: list[Server] = []
    try:
        uncached = start_tracker("uncached", url, TRACKER_READ_CACHE_SECONDS="0")
        started.append(uncached)
        cached = start_tracker("cached", url)
        started.append(cached)
        postgraphile = start_peer(url)
        started.append(postgraphile)
        servers = Servers(uncached, cached, postgraphile, admin=admin, editor=editor)
        for pair in pairs:
            results["operations"][pair.name] = bench_pair(pair, subject, servers, size, args)
            if pair.name == "PlanDashboard":
                bare, figures = bench_bare(servers, pair, subject, args)
                started.append(bare)
                results["operations"][pair.name]["bare_starlette"] = figures
        if args.profile and any(pair.name == "PlanDashboard" for pair in pairs):
            dashboard = next(pair for pair in pairs if pair.name == "PlanDashboard")
            request = post(servers.uncached.url, dashboard.ours, dashboard.tracker_variables(subject))
            output = RESULTS / f"profile-PlanDashboard-{size}-{stamp}.json"
            results["profile"] = profile(servers.uncached, request, args.seconds, output)
        if args.pages:
            results["pages"] = bench_pages(servers.uncached, size, args)
        results["peak_rss_mb"] = {server.name: round(server.peak_rss_mb(), 1) for server in started}
    finally:
        for server in started:
            server.stop()
    _say(f"N={size}: the first request of each document, on a fresh tracker")
    results["planning"] = planning_costs(url, pairs, subject)
    results["sql_per_request"] = sql_counts(size, subject, admin, editor, pairs)
    return results


def sql_counts(
    size: int, subject: Subject, admin: dict[str, str], editor: dict[str, str], pairs: list[Pair]
) -> dict[str, dict[str, float | None]]:
    """Statements per request, counted by PostgreSQL on connections that log every statement."""
    logged = f"{database_url(size)}?{LOG_STATEMENTS}"
    counts: dict[str, dict[str, float | None]] = {pair.name: {} for pair in pairs}
    with statement_log(size) as log:
        tracker = start_tracker("sql", logged, TRACKER_READ_CACHE_SECONDS="0", TRACKER_SCHEDULER_ENABLED="false")
        try:
            for pair in pairs:
                variables = pair.tracker_variables(subject)
                sides = {"tracker": admin} if pair.write else {"tracker": {}, "tracker_editor": editor}
                for side, headers in sides.items():
                    request = post(tracker.url, pair.ours, variables, headers)
                    request.send()
                    counts[pair.name][side] = count_statements(log, request, 10)
        finally:
            tracker.stop()
        postgraphile = start_peer(logged)
        try:
            for pair in pairs:
                request = post(postgraphile.url, pair.theirs, pair.peer_variables(subject))
                request.send()
                counts[pair.name]["postgraphile"] = count_statements(log, request, 10)
        finally:
            postgraphile.stop()
    return counts


def table(report: dict[str, Any]) -> str:
    lines = []
    header = (
        f"{'N':>5} {'operation':<26} {'side':<15} {'req/s':>8} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7}"
        f" {'CPU ms/req':>10} {'SQL/req':>7} {'ratio':>6}"
    )
    for result in report["sizes"]:
        if result["operations"]:
            lines += [header, "-" * len(header)]
        for name, entry in result["operations"].items():
            sql = result.get("sql_per_request", {}).get(name, {})
            for side in ("tracker", "tracker_editor", "tracker_cached", "postgraphile", "bare_starlette"):
                run = entry.get(side)
                if run is None:
                    if side in entry.get("refused", {}):
                        lines.append(f"{result['size']:>5} {name:<26} {side:<15} not measured: answers differ")
                    continue
                if "error" in run:
                    lines.append(f"{result['size']:>5} {name:<26} {side:<15} failed: {run['error'][:80]}")
                    continue
                statements = sql.get(side) if side in ("tracker", "tracker_editor", "postgraphile") else None
                value = targets.ratio(entry, side)
                lines.append(
                    f"{result['size']:>5} {name:<26} {side:<15} {run['rps']:>8.1f} {run['p50_us'] / 1000:>7.1f}"
                    f" {run['p90_us'] / 1000:>7.1f} {run['p99_us'] / 1000:>7.1f} {run['cpu_ms_per_request']:>10.2f}"
                    f" {'' if statements is None else f'{statements:.1f}':>7}"
                    f" {'' if value is None else f'{value:.2f}':>6}"
                )
        rss = ", ".join(f"{name} {value} MB" for name, value in result.get("peak_rss_mb", {}).items())
        lines += [f"peak RSS at N={result['size']}: {rss}", ""]
        if result["operations"]:
            lines += [targets.ratio_table(result), ""]
        if result.get("pages"):
            lines += [pages.table(result), ""]
        if result.get("planning", {}).get("error"):
            lines += [f"first requests at N={result['size']}: failed: {result['planning']['error']}", ""]
        elif result.get("planning"):
            lines += [targets.planning_table(result), ""]
    for name in ("webhooks", "sources", "sources_measuring"):
        figures = report.get("throughput", {}).get(name)
        if figures:
            target = figures.get("target")
            lines.append(
                f"throughput {name:<18} tracker/raw httpx {figures['ratio_median']:.2f}"
                + (f" (target {target}: {'met' if figures.get('meets_target') else 'missed'})" if target else "")
            )
    latency = report.get("throughput", {}).get("hostile", {}).get("healthy_latency_ms")
    if latency:
        lines.append(
            f"throughput hostile receivers  healthy commit-to-receipt p50 {latency['p50']:.0f} ms,"
            f" p99 {latency['p99']:.0f} ms, max {latency['max']:.0f} ms"
        )
    if "hostile" in report:
        from bench import hostile

        lines += ["", hostile.table(report["hostile"])]
    if "embedded" in report:
        from bench import embedded

        lines += ["", embedded.table(report["embedded"])]
    if "targets" in report:
        lines += ["", targets.targets_table(report["targets"])]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    global DATABASE_PREFIX
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[126, 1590])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of one measured run")
    parser.add_argument("--warmup", type=float, default=3.0, help="length of the warm-up run (not counted)")
    parser.add_argument("--rounds", type=int, default=2, help="A B rounds per operation (median kept)")
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections of the load")
    parser.add_argument("--events", type=int, default=10_000, help="webhook events of the throughput bench")
    parser.add_argument("--sources", type=int, default=2_000, help="evidence sources of the throughput bench")
    parser.add_argument("--no-throughput", dest="throughput", action="store_false")
    parser.add_argument("--no-profile", dest="profile", action="store_false")
    parser.add_argument("--no-embedded", dest="embedded", action="store_false", help="skip the SQLite write load")
    parser.add_argument("--embedded-clients", type=int, default=16, help="clients of the SQLite write load")
    parser.add_argument(
        "--only", nargs="+", metavar="OPERATION", help="measure these operations only (names as in bench/catalogue.py)"
    )
    parser.add_argument("--embedded-seconds", type=float, default=20.0, help="length of the SQLite write load")
    parser.add_argument("--no-pages", dest="pages", action="store_false", help="skip the public pages")
    parser.add_argument(
        "--pages-only", action="store_true", help="measure the public pages only (no GraphQL pairs, no peer, no loads)"
    )
    parser.add_argument(
        "--page-connections", type=int, default=1, help="concurrent connections on a page (1: its render time)"
    )
    parser.add_argument(
        "--database-prefix", default=DATABASE_PREFIX, help="measure <prefix>_<N> (seeded when it does not hold N)"
    )
    args = parser.parse_args(argv)
    DATABASE_PREFIX = args.database_prefix
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk (make bench does it)")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    if not args.pages_only:
        _say("installing the PostGraphile peer (npm ci, once)")
        peer.install()
    report: dict[str, Any] = {
        "started_at": stamp,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            # The load others put on the machine: figures taken on a busy machine are indicative only.
            "load_average_at_start": os.getloadavg(),
        },
        "settings": dict(vars(args)),
        "sizes": [bench_size(size, args, stamp) for size in args.sizes],
    }
    from bench import embedded, hostile

    if args.pages_only:
        args.embedded = args.throughput = False
    else:
        _say("hostile documents: the time to refuse each")
        report["hostile"] = hostile.run()
    if args.embedded:
        _say(f"embedded SQLite: {args.embedded_clients} clients writing and reading for {args.embedded_seconds:g} s")
        report["embedded"] = embedded.run(clients=args.embedded_clients, seconds=args.embedded_seconds)
    if args.throughput:
        import asyncio

        from bench import throughput

        _say(f"throughput: {args.events} webhook events, {args.sources} evidence sources")
        report["throughput"] = asyncio.run(throughput.run(events=args.events, sources=args.sources))
    report["machine"]["load_average_at_end"] = os.getloadavg()
    report["targets"] = targets.judge(report)
    output = RESULTS / f"bench-{stamp}.json"
    output.write_text(json.dumps(report, indent=2, default=str))
    sys.stdout.write(table(report) + f"\n\nresults: {output.relative_to(ROOT)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
