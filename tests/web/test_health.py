"""Probes for orchestrators."""

from __future__ import annotations

from tests.support.graphql import Client


async def test_healthz_answers_ok(client: Client) -> None:
    response = await client.http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_ready_on_a_migrated_database(client: Client) -> None:
    response = await client.http.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
