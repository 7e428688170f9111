"""The loopback peer of `bench.throughput`, run in its own process so it never shares the
measured process's CPU.

One raw ASGI application (no framework: the peer must not be the bottleneck) bound to one port
on several loopback addresses:

- `POST` anything: a webhook receiver; reads the body, answers 204, counts it;
- `GET /stats`: what it has seen so far, as JSON;
- `GET` anything else: a small statistics document, as a JSON API publishes it, listing three
  publications whose URLs derive from the path asked for. Under `/measurements/` its figure is the
  number of documents served so far, so every answer differs from the last (a figure that moves);
  elsewhere the document is the same at every request (a listing that does not).

Run as `python -m bench.throughput_server 127.0.0.1 127.0.0.2 ...`; it prints `READY <port>`
once every socket listens, and stops on SIGTERM.
"""

from __future__ import annotations

import socket
import sys
import time
from dataclasses import dataclass
from typing import Any

import orjson
import uvicorn

Scope = dict[str, Any]
Message = dict[str, Any]

PUBLICATIONS = 3
STATISTICS = {
    "value": 42,
    "unit": "requests",
    "period": {"start": "2025-01-01", "end": "2025-11-30"},
    "breakdown": [{"month": f"2025-{month:02d}", "value": month * 3} for month in range(1, 12)],
}


def document(path: str, served: int) -> bytes:
    """A JSON API's answer: figures, and the publications listed at this address (URLs of its own)."""
    base = path.rsplit(".", 1)[0]
    figures = {**STATISTICS, "value": served} if path.startswith("/measurements/") else STATISTICS
    return orjson.dumps(
        {
            "source": "loopback statistics (benchmark)",
            "updated": "2025-11-30T08:00:00Z",
            "data": figures,
            "publications": [
                {"url": f"{base}/decision-{number}.pdf", "title": {"fr": f"Décision {number}", "ar": f"قرار {number}"}}
                for number in range(1, PUBLICATIONS + 1)
            ],
        }
    )


@dataclass
class Counters:
    received: int = 0
    received_bytes: int = 0
    served: int = 0
    last_received_at: float = 0.0

    def as_json(self) -> bytes:
        return orjson.dumps(self.__dict__)


class Peer:
    def __init__(self) -> None:
        self.counters = Counters()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        if scope["method"] == "POST":
            size = await _drain(receive)
            self.counters.received += 1
            self.counters.received_bytes += size
            self.counters.last_received_at = time.time()
            await _answer(send, 204, b"", b"text/plain")
        elif scope["path"] == "/stats":
            await _answer(send, 200, self.counters.as_json(), b"application/json")
        else:
            self.counters.served += 1
            await _answer(send, 200, document(scope["path"], self.counters.served), b"application/json")


async def _drain(receive: Any) -> int:
    size = 0
    while True:
        message: Message = await receive()
        size += len(message.get("body", b""))
        if not message.get("more_body", False):
            return size


async def _answer(send: Any, status: int, body: bytes, content_type: bytes) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def listen(hosts: list[str]) -> tuple[int, list[socket.socket]]:
    """One listening socket per loopback address, all on the same port."""
    for _ in range(20):
        sockets: list[socket.socket] = []
        try:
            port = 0
            for host in hosts:
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sockets.append(sock)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind((host, port))
                sock.listen(4096)
                port = sock.getsockname()[1]
            return port, sockets
        except OSError:
            for sock in sockets:
                sock.close()
    raise RuntimeError(f"no port free on all of {hosts}")


def main() -> None:
    hosts = sys.argv[1:] or ["127.0.0.1"]
    if not all(host.startswith("127.") for host in hosts):
        raise SystemExit("loopback addresses only")
    port, sockets = listen(hosts)
    config = uvicorn.Config(
        Peer(), loop="uvloop", http="httptools", lifespan="off", log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    sys.stdout.write(f"READY {port}\n")
    sys.stdout.flush()
    server.run(sockets=sockets)


if __name__ == "__main__":
    main()
