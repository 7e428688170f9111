"""The `events` connection: what happened, newest first, as readers are allowed to see it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy import or_
from sqlmodel import col, select
from strawberry.scalars import JSON

from tracker import models
from tracker.access import readable_events, shown_event_data
from tracker.api.core.context import Info
from tracker.api.core.relay import Connection, Node, PageArgs, connection, decode_id, encode_id, page_of_select
from tracker.ids import decode_key
from tracker.models.enums import Role


@strawberry.type(description="Something that happened, as announced to webhooks, feeds and subscriptions.")
class Event(Node):
    row: strawberry.Private[models.OutboxEvent]
    type: str = strawberry.field(description="Event type, `<entity>.<past verb>` (milestone.completed...).")
    occurred_at: datetime = strawberry.field(description="When the change was committed.")
    happened_at: datetime = strawberry.field(
        description="When the fact itself happened: a completion's date, a measurement's observation, a "
        "publication's date, when loading a plan or the demo recorded it; else when the change was committed."
    )
    announced: bool = strawberry.field(
        description="Whether webhooks, feeds and subscriptions announced it: loading a plan file or the demo "
        "records its creations without announcing them (docs/events.md)."
    )
    sequence: int = strawberry.field(description="Position in the total order of events.")

    @classmethod
    def from_row(cls, row: models.OutboxEvent) -> Event:
        return cls(
            id=strawberry.ID(encode_id("Event", row.id)),
            row=row,
            type=row.type,
            occurred_at=row.occurred_at,
            happened_at=row.happened_at or row.occurred_at,
            announced=row.announced,
            sequence=row.seq or 0,
        )

    @strawberry.field(description="Global ID of what the event is about (it may have been deleted since).")
    def subject_id(self) -> strawberry.ID:
        return strawberry.ID(encode_id(self.row.subject_type, self.row.subject_id))

    @strawberry.field(
        description="Details: before and after values, snapshots, links. Webhook URLs show their host only; "
        "a comment hidden since reads with a null text (except for administrators)."
    )
    async def data(self, info: Info) -> JSON:
        hidden = False
        if self.row.subject_type == "Comment" and "comment" in self.row.data:
            comment = await info.context.loaders.comment.load(self.row.subject_id)
            hidden = comment is None or comment.hidden_at is not None  # gone or hidden: its text is no news
        return JSON(shown_event_data(info.context.principal, self.row, comment_hidden=hidden))

    @strawberry.field(description="Role of whoever caused it (SYSTEM changes show ADMIN).")
    def actor_role(self) -> Role:
        role = self.row.actor.split(":", 1)[0].upper()
        return Role(role) if role in Role.__members__ else Role.ADMIN


@strawberry.input(description="Which events to list; every condition given must hold.")
class EventFilter:
    types: list[str] | None = strawberry.field(default=None, description="Types or patterns (milestone.*).")
    collectivity_slug: str | None = strawberry.field(default=None, description="About this collectivity.")
    plan_id: strawberry.ID | None = strawberry.field(
        default=None, description="About this action plan or anything in it (commitments, milestones, comments...)."
    )
    subject_id: strawberry.ID | None = strawberry.field(default=None, description="About this record.")
    since: datetime | None = strawberry.field(default=None, description="At or after this time.")


def type_condition(patterns: list[str]) -> Any:
    exact = [pattern for pattern in patterns if not pattern.endswith("*")]
    prefixes = [pattern[:-1] for pattern in patterns if pattern.endswith("*") and pattern != "*"]
    if "*" in patterns:
        return True
    conditions: list[Any] = [col(models.OutboxEvent.type).in_(exact)] if exact else []
    conditions += [col(models.OutboxEvent.type).startswith(prefix) for prefix in prefixes]
    return or_(*conditions) if conditions else False


@strawberry.type
class EventQuery:
    @strawberry.field(
        description="Events, newest first, as the caller may read them: those of published plans for "
        "everyone; drafts' for the collectivity's people; webhook and source events for who manages them."
    )
    async def events(
        self,
        info: Info,
        filter: EventFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Event]:
        args = PageArgs(first=first, after=after, last=last, before=before)
        query = select(models.OutboxEvent).where(readable_events(info.context.principal))
        if filter is not None:
            if filter.types:
                query = query.where(type_condition(filter.types))
            if filter.collectivity_slug is not None:
                place = select(models.Collectivity.id).where(models.Collectivity.slug == filter.collectivity_slug)
                query = query.where(col(models.OutboxEvent.collectivity_id).in_(place.scalar_subquery()))
            if filter.plan_id is not None:
                plan = decode_key(str(filter.plan_id), "ActionPlan", field="planId")
                query = query.where(models.OutboxEvent.plan_id == plan)
            if filter.subject_id is not None:
                subject: uuid.UUID = decode_id(str(filter.subject_id), field="subjectId")[1]
                query = query.where(models.OutboxEvent.subject_id == subject)
            if filter.since is not None:
                query = query.where(col(models.OutboxEvent.occurred_at) >= filter.since)
        async with info.context.reading() as session:
            rows, start, total = await page_of_select(session, query, args, col(models.OutboxEvent.seq).desc())
        return connection([Event.from_row(row) for row in rows], start=start, total=total)
