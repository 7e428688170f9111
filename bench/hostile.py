"""Hostile documents: how long the tracker takes to refuse each, through its real ASGI application.

Each document is posted anonymously to an in-process application on a temporary SQLite database
(the refusals happen before any query reaches it), `rounds` times; the figures are the median CPU
and wall milliseconds per request, and the error code answered. A refusal must cost milliseconds
whatever the document says: `fragment chain 2^n` is n+1 fragments each spreading the previous
one twice (842 bytes at n = 20), which the former limiters walked 2^n times.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from tracker import migrate
from tracker.app import create_app
from tracker.settings import Settings


def fragment_chain(links: int) -> str:
    fragments = ["fragment F0 on Query { network { collectivityCount } }"]
    fragments += [f"fragment F{n} on Query {{ ...F{n - 1} ...F{n - 1} }}" for n in range(1, links + 1)]
    return f"query Chain {{ ...F{links} }}\n" + "\n".join(fragments)


def documents(settings: Settings) -> dict[str, str]:
    pages = "{ collectivities(first: 100) { nodes { plans(first: 100) { nodes { commitments { nodes { id } } } } } } }"
    return {
        "fragment chain 2^20": fragment_chain(20),
        "fragment chain 2^30": fragment_chain(30),
        "fragment chain 2^200": fragment_chain(200),
        "nested pages (cost 10^6)": pages,
        "400 fields under one name": "{" + " network { planCount }" * 400 + "}",
        "30 aliases of nested pages": "{" + " ".join(f"a{n}: " + pages[1:-1] for n in range(30)) + "}",
        "document at the byte limit": "#" + "x" * (settings.max_document_bytes - 40) + "\n{ network { planCount } }",
        "document over the byte limit": "#" + "x" * settings.max_document_bytes + "\n{ network { planCount } }",
    }


async def _measure(rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'hostile.db'}"
        migrate.upgrade(url)
        settings = Settings(database_url=url, scheduler_enabled=False, read_cache_seconds=0)
        app = create_app(settings)
        results: dict[str, Any] = {}
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client,
        ):
            for name, document in documents(settings).items():
                cpu, wall, codes = [], [], set()
                for _ in range(rounds):
                    started_cpu, started = time.process_time(), time.perf_counter()
                    response = await client.post("/graphql", json={"query": document})
                    cpu.append((time.process_time() - started_cpu) * 1000)
                    wall.append((time.perf_counter() - started) * 1000)
                    body = response.json()
                    codes.add(
                        ",".join(error.get("extensions", {}).get("code", "?") for error in body.get("errors", []))
                        or f"HTTP {response.status_code}, no error"
                    )
                results[name] = {
                    "bytes": len(document.encode()),
                    "cpu_ms_median": round(statistics.median(cpu), 2),
                    "wall_ms_median": round(statistics.median(wall), 2),
                    "wall_ms_max": round(max(wall), 2),
                    "answered": sorted(codes),
                }
        return results


def run(rounds: int = 20) -> dict[str, Any]:
    return asyncio.run(_measure(rounds))


def table(results: dict[str, Any]) -> str:
    lines = [f"{'hostile document':<30} {'bytes':>8} {'CPU ms':>8} {'wall ms':>8} {'max ms':>8}  answered"]
    for name, figures in results.items():
        lines.append(
            f"{name:<30} {figures['bytes']:>8} {figures['cpu_ms_median']:>8.2f} {figures['wall_ms_median']:>8.2f}"
            f" {figures['wall_ms_max']:>8.2f}  {', '.join(figures['answered'])}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    sys.stdout.write(table(run()) + "\n")
