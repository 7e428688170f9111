"""A web site on loopback that serves what a test says and counts what it was asked."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.support.loopback import serve


@dataclass
class Publisher:
    """A site that serves what the test says and counts the requests per path."""

    pages: dict[str, tuple[int, str, str]] = field(default_factory=dict)  # path -> (status, type, body)
    hits: Counter[str] = field(default_factory=Counter)
    headers: list[dict[str, str]] = field(default_factory=list)  # of each request, in turn
    url: str = ""

    async def handle(self, request: Request) -> Response:
        path = request.url.path
        self.hits[path] += 1
        self.headers.append(dict(request.headers))
        status, media_type, body = self.pages.get(path, (404, "text/plain", "missing"))
        return Response(body, status_code=status, media_type=media_type)


@contextmanager
def publisher(**pages: tuple[int, str, str]) -> Iterator[Publisher]:
    site = Publisher(pages={f"/{name.replace('_', '/')}": page for name, page in pages.items()})
    with serve(Starlette(routes=[Route("/{path:path}", site.handle)])) as base_url:
        site.url = base_url
        yield site
