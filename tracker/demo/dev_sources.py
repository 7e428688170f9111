"""`tracker dev-sources`: publications on loopback that change while you watch, so a local
tracker shows evidence flowing in (a CKAN portal, a news feed, a statistics API).

Everything here is made up for local use and says so in its content.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

STARTED = time.monotonic()


def _ticks() -> int:
    """One new publication a minute since the server started."""
    return 1 + int((time.monotonic() - STARTED) // 60)


def _moment(index: int) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=_ticks() - index)


async def ckan_search(request: Request) -> Response:
    count = 3 + _ticks()
    datasets = [
        {
            "id": f"dev-dataset-{index}",
            "name": f"ait-melloul-donnees-{index}",
            "title": f"Aït Melloul - jeu de données de démonstration {index}",
            "metadata_created": _moment(index).replace(tzinfo=None).isoformat(),
            "metadata_modified": _moment(index).replace(tzinfo=None).isoformat(),
            "num_resources": 1,
            "resources": [],
        }
        for index in range(count)
    ]
    return JSONResponse({"success": True, "result": {"count": count, "results": datasets}})


async def news(request: Request) -> Response:
    items = "".join(
        f"<item><title>{escape(f'أيت ملول: خبر تجريبي رقم {index} / Aït Melloul : actualité de démonstration {index}')}"
        f"</title><link>http://127.0.0.1/news/{index}</link><guid>dev-news-{index}</guid>"
        f"<pubDate>{format_datetime(_moment(index))}</pubDate></item>"
        for index in range(_ticks())
    )
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        "<title>Aït Melloul (démonstration)</title><link>http://127.0.0.1/</link>"
        f"<description>Flux de démonstration</description>{items}</channel></rss>"
    )
    return Response(body, media_type="application/rss+xml")


async def stats(request: Request) -> Response:
    median = max(5, 14 - _ticks())
    return JSONResponse({"accessRequests": {"medianDaysToAnswer": median, "note": "demonstration figures"}})


app = Starlette(
    routes=[
        Route("/api/3/action/package_search", ckan_search),
        Route("/news.xml", news),
        Route("/stats.json", stats),
    ]
)
