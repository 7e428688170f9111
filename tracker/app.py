"""The ASGI application: GraphQL, probes; the scheduler and dispatcher start in its lifespan."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from tracker.access import ANONYMOUS, Principal, Role
from tracker.api.context import Context
from tracker.api.schema import build_schema
from tracker.db import Database
from tracker.events.dispatcher import Dispatcher
from tracker.i18n import parse_accept_language
from tracker.jobs.scheduler import Scheduler
from tracker.settings import Settings, get_settings
from tracker.web.graphql_http import GraphQLOverHTTP
from tracker.web.health import healthz, readyz


def principal_from(settings: Settings, authorization: str | None) -> Principal:
    if not authorization:
        return ANONYMOUS
    scheme, _, token = authorization.partition(" ")
    expected = settings.admin_token.get_secret_value() if settings.admin_token else None
    if scheme.lower() == "bearer" and expected and hmac.compare_digest(token.strip().encode(), expected.encode()):
        return Principal(role=Role.ADMIN, name="admin-token")
    return ANONYMOUS


class TrackerGraphQL(GraphQL[Context, None]):
    def __init__(self, db: Database, settings: Settings) -> None:
        super().__init__(build_schema(settings), graphql_ide="graphiql")
        self.db = db
        self.settings = settings

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        return Context(
            db=self.db,
            settings=self.settings,
            principal=principal_from(self.settings, request.headers.get("authorization")),
            accept_languages=parse_accept_language(request.headers.get("accept-language")),
        )

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)


def create_app(settings: Settings | None = None, *, db: Database | None = None) -> Starlette:
    settings = settings or get_settings()
    database = db or Database(settings.database_url)
    dispatcher = Dispatcher(database)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        scheduler = Scheduler(database, settings, dispatcher)
        if settings.scheduler_enabled:
            await scheduler.start()
        try:
            yield {}
        finally:
            await scheduler.shutdown()
            if db is None:
                await database.dispose()

    graphql = TrackerGraphQL(database, settings)
    app = Starlette(
        routes=[
            Route("/graphql", GraphQLOverHTTP(graphql), methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
        ],
        lifespan=lifespan,
    )
    app.state.db = database
    app.state.settings = settings
    app.state.dispatcher = dispatcher
    return app
