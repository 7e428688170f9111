"""`tracker dev-sources`: publications on loopback that change while you watch, so a local
tracker shows evidence flowing in (a CKAN portal, a news feed, a statistics API).

They start from the demo plan's own latest figures (the datasets on the portal, the median days
to answer an information request), so the first reading changes nothing, and then move a little
every `PERIOD`: one more dataset, one more news item, and every other period one day less to
answer. `PERIOD` is the shortest schedule a source may have, which `attach_dev_sources` uses, so
each reading sees one step. Everything here is made up for local use and says so in its content.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tracker import plan_files
from tracker.services.sources import MIN_INTERVAL

# How often the publications change: the banner, `tracker dev-sources --help` and the sources'
# schedule say it from here; the Makefile and the README say it in words (a test compares).
PERIOD: timedelta = MIN_INTERVAL
PERIOD_MINUTES = int(PERIOD.total_seconds() // 60)
SCHEDULE = f"PT{PERIOD_MINUTES}M"
# The median answering time gets better down to this many days, then holds.
FASTEST_ANSWER_DAYS = 5

DATASETS_REFERENCE = "AM-3"  # its first indicator counts the datasets on the national portal
ANSWERS_REFERENCE = "AM-1"  # its first indicator is the median time to answer a request

STARTED = time.monotonic()
STARTED_AT = datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class Figures:
    datasets: int
    median_days: float


@functools.cache
def demo_figures() -> Figures:
    """The latest values of the demo plan's indicators the publications stand for."""
    from tracker.demo import AIT_MELLOUL

    commitments = {item.reference: item for item in plan_files.read(AIT_MELLOUL).plan.commitments}

    def latest(reference: str) -> float:
        measurements = commitments[reference].indicators[0].measurements
        return max(measurements, key=lambda measurement: measurement.observed_at).value

    return Figures(datasets=int(latest(DATASETS_REFERENCE)), median_days=latest(ANSWERS_REFERENCE))


def ticks() -> int:
    """Whole periods since the server started: 0 at first, so the first reading is the demo's."""
    return int((time.monotonic() - STARTED) // PERIOD.total_seconds())


def figures(step: int) -> Figures:
    """What the publications say after `step` periods."""
    start = demo_figures()
    fastest = min(start.median_days, FASTEST_ANSWER_DAYS)
    return Figures(datasets=start.datasets + step, median_days=max(fastest, start.median_days - step // 2))


def _created(index: int, existing: int) -> datetime:
    """The demo's datasets a day apart before the start; then one each period after it."""
    if index < existing:
        return STARTED_AT - timedelta(days=existing - index)
    return STARTED_AT + PERIOD * (index - existing)


def _int(value: str | None, default: int, *, high: int) -> int:
    return min(int(value), high) if value is not None and value.isdigit() else default


async def ckan_search(request: Request) -> Response:
    step = ticks()
    existing, count = demo_figures().datasets, figures(step).datasets
    datasets = [
        {
            "id": f"dev-dataset-{index}",
            "name": f"ait-melloul-donnees-{index}",
            "title": f"Aït Melloul - jeu de données de démonstration {index}",
            "metadata_created": _created(index, existing).replace(tzinfo=None).isoformat(),
            "metadata_modified": _created(index, existing).replace(tzinfo=None).isoformat(),
            "num_resources": 1,
            "resources": [],
        }
        for index in reversed(range(count))  # newest first, as the sources ask
    ]
    # Paged as CKAN pages (`start`, `rows`), so a search reads what a real portal would send.
    start = _int(request.query_params.get("start"), 0, high=count)
    rows = _int(request.query_params.get("rows"), 10, high=1000)
    return JSONResponse({"success": True, "result": {"count": count, "results": datasets[start : start + rows]}})


async def news(request: Request) -> Response:
    step = ticks()
    items = "".join(
        f"<item><title>{escape(f'أيت ملول: خبر تجريبي رقم {index} / Aït Melloul : actualité de démonstration {index}')}"
        f"</title><link>http://127.0.0.1/news/{index}</link><guid>dev-news-{index}</guid>"
        f"<pubDate>{format_datetime(STARTED_AT + PERIOD * index)}</pubDate></item>"
        for index in range(step + 1)
    )
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        "<title>Aït Melloul (démonstration)</title><link>http://127.0.0.1/</link>"
        f"<description>Flux de démonstration</description>{items}</channel></rss>"
    )
    return Response(body, media_type="application/rss+xml")


async def stats(request: Request) -> Response:
    median = figures(ticks()).median_days
    return JSONResponse({"accessRequests": {"medianDaysToAnswer": median, "note": "demonstration figures"}})


def banner() -> str:
    """What `tracker dev-sources` says about the publications when it starts."""
    start = demo_figures()
    return (
        f"The publications start from the demo's figures ({start.datasets} datasets, "
        f"{start.median_days:g} days to answer) and change every {PERIOD_MINUTES} minutes."
    )


app = Starlette(
    routes=[
        Route("/api/3/action/package_search", ckan_search),
        Route("/news.xml", news),
        Route("/stats.json", stats),
    ]
)
