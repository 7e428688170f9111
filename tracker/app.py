"""The ASGI application: GraphQL, probes; the scheduler and dispatcher start in its lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UNSET, UnsetType

from tracker.api.core.context import Context
from tracker.api.core.persisted import PersistedOperations
from tracker.api.schema import build_schema
from tracker.db import Database
from tracker.errors import Unauthenticated
from tracker.events.pubsub import Hub
from tracker.i18n import parse_accept_language
from tracker.jobs.scheduler import Scheduler
from tracker.jobs.sources import SourceRunner
from tracker.memory import freeze_startup_objects
from tracker.services.tokens import Tokens
from tracker.settings import Settings, get_settings
from tracker.web.auth import BearerTokens, principal_of, refuse
from tracker.web.cached_reads import CachedReads
from tracker.web.calendars import calendar
from tracker.web.feeds import feed
from tracker.web.graphql_http import GraphQLOverHTTP
from tracker.web.graphql_view import GraphQLView
from tracker.web.health import healthz, readyz
from tracker.web.idempotency import Idempotency, transaction_of
from tracker.web.json_errors import http_error
from tracker.web.limits import RequestLimits
from tracker.web.pages.collectivity import collectivity_page
from tracker.web.pages.commitment import commitment_page
from tracker.web.pages.embeds import collectivity_embed, commitment_embed
from tracker.web.pages.network import network_page
from tracker.web.pages.oembed import oembed
from tracker.web.pages.people import account_page, invitation_page, sign_in_page, sign_out
from tracker.web.pages.plan import plan_page
from tracker.web.persisted_http import PersistedReads
from tracker.web.rate_limits import AttemptLimits, CounterStorage, rate_limit_middleware
from tracker.web.read_cache import ReadCache
from tracker.web.request_ids import add_request_ids
from tracker.web.security_headers import SecurityHeaders
from tracker.web.sessions import SessionPeople, session_middleware


class TrackerGraphQL(GraphQLView):
    def __init__(
        self,
        db: Database,
        settings: Settings,
        hub: Hub,
        *,
        tokens: Tokens,
        after_commit: Callable[[], None] | None = None,
        after_events: Callable[[], None] | None = None,
        source_runner: SourceRunner | None = None,
    ) -> None:
        schema = build_schema(settings)
        super().__init__(schema, graphql_ide="graphiql", keep_alive=True, keep_alive_interval=20)
        self.graphql_schema = schema._schema
        self.ready_reads = schema.ready_reads
        self.db = db
        self.settings = settings
        self.hub = hub
        self.tokens = tokens
        self.after_commit = after_commit
        self.after_events = after_events
        self.source_runner = source_runner

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        return Context(
            db=self.db,
            settings=self.settings,
            principal=principal_of(request),
            accept_languages=parse_accept_language(request.headers.get("accept-language")),
            hub=self.hub,
            after_commit=self.after_commit,
            after_events=self.after_events,
            source_runner=self.source_runner,
            transaction=transaction_of(request),
            answer_as_json=isinstance(request, Request),
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Browsers cannot set headers on a WebSocket: the token may come in connection_init."""
        params = context.connection_params or {}
        raw = params.get("Authorization") or params.get("authorization") or params.get("token")
        if isinstance(raw, str) and raw.strip():
            token = raw.split(" ", 1)[1] if raw.lower().startswith("bearer ") else raw
            try:
                context.principal = await self.tokens.principal(token)
            except Unauthenticated:
                raise ConnectionRejectionError({"message": "invalid, expired or revoked token"}) from None
        acknowledged: UnsetType = UNSET
        return acknowledged

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)


