"""The bench's two writes alone, without PostGraphile: requests/s and latency of `updateMilestone`
and `recordMeasurement` against one `tracker serve` on PostgreSQL, with an ADMIN token.

Same documents and variables as `make bench` (bench/catalogue.py): every client updates the same
milestone and records on the same indicator (made for the run, removed after), so the writes
serialise on row locks and the figure is about how long a write holds them. Load comes from
`--clients` concurrent keep-alive connections of a small asyncio HTTP/1.1 client in this process
(no wrk needed); the server runs as `tracker serve` does, read cache off, from the code on
PYTHONPATH.

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
    CREATE_INDICATOR,
    Server,
    _connect,
    _graphql,
    _remove_bench_indicators,
    _token,
    _wait_http,
    free_port,
)

ROOT = Path(__file__).resolve().parent.parent


def start_server(url: str, code: Path = ROOT) -> Server:
    """`tracker serve` from the checkout `code` (not the installed entry point, which may be
    another's): another checkout's server runs on the same data, to compare before and after."""
    port = free_port()
    log = Path(tempfile.gettempdir()) / f"tracker-bench-writes-{port}.log"
    environment = {
        **os.environ,
        "PYTHONPATH": str(code),
        "TRACKER_DATABASE_URL": url,
        "TRACKER_READ_CACHE_SECONDS": "0",
    }
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "tracker.cli", "serve", "--port", str(port)],
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    _wait_http(f"{base}/readyz", process, log)
    return Server("tracker", process, f"{base}/graphql")


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
    host: str, port: int, request: bytes, deadline: float, latencies: list[float], failures: list[str]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            writer.write(request)
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


async def load(url: str, body: bytes, headers: dict[str, str], *, clients: int, seconds: float) -> dict[str, Any]:
    address = url.split("//", 1)[1].split("/", 1)[0]
    host, port = address.rsplit(":", 1)
    path = "/" + url.split("//", 1)[1].split("/", 1)[1]
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {address}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    latencies: list[float] = []
    failures: list[str] = []
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(_client(host, int(port), request, deadline, latencies, failures) for _ in range(clients)))
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_126")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--only", nargs="*", default=catalogue.WRITES)
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout whose server is measured")
    parser.add_argument("--profile", type=Path, help="a folder: a py-spy profile of each measured run goes there")
    args = parser.parse_args(argv)
    url = args.database_url
    with _connect(url) as connection:
        subject = catalogue.pick_subject(connection)
    admin = {"Authorization": f"Bearer {_token(url, 'ADMIN', 'bench-writes')}"}
    server = start_server(url, args.code)
    results: dict[str, Any] = {}
    try:
        with measured_indicator(url, server, subject, admin) as indicator:
            subject = catalogue.Subject(**{**subject.as_dict(), "indicator": indicator})
            for pair in catalogue.pairs(args.only):
                body = json.dumps({"query": pair.ours, "variables": pair.tracker_variables(subject)}).encode()
                _graphql(server, pair.ours, pair.tracker_variables(subject), admin)
                asyncio.run(load(server.url, body, admin, clients=args.clients, seconds=args.warmup))
                runs = []
                for _ in range(args.rounds):
                    with spying(server, args.profile, pair.name, args.seconds):
                        before, own = server.cpu_seconds(), time.process_time()
                        figures = asyncio.run(load(server.url, body, admin, clients=args.clients, seconds=args.seconds))
                        requests = max(figures["requests"], 1)
                        figures["server_cpu_ms"] = round((server.cpu_seconds() - before) * 1000 / requests, 2)
                        figures["client_cpu_ms"] = round((time.process_time() - own) * 1000 / requests, 2)
                        runs.append(figures)
                results[pair.name] = runs[0] if len(runs) == 1 else runs
                sys.stderr.write(f"{pair.name} {json.dumps(results[pair.name])}\n")
    finally:
        server.stop()
    sys.stdout.write(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
