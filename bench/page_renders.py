"""Each page of bench/pages.py rendered in process, one after another: the median wall and CPU
time of a render (and the fastest), which a busy machine disturbs less than wrk's latencies.

    python -m bench.page_renders postgresql+psycopg://postgres@127.0.0.1:5432/bench_1590 [repeats]

The application runs with its read cache off and no scheduler; requests go through httpx's ASGI
transport (no socket), so a figure is the page's own work: its statements, their JSON, the
template.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from typing import Any

import httpx
import psycopg

from bench import pages
from bench.peer import peer


async def renders(url: str, repeats: int) -> dict[str, dict[str, float]]:
    from tracker.app import create_app
    from tracker.settings import Settings

    with psycopg.connect(peer.libpq_url(url)) as connection:
        subject = pages.pick(connection)
    settings = Settings(database_url=url, read_cache_seconds=0, scheduler_enabled=False)
    app = create_app(settings)
    figures: dict[str, dict[str, float]] = {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tracker.bench") as client:
            for name, address in pages.addresses("", subject).items():
                walls, cpus = [], []
                for index in range(repeats + 3):
                    wall, cpu = time.perf_counter(), time.process_time()
                    response = await client.get(address)
                    if response.status_code != 200:
                        raise RuntimeError(f"{name} answered {response.status_code}: {response.text[:300]}")
                    if index >= 3:  # the first renders plan and compile: not counted
                        walls.append(time.perf_counter() - wall)
                        cpus.append(time.process_time() - cpu)
                figures[name] = {
                    "wall_ms": round(statistics.median(walls) * 1000, 1),
                    "cpu_ms": round(statistics.median(cpus) * 1000, 1),
                    # The least disturbed render: on a loaded machine, closer to the page's own cost.
                    "fastest_ms": round(min(walls) * 1000, 1),
                }
    return figures


def main(argv: list[str]) -> int:
    url = argv[0]
    repeats = int(argv[1]) if len(argv) > 1 else 20
    found: dict[str, Any] = asyncio.run(renders(url, repeats))
    for name, figures in found.items():
        sys.stdout.write(
            f"{name:<24} wall {figures['wall_ms']:>7.1f} ms (fastest {figures['fastest_ms']:>6.1f})"
            f"   CPU {figures['cpu_ms']:>6.1f} ms\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