def create_app(
    settings: Settings | None = None, *, db: Database | None = None, freeze_after_start: bool = False
) -> Starlette:
    """`freeze_after_start`: for a server process (`tracker serve`), leave the objects made at
    start out of later garbage collections (tracker/memory.py); not for tests, which start many
    applications in one process."""
    settings = settings or get_settings()
    database = db or Database(settings.database_url, lock_timeout=settings.database_lock_timeout_seconds)

    hub = Hub(database, poll_interval=settings.live_poll_seconds)
    scheduler = Scheduler(database, settings, hub=hub)
    tokens = Tokens(database, seconds=settings.token_cache_seconds)
    graphql = TrackerGraphQL(
        database,
        settings,
        hub,
        tokens=tokens,
        after_commit=scheduler.wake,
        after_events=scheduler.wake_dispatch,
        source_runner=scheduler.sources,
    )

    persisted = PersistedReads(
        GraphQLOverHTTP(graphql),
        db=database,
        operations=PersistedOperations.load(graphql.graphql_schema),
        cache=ReadCache(max_bytes=settings.read_cache_megabytes * 1024 * 1024, ttl_seconds=settings.read_cache_seconds),
        settings=settings,
        ready=graphql.ready_reads,
        max_tokens=settings.max_tokens,
        max_document_bytes=settings.max_document_bytes,
    )

    rate_limit_counters = CounterStorage.configured(settings, database)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        if rate_limit_counters is not None:
            rate_limit_counters.open()
        await hub.start()
        if settings.scheduler_enabled:
            await scheduler.start()
        if freeze_after_start:
            freeze_startup_objects()
        try:
            yield {}
        finally:
            await scheduler.shutdown()
            await hub.stop()
            if rate_limit_counters is not None:
                await rate_limit_counters.close()
            if db is None:
                await database.dispose()

    app = Starlette(
        routes=[
            Route("/graphql", persisted, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/", network_page),
            Route("/c/{slug}", collectivity_page),
            Route("/c/{slug}/plans/{plan_id}", plan_page),
            Route("/commitments/{commitment_id}", commitment_page),
            Route("/embed/commitments/{commitment_id}", commitment_embed),
            Route("/embed/c/{slug}", collectivity_embed),
            Route("/oembed", oembed),
            Route("/sign-in", sign_in_page, methods=["GET", "POST"]),
            Route("/sign-out", sign_out, methods=["POST"]),
            Route("/invitations/{token}", invitation_page, methods=["GET", "POST"]),
            Route("/account", account_page),
            Route("/feeds/{slug}.atom", feed),
            Route("/feeds/{slug}/{plan}.atom", feed),
            Route("/feeds/{slug}.ics", calendar),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            # The pages' own scripts and files: no other host serves them anything.
            Mount("/static", StaticFiles(directory=Path(__file__).parent / "web" / "static"), name="static"),
        ],
        lifespan=lifespan,
        exception_handlers={HTTPException: http_error},  # the HTTP edge: refusals as JSON errors
        middleware=[
            # The HTTP edge, outermost so that every route, the cached reads and authentication
            # included, answers with these headers and sees only requests within the limits;
            # rate limits before the body is read, so that a flood costs no reading.
            Middleware(SecurityHeaders),
            *rate_limit_middleware(settings, rate_limit_counters),
            Middleware(RequestLimits, max_body_bytes=settings.max_body_bytes),
            # End of the HTTP edge.
            Middleware(CachedReads, reads=persisted),
            # People's sessions (a signed cookie), read by authentication on the pages.
            session_middleware(settings),
            Middleware(
                AuthenticationMiddleware, backend=BearerTokens(tokens, SessionPeople(database)), on_error=refuse
            ),
            # Idempotency-Key (issue 12): after authentication, which decides whose key it is.
            Middleware(
                Idempotency,
                db=database,
                operations=persisted.operations,
                keep=timedelta(hours=settings.idempotency_key_hours),
            ),
        ],
    )
    # Request ids: add_middleware puts this one in front of those above, outermost.
    add_request_ids(app)

    app.state.db = database
    app.state.settings = settings
    app.state.schema = graphql.schema
    app.state.persisted = persisted
    app.state.sign_in_limits = AttemptLimits(
        rate_limit_counters, database, limits=settings.rate_limit_sign_in, name="sign-in"
    )
    return app
