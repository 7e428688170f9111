"""Subscription messages meet the body's size and depth limits; past them the socket is closed.

Before, a message nested 5,000 deep crashed the connection's task with a RecursionError, and
uvicorn took messages up to 16 MiB.
"""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets

from tests.support.loopback import serve
from tracker.app import create_app
from tracker.db import Database
from tracker.settings import Settings

SUBSCRIPTION = 'subscription { events(filter: {types: ["milestone.completed"]}) { type } }'


async def _close_code_after(settings: Settings, message: str) -> int:
    with serve(create_app(settings), lifespan="on") as base_url:
        url = base_url.replace("http://", "ws://") + "/graphql"
        protocols = [websockets.Subprotocol("graphql-transport-ws")]
        async with websockets.connect(url, subprotocols=protocols, max_size=None) as socket:
            await socket.send(json.dumps({"type": "connection_init", "payload": {}}))
            assert json.loads(await socket.recv())["type"] == "connection_ack"
            await socket.send(message)
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(socket.recv(), timeout=10)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


async def test_a_subscription_message_nested_too_deep_closes_the_socket(settings: Settings, db: Database) -> None:
    variables = "[" * 5000 + "]" * 5000
    payload = '{"query": ' + json.dumps(SUBSCRIPTION) + ', "variables": {"a": ' + variables + "}}"
    message = '{"id": "1", "type": "subscribe", "payload": ' + payload + "}"
    assert await _close_code_after(settings, message) == 4400


async def test_a_subscription_message_over_the_body_limit_closes_the_socket(settings: Settings, db: Database) -> None:
    payload = {"query": SUBSCRIPTION, "variables": {"a": "x" * 2_000_000}}
    message = json.dumps({"id": "1", "type": "subscribe", "payload": payload})
    assert await _close_code_after(settings, message) == 1009
