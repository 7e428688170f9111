"""GraphQL subscriptions (graphql-transport-ws on /graphql): events as they are dispatched,
and a plan's progress as it moves."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import datetime

import strawberry
from sqlmodel import select
from strawberry.extensions import SchemaExtension
from strawberry.types import StreamExecutionResult

from tracker import models
from tracker.access import can_read_plan, readable_events
from tracker.api.core.context import Context, Info
from tracker.api.core.errors import classify
from tracker.api.core.relay import decode_id
from tracker.api.events import Event, EventFilter
from tracker.api.plans import plan_progress
from tracker.errors import BadInput, NotFound, TrackerError
from tracker.events.pubsub import Hub
from tracker.services.webhooks import type_matches


class StreamErrorCodes(SchemaExtension):
    """Each result a subscription streams leaves with `extensions.code`, as a query's does.

    `ErrorCodes` classifies when the operation ends, which for a subscription is after its
    results (and its errors) were sent: here each one is classified on its way out.
    """

    def on_stream_result(self, result: StreamExecutionResult) -> Iterator[None]:
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = [classify(error) for error in errors]  # type: ignore[union-attr]
        yield


def _hub(context: Context) -> Hub:
    if context.hub is None:
        raise TrackerError("live events are not available in this process")
    return context.hub


async def _readable(context: Context, event: models.OutboxEvent) -> bool:
    """The `events` query's rule, asked of the database for this one event (its plan may have
    gone back to draft since). A short read of its own: the subscription's session would keep
    one snapshot for as long as the socket lives."""
    query = select(models.OutboxEvent.seq).where(
        models.OutboxEvent.seq == event.seq, readable_events(context.principal)
    )
    async with context.db.reader() as session:
        return (await session.exec(query)).first() is not None


@asynccontextmanager
async def _closing(context: Context) -> AsyncIterator[None]:
    """A subscription lives as long as its socket: its read session must end with it."""
    try:
        yield
    finally:
        await context.close()


@strawberry.type(description="A plan's progress after a change that may have moved it.")
class PlanProgressUpdate:
    plan_id: strawberry.ID = strawberry.field(description="The plan.")
    progress: float = strawberry.field(
        description="Its progress now, 0 to 100, to one decimal place (see the progress rule)."
    )
    at: datetime = strawberry.field(description="When the change that moved it was committed.")
    cause: str | None = strawberry.field(description="The event type behind the update (none for the first).")


async def _collectivity_id(context: Context, slug: str) -> uuid.UUID:
    async with context.reading() as session:
        place = (await session.exec(select(models.Collectivity.id).where(models.Collectivity.slug == slug))).first()
    if place is None:
        raise NotFound(f"no collectivity {slug!r}", field="collectivitySlug")
    return place


@strawberry.type(description="Live updates over graphql-transport-ws on /graphql.")
class Subscription:
    @strawberry.subscription(description="Events as they are dispatched (public ones, or your collectivity's).")
    async def events(self, info: Info, filter: EventFilter | None = None) -> AsyncGenerator[Event, None]:
        context = info.context
        async with _closing(context):
            hub = _hub(context)
            slug = filter.collectivity_slug if filter else None
            place = await _collectivity_id(context, slug) if slug else None
            subject = decode_id(str(filter.subject_id), field="subjectId")[1] if filter and filter.subject_id else None
            patterns = list(filter.types or []) if filter else []
            async with hub.subscribe() as queue:
                while (event := await queue.get()) is not None:
                    if not type_matches(patterns, event.type):
                        continue
                    if (place and event.collectivity_id != place) or (subject and event.subject_id != subject):
                        continue
                    if await _readable(context, event):
                        await context.forget_loaded()  # its fields read the records as they are now
                        yield Event.from_row(event)

    @strawberry.subscription(description="A plan's progress now, then again each time a change moves it.")
    async def plan_progress(self, info: Info, plan_id: strawberry.ID) -> AsyncGenerator[PlanProgressUpdate, None]:
        context = info.context
        async with _closing(context):
            hub = _hub(context)
            key = decode_id(str(plan_id), field="planId", expect="ActionPlan")[1]
            plan = await _readable_plan(context, key)
            if plan is None:
                raise BadInput("planId is not a plan you may read", field="planId")
            async with hub.subscribe() as queue:
                last = await plan_progress(context, key)
                yield PlanProgressUpdate(plan_id=plan_id, progress=last, at=plan.updated_at, cause=None)
                while (event := await queue.get()) is not None:
                    if event.plan_id != key:
                        continue
                    await context.forget_loaded()  # read the plan as it is now
                    if await _readable_plan(context, key) is None:
                        continue  # set back to draft (or deleted): nothing to tell who may not read it
                    current = await plan_progress(context, key)
                    if abs(current - last) > 1e-9:
                        last = current
                        yield PlanProgressUpdate(
                            plan_id=plan_id, progress=current, at=event.occurred_at, cause=event.type
                        )


async def _readable_plan(context: Context, key: uuid.UUID) -> models.ActionPlan | None:
    plan = await context.loaders.plan.load(key)
    if plan is None or not can_read_plan(context.principal, status=plan.status, collectivity_id=plan.collectivity_id):
        return None
    return plan
