"""Webhook receivers on loopback: one that answers as told and keeps what it received, and hostile
ones that never answer or answer a byte at a time."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
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
    at: float = field(default_factory=time.time)  # wall clock, to compare with commit times


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


ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"


@dataclass
class Hostile:
    url: str = ""
    requests: int = 0  # requests read in full (each then stalled)


@contextmanager
def hostile_receiver(*, trickle_every: float | None = None) -> Iterator[Hostile]:
    """A receiver that reads each request whole and then never answers, or, given `trickle_every`,
    answers `200 ok` one byte every that many seconds. Raw sockets on an event loop of its own, so
    that it never waits for a client to hang up before it stops."""
    hook = Hostile()
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    stopping: asyncio.Event | None = None

    async def stall(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                (
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                ),
                0,
            )
            await reader.readexactly(length)
            hook.requests += 1
            if trickle_every is None:
                await reader.read()  # until the client gives up
            else:
                for index in range(len(ANSWER)):
                    writer.write(ANSWER[index : index + 1])
                    await writer.drain()
                    await asyncio.sleep(trickle_every)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        except asyncio.CancelledError:
            # The receiver stops: ending quietly spares asyncio's complaint about a cancelled handler.
            pass
        finally:
            writer.close()

    async def main() -> None:
        nonlocal stopping
        stopping = asyncio.Event()
        server = await asyncio.start_server(stall, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        hook.url = f"http://127.0.0.1:{port}/hook"
        ready.set()
        await stopping.wait()
        server.close()
        for task in asyncio.all_tasks() - {asyncio.current_task()}:
            task.cancel()
        with suppress(Exception):
            await asyncio.gather(*(asyncio.all_tasks() - {asyncio.current_task()}), return_exceptions=True)

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    if not ready.wait(10):
        raise RuntimeError("hostile receiver did not start")
    try:
        yield hook
    finally:
        assert stopping is not None
        loop.call_soon_threadsafe(stopping.set)
        thread.join(timeout=10)
        loop.close()
