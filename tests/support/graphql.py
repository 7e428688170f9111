"""A GraphQL client over the real ASGI application, and the operations documents."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from tracker.app import create_app
from tracker.db import Database
from tracker.models.enums import Role
from tracker.settings import Settings

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"


def operation(name: str) -> str:
    return (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")


class Client:
    def __init__(self, settings: Settings, db: Database) -> None:
        self.app = create_app(settings, db=db)
        self.admin_token = ""
        self._lifespan: AbstractAsyncContextManager[Any] | None = None
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://tracker.test")

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, *, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        return await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers or {}
        )

    async def execute(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        admin: bool = False,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """The JSON result; the HTTP status is 200 for every GraphQL-level outcome."""
        all_headers = {**(self.bearer(self.admin_token) if admin else {}), **(headers or {})}
        response = await self.post(query, variables, headers=all_headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, variables: dict[str, Any] | None = None, **options: Any) -> dict[str, Any]:
        """The data of a result that must have no errors."""
        body = await self.execute(query, variables, **options)
        assert "errors" not in body, body["errors"]
        result: dict[str, Any] = body["data"]
        return result

    @staticmethod
    def bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    async def start(self) -> None:
        """Run the application's startup, as uvicorn would (its shutdown closes what it opened)."""
        self._lifespan = self.app.router.lifespan_context(self.app)
        await self._lifespan.__aenter__()

    async def close(self) -> None:
        await self.http.aclose()
        if self._lifespan is not None:
            await self._lifespan.__aexit__(None, None, None)


def error_codes(body: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(error["extensions"]["code"], error["extensions"].get("field")) for error in body.get("errors", [])]


@asynccontextmanager
async def admin_client(settings: Settings, db: Database, **update: Any) -> AsyncIterator[Client]:
    """A started client with an ADMIN token (`admin=True`), on the settings changed by `update`."""
    from tests.support.tokens import token_for

    client = Client(settings.model_copy(update=update), db)
    await client.start()
    client.admin_token = await token_for(db, Role.ADMIN)
    try:
        yield client
    finally:
        await client.close()
