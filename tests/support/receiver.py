"""A webhook receiver on loopback that answers as told and keeps what it received."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.support.loopback import serve


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str = ""
    statuses: list[int] = field(default_factory=list)  # answers in turn; 200 once exhausted
    received: list[Received] = field(default_factory=list)

    async def handle(self, request: Request) -> Response:
        self.received.append(Received(headers=dict(request.headers), body=await request.body()))
        status = self.statuses.pop(0) if self.statuses else 200
        return Response("ok" if status < 300 else "no", status_code=status)


@contextmanager
def receiver(*statuses: int) -> Iterator[Receiver]:
    hook = Receiver(statuses=list(statuses))
    app = Starlette(routes=[Route("/hook", hook.handle, methods=["POST"])])
    with serve(app) as base_url:
        hook.url = f"{base_url}/hook"
        yield hook
