"""The AuditEntry type: who changed what and when, with before and after values."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from sqlmodel import col, select
from strawberry.scalars import JSON

from tracker import models
from tracker.access import Principal, can_read_drafts, ensure_admin
from tracker.api.core.context import Info
from tracker.api.core.relay import Connection, Node, PageArgs, connection, encode_id, page_of_list, page_of_select
from tracker.models.enums import Role


@strawberry.type(description="One field's value before and after a change.")
class FieldChange:
    field: str = strawberry.field(description="The field, as named in the API.")
    before: JSON | None = strawberry.field(description="Its value before (null for a creation).")
    after: JSON | None = strawberry.field(description="Its value after (null for a deletion).")


@strawberry.type(description="A change to a record: append-only, written with the change itself.")
class AuditEntry(Node):
    row: strawberry.Private[models.AuditEntry]
    occurred_at: datetime = strawberry.field(description="When the change was committed.")
    action: str = strawberry.field(description="What happened, as an event type (milestone.updated...).")
    subject_type: str = strawberry.field(description="Type of the changed record.")
    actor_role: Role = strawberry.field(description="Role of whoever made the change.")

    @classmethod
    def from_row(cls, row: models.AuditEntry) -> AuditEntry:
        return cls(
            id=strawberry.ID(encode_id("AuditEntry", row.id)),
            row=row,
            occurred_at=row.occurred_at,
            action=row.action,
            subject_type=row.subject_type,
            actor_role=row.actor_role,
        )

    @strawberry.field(description="Global ID of the changed record (it may have been deleted since).")
    def subject_id(self) -> strawberry.ID:
        return strawberry.ID(encode_id(self.row.subject_type, self.row.subject_id))

    @strawberry.field(description="Who made the change; shown to administrators and the collectivity's own people.")
    def actor_name(self, info: Info) -> str | None:
        principal = info.context.principal
        collectivity_id = self.row.collectivity_id
        if principal.role is Role.ADMIN or (collectivity_id and can_read_drafts(principal, collectivity_id)):
            return self.row.actor_name
        return None

    @strawberry.field(description="The fields that changed, each with its value before and after.")
    def changes(self) -> list[FieldChange]:
        return [
            FieldChange(field=name, before=_value(change, "before"), after=_value(change, "after"))
            for name, change in self.row.changes.items()
        ]


def _value(change: Any, side: str) -> Any:
    return change.get(side) if isinstance(change, dict) else (change if side == "after" else None)


def entry_visible(principal: Principal, entry: models.AuditEntry, subject: Any) -> bool:
    """Entries made while their plan was a draft, and a body's private drafts, stay private."""
    if entry.public or principal.role is Role.ADMIN:
        return True
    if entry.subject_type == "Assessment":
        return principal.body_id is not None and principal.body_id == getattr(subject, "body_id", None)
    return entry.collectivity_id is not None and can_read_drafts(principal, entry.collectivity_id)


async def history_of(info: Info, subject: Any, args: PageArgs) -> Connection[AuditEntry]:
    rows = await info.context.loaders.history.load(subject.id)
    principal = info.context.principal
    return page_of_list([AuditEntry.from_row(row) for row in rows if entry_visible(principal, row, subject)], args)


@strawberry.input(description="Which audit entries to list; every condition given must hold.")
class AuditFilter:
    collectivity_slug: str | None = strawberry.field(default=None, description="Changes in this collectivity.")
    action: list[str] | None = strawberry.field(default=None, description="Any of these event types.")
    actor_role: list[Role] | None = strawberry.field(default=None, description="Made by any of these roles.")
    since: datetime | None = strawberry.field(default=None, description="Committed at or after this time.")
    until: datetime | None = strawberry.field(default=None, description="Committed before this time.")


@strawberry.type
class AuditQuery:
    @strawberry.field(description="The whole audit trail, newest first (network administrators).")
    async def audit_entries(
        self,
        info: Info,
        filter: AuditFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[AuditEntry]:
        ensure_admin(info.context.principal)
        args = PageArgs(first=first, after=after, last=last, before=before)
        query = select(models.AuditEntry)
        if filter is not None:
            if filter.collectivity_slug is not None:
                place = select(models.Collectivity.id).where(models.Collectivity.slug == filter.collectivity_slug)
                query = query.where(col(models.AuditEntry.collectivity_id).in_(place.scalar_subquery()))
            if filter.action:
                query = query.where(col(models.AuditEntry.action).in_(filter.action))
            if filter.actor_role:
                query = query.where(col(models.AuditEntry.actor_role).in_([role.value for role in filter.actor_role]))
            if filter.since is not None:
                query = query.where(col(models.AuditEntry.occurred_at) >= filter.since)
            if filter.until is not None:
                query = query.where(col(models.AuditEntry.occurred_at) < filter.until)
        async with info.context.reading() as session:
            rows, start, total = await page_of_select(session, query, args, col(models.AuditEntry.seq).desc())
        return connection([AuditEntry.from_row(row) for row in rows], start=start, total=total)


@strawberry.interface(description="A record whose changes are kept in the audit trail.")
class Audited:
    row: strawberry.Private[Any]

    @strawberry.field(description="Changes to this record, newest first.")
    async def history(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[AuditEntry]:
        return await history_of(info, self.row, PageArgs(first=first, after=after, last=last, before=before))
