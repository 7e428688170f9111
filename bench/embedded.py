"""The embedded default under concurrent writes: `tracker serve --demo` on SQLite, scheduler on.

As a small collectivity uses it: `clients` people with an EDITOR token, each recording a
measurement, moving a milestone and reading the plan dashboard, again and again, for `seconds`.
The load runs in this process, the server in its own (as `make run` starts it). Figures: requests
and writes per second, p50/p99 of writes and of reads, and every failed request by status and
code (there must be none). `tests/web/test_sqlite_concurrent_writes.py` runs the same load and
checks that every acknowledged write was kept.
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
OPERATIONS = ROOT / "graphql" / "operations"

TARGETS = """
{ collectivity(slug: "ait-melloul") { currentPlan { commitments(first: 100) { edges { node {
  milestones(first: 100) { edges { node { id } } }
  indicators(first: 100) { edges { node { id } } } } } } } } }
"""


def _operation(name: str) -> str:
    return (OPERATIONS / f"{name}.graphql").read_text()


@dataclass
class Load:
    """What the clients sent, how long each answer took, and what the server acknowledged."""

    token: str
    failures: Counter[str] = field(default_factory=Counter)
    first_failures: list[str] = field(default_factory=list)
    write_ms: list[float] = field(default_factory=list)
    read_ms: list[float] = field(default_factory=list)
    measurements: dict[str, set[str]] = field(default_factory=dict)  # indicator id -> acknowledged ids
    milestones: dict[str, str] = field(default_factory=dict)  # milestone id -> last acknowledged status

    async def send(
        self, http: httpx.AsyncClient, query: str, variables: dict[str, Any], *, write: bool = False
    ) -> dict[str, Any] | None:
        """The answer's data, or None (counted as a failure) for an error or a status other than 200."""
        started = time.perf_counter()
        response = await http.post(
            "/graphql", json={"query": query, "variables": variables}, headers={"Authorization": f"Bearer {self.token}"}
        )
        (self.write_ms if write else self.read_ms).append((time.perf_counter() - started) * 1000)
        json = response.headers.get("content-type", "").startswith("application/json")
        body: dict[str, Any] = response.json() if json else {}
        if response.status_code != 200 or "errors" in body:
            codes = {error.get("extensions", {}).get("code") for error in body.get("errors", [])}
            self.failures[f"{response.status_code} {','.join(sorted(map(str, codes)))}"] += 1
            if len(self.first_failures) < 3:
                self.first_failures.append(response.text[:300])
            return None
        data: dict[str, Any] = body["data"]
        return data

    @property
    def requests(self) -> int:
        return len(self.write_ms) + len(self.read_ms)


async def _client(load: Load, http: httpx.AsyncClient, milestone: str, indicator: str, until: float) -> None:
    """Records a measurement, moves its milestone, reads the dashboard; again until time is up."""
    statuses = itertools.cycle(["COMPLETED", "IN_PROGRESS"])
    values = itertools.count(1)
    while time.monotonic() < until:
        measured = {"indicatorId": indicator, "value": float(next(values)), "observedAt": "2025-06-01T10:00:00Z"}
        data = await load.send(http, _operation("RecordMeasurement"), {"input": measured}, write=True)
        if data is not None:
            load.measurements.setdefault(indicator, set()).add(data["recordMeasurement"]["measurement"]["id"])
        status = next(statuses)
        change = {"id": milestone, "status": status}
        if status == "COMPLETED":
            change["completedOn"] = "2025-06-01"
        if await load.send(http, _operation("UpdateMilestone"), {"input": change}, write=True) is not None:
            load.milestones[milestone] = status
        await load.send(http, _operation("PlanDashboard"), {"slug": "ait-melloul", "lang": "fr"})


async def mixed_load(http: httpx.AsyncClient, load: Load, *, clients: int, seconds: float) -> None:
    """`clients` concurrent people on the demo plan, each with a milestone of their own (so its last
    acknowledged status is known)."""
    targets = await load.send(http, TARGETS, {})
    if targets is None:
        raise RuntimeError(f"the demo plan could not be read: {load.first_failures}")
    load.read_ms.clear()
    commitments = targets["collectivity"]["currentPlan"]["commitments"]["edges"]
    milestones = [m["node"]["id"] for c in commitments for m in c["node"]["milestones"]["edges"]]
    indicators = [i["node"]["id"] for c in commitments for i in c["node"]["indicators"]["edges"]]
    if len(milestones) < clients:
        raise RuntimeError(f"the demo plan has {len(milestones)} milestones for {clients} clients")
    until = time.monotonic() + seconds
    async with asyncio.TaskGroup() as tasks:
        for n in range(clients):
            tasks.create_task(_client(load, http, milestones[n], indicators[n % len(indicators)], until))


def _percentile(values: list[float], share: float) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def figures(load: Load, seconds: float, clients: int) -> dict[str, Any]:
    return {
        "clients": clients,
        "seconds": seconds,
        "requests": load.requests,
        "requests_per_second": round(load.requests / seconds, 1),
        "writes_per_second": round(len(load.write_ms) / seconds, 1),
        "write_p50_ms": round(_percentile(load.write_ms, 0.50), 1),
        "write_p99_ms": round(_percentile(load.write_ms, 0.99), 1),
        "read_p50_ms": round(_percentile(load.read_ms, 0.50), 1),
        "read_p99_ms": round(_percentile(load.read_ms, 0.99), 1),
        "failures": dict(load.failures),
        "first_failures": load.first_failures,
    }


def run(*, clients: int = 16, seconds: float = 20.0) -> dict[str, Any]:
    from bench.run import BIN, _tracker_command, start_tracker

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'tracker.db'}"
        _tracker_command(url, "seed-demo")
        token = _tracker_command(
            url, "token", "create", "--role", "EDITOR", "--collectivity", "ait-melloul", "--name", "bench"
        )
        server = start_tracker("embedded", url)
        try:
            load = Load(token.strip().splitlines()[-1])
            base = server.url.removesuffix("/graphql")

            async def main() -> None:
                limits = httpx.Limits(max_connections=clients)
                async with httpx.AsyncClient(base_url=base, timeout=60.0, limits=limits) as http:
                    await mixed_load(http, load, clients=clients, seconds=seconds)

            asyncio.run(main())
            result = figures(load, seconds, clients)
            result["server_rss_mb"] = round(server.peak_rss_mb(), 1)
            result["server"] = str(BIN / "tracker") + " serve (SQLite, scheduler on)"
        finally:
            server.stop()
    return result


def table(result: dict[str, Any]) -> str:
    failed = sum(result["failures"].values())
    return (
        f"embedded SQLite, {result['clients']} clients: {result['requests_per_second']:.0f} requests/s"
        f" ({result['writes_per_second']:.0f} writes/s), writes p50 {result['write_p50_ms']:.0f} ms"
        f" p99 {result['write_p99_ms']:.0f} ms, reads p50 {result['read_p50_ms']:.0f} ms"
        f" p99 {result['read_p99_ms']:.0f} ms, {failed} failed of {result['requests']}"
        + (f" {result['failures']}" if failed else "")
    )


if __name__ == "__main__":
    import json
    import sys

    report = run()
    sys.stdout.write(table(report) + "\n" + json.dumps(report, indent=2) + "\n")
