"""The bench's two writes alone, without PostGraphile: requests/s and latency of `updateMilestone`
and `recordMeasurement` against one `tracker serve` on PostgreSQL, with an ADMIN token.

Same documents and variables as `make bench` (bench/catalogue.py): every client updates the same
milestone (alternating two statuses, as `make bench` does, so that every request changes it) and
records on the same indicator (made for the run, removed after), so the writes serialise on row
locks and the figure is about how long a write holds them. Load comes from `--clients`
concurrent keep-alive connections of a small asyncio HTTP/1.1 client in this process (no wrk
needed); the server runs as `tracker serve` does, read cache off, from the code on PYTHONPATH.

Before and after: `--code` twice (two checkouts, e.g. main's and a branch's worktree) measures
both servers on the same data in alternating rounds (A B A B), so that a loaded machine weighs on
both alike; `--statements N` also counts the SQL statements of N requests of each (PostgreSQL's
statement log, as bench/run.py counts them; the scheduler's dispatch of their events included).

Run `python -m bench.writes --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_126`
(a seeded bench database, see bench/run.py; the figures are printed as one JSON object).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench import catalogue
from bench.run import (
    ALTERNATE_STATUS,
    BENCH_SECRET_KEY,
    CREATE_INDICATOR,
    Server,
    _connect,
    _graphql,
    _remove_bench_indicators,
    _token,
    _wait_http,
    free_port,
    statement_log_of,
)

ROOT = Path(__file__).resolve().parent.parent


def start_server(url: str, code: Path = ROOT, **env: str) -> Server:
    """`tracker serve` from the checkout `code` (not the installed entry point, which may be
    another's): another checkout's server runs on the same data, to compare before and after."""
    port = free_port()
    log = Path(tempfile.gettempdir()) / f"tracker-bench-writes-{port}.log"
    environment = {
        **os.environ,
        "PYTHONPATH": str(code),
        "TRACKER_DATABASE_URL": url,
        "TRACKER_READ_CACHE_SECONDS": "0",
        "TRACKER_SECRET_KEY": BENCH_SECRET_KEY,
        **env,
    }
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "tracker.cli", "serve", "--port", str(port)],
            env=environment,
            cwd=code,  # `python -m` puts the working directory first, before PYTHONPATH
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    _wait_http(f"{base}/readyz", process, log)
    return Server(str(code), process, f"{base}/graphql")


@contextlib.contextmanager
def measured_indicator(url: str, server: Server, subject: catalogue.Subject, admin: dict[str, str]) -> Iterator[str]:
    from tracker.ids import decode_key, encode_id

    _remove_bench_indicators(url, server, admin)
    fields = {
        "commitmentId": encode_id("Commitment", uuid.UUID(subject.measured)),
        "name": {"en": catalogue.INDICATOR_NAME},
        "unit": "%",
        "baseline": catalogue.BASELINE,
        "target": catalogue.TARGET,
    }
    data = _graphql(server, CREATE_INDICATOR, {"input": fields}, admin)
    try:
        yield str(decode_key(data["createIndicator"]["indicator"]["id"], "Indicator", field="id"))
    finally:
        _remove_bench_indicators(url, server, admin)


@contextlib.contextmanager
def spying(server: Server, folder: Path | None, name: str, seconds: float) -> Iterator[None]:
    """py-spy recording the server (its Python stacks, idle included) while the load runs."""
    if folder is None:
        yield
        return
    folder.mkdir(parents=True, exist_ok=True)
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    output = folder / f"{name}.txt"
    command = [spy, "record", "--pid", str(server.pid), "--duration", str(int(seconds)), "--format", "raw"]
    recorder = subprocess.Popen([*command, "-o", str(output)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        recorder.wait(timeout=seconds + 30)


async def _client(
    host: str, port: int, requests: list[bytes], deadline: float, latencies: list[float], failures: list[str]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            # The clients take turns through the bodies, as wrk's one Lua state does.
            writer.write(requests[len(latencies) % len(requests)])
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            body = await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if not head.startswith(b"HTTP/1.1 200") or b'"errors"' in body:
                failures.append(body[:300].decode(errors="replace"))
    finally:
        writer.close()


def _http_request(url: str, body: bytes, headers: dict[str, str]) -> bytes:
    address, path = url.split("//", 1)[1].split("/", 1)
    lines = [
        f"POST /{path} HTTP/1.1",
        f"Host: {address}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def load(
    url: str, bodies: list[bytes], headers: dict[str, str], *, clients: int, seconds: float
) -> dict[str, Any]:
    address = url.split("//", 1)[1].split("/", 1)[0]
    host, port = address.rsplit(":", 1)
    requests = [_http_request(url, body, headers) for body in bodies]
    latencies: list[float] = []
    failures: list[str] = []
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(_client(host, int(port), requests, deadline, latencies, failures) for _ in range(clients)))
    elapsed = time.perf_counter() - started
    latencies.sort()

    def percentile(share: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(share * len(latencies)))] * 1000, 2)

    return {
        "requests": len(latencies),
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": percentile(0.50),
        "p99_ms": percentile(0.99),
        "max_ms": round(latencies[-1] * 1000, 2),
        "failures": len(failures),
        "first_failure": failures[0] if failures else None,
    }


def bodies(pair: catalogue.Pair, subject: catalogue.Subject) -> list[bytes]:
    """The request bodies sent in turn: UpdateMilestone alternates two statuses (as bench/run.py
    does), since setting the status a milestone already has writes nothing."""
    variables = pair.tracker_variables(subject)
    sent = [variables]
    if pair.name == "UpdateMilestone":
        sent.append({**variables, "input": {**variables["input"], "status": ALTERNATE_STATUS}})
    return [json.dumps({"query": pair.ours, "variables": each}).encode() for each in sent]


def count_statements(
    url: str, code: Path, pair: catalogue.Pair, subject: catalogue.Subject, admin: dict[str, str], times: int
) -> float:
    """Statements per request of the server from `code`, its scheduler's dispatch included: every
    statement its connections send, from PostgreSQL's log (connections named for the count)."""
    name = f"bench-writes-{os.getpid()}-{time.monotonic_ns()}"
    options = f"options=-c%20log_statement%3Dall&application_name={name}"
    server = start_server(f"{url}{'&' if '?' in url else '?'}{options}", code)
    try:
        with statement_log_of(url) as log:
            sent = bodies(pair, subject)
            _graphql(server, pair.ours, json.loads(sent[-1])["variables"], admin)
            time.sleep(1.0)  # the first request's dispatch, outside the count
            start = log.stat().st_size
            for number in range(times):
                body = json.loads(sent[number % len(sent)])
                _graphql(server, pair.ours, body["variables"], admin)
                time.sleep(0.2)  # each request's events dispatched on their own, as when writes are rare
            time.sleep(1.0)
            with _connect(url) as connection:
                pids = {
                    str(row[0])
                    for row in connection.execute(
                        "SELECT pid FROM pg_stat_activity WHERE application_name = %s", (name,)
                    ).fetchall()
                }
            with log.open("rb") as handle:
                handle.seek(start)
                lines = handle.read().decode("utf-8", "replace").splitlines()
    finally:
        server.stop()
    logged = sum(
        1
        for line in lines
        if ("LOG:  statement:" in line or "LOG:  execute" in line) and any(f"[{pid}]" in line for pid in pids)
    )
    return round(logged / times, 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_126")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--only", nargs="*", default=catalogue.WRITES)
    parser.add_argument(
        "--code", type=Path, action="append", help="a checkout whose server is measured (twice: before and after)"
    )
    parser.add_argument("--statements", type=int, default=0, help="count the statements of this many requests")
    parser.add_argument("--profile", type=Path, help="a folder: a py-spy profile of each measured run goes there")
    args = parser.parse_args(argv)
    url = args.database_url
    codes: list[Path] = args.code or [ROOT]
    with _connect(url) as connection:
        subject = catalogue.pick_subject(connection)
    admin = {"Authorization": f"Bearer {_token(url, 'ADMIN', 'bench-writes')}"}
    servers = [start_server(url, code) for code in codes]
    results: dict[str, Any] = {}
    try:
        with measured_indicator(url, servers[0], subject, admin) as indicator:
            subject = catalogue.Subject(**{**subject.as_dict(), "indicator": indicator})
            for pair in catalogue.pairs(args.only):
                sent = bodies(pair, subject)
                runs: dict[str, list[dict[str, Any]]] = {str(code): [] for code in codes}
                for server in servers:
                    _graphql(server, pair.ours, pair.tracker_variables(subject), admin)
                    asyncio.run(load(server.url, sent, admin, clients=args.clients, seconds=args.warmup))
                for round_number in range(args.rounds):
                    for server in servers:
                        name = f"{pair.name}-{Path(server.name).name}-{round_number}"
                        with spying(server, args.profile, name, args.seconds):
                            before, own = server.cpu_seconds(), time.process_time()
                            figures = asyncio.run(
                                load(server.url, sent, admin, clients=args.clients, seconds=args.seconds)
                            )
                            requests = max(figures["requests"], 1)
                            figures["server_cpu_ms"] = round((server.cpu_seconds() - before) * 1000 / requests, 2)
                            figures["client_cpu_ms"] = round((time.process_time() - own) * 1000 / requests, 2)
                            runs[server.name].append(figures)
                        sys.stderr.write(f"{name} {json.dumps(figures)}\n")
                results[pair.name] = {code: each[0] if len(each) == 1 else each for code, each in runs.items()}
        if args.statements:
            for server in servers:
                server.stop()
            servers = [start_server(url, codes[0])]
            with measured_indicator(url, servers[0], subject, admin) as indicator:
                subject = catalogue.Subject(**{**subject.as_dict(), "indicator": indicator})
                for pair in catalogue.pairs(args.only):
                    for code in codes:
                        counted = count_statements(url, code, pair, subject, admin, args.statements)
                        results.setdefault("statements", {}).setdefault(pair.name, {})[str(code)] = counted
                        sys.stderr.write(f"statements {pair.name} {code}: {counted}\n")
    finally:
        for server in servers:
            server.stop()
    sys.stdout.write(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
