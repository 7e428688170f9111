"""The access-to-information register over GraphQL: its figures are public, its entries are
for the collectivity's people."""

from __future__ import annotations

import uuid
from datetime import date

import strawberry
from sqlmodel import col, select

from tracker import models
from tracker.access import can_read_drafts
from tracker.api.core.context import Info
from tracker.api.core.inputs import given, required
from tracker.api.core.relay import Connection, Node, PageArgs, connection, decode_id, encode_id, page_of_select
from tracker.api.core.writes import perform
from tracker.errors import Forbidden
from tracker.services import access_requests


@strawberry.type(description="A request for information received under law 31-13 (no requester identity is kept).")
class AccessRequest(Node):
    row: strawberry.Private[models.AccessRequest]
    reference: str = strawberry.field(description="The collectivity's reference for it.")
    received_on: date = strawberry.field(description="When it was received.")
    subject: str | None = strawberry.field(description="What was asked, in a few words.")
    status: models.AccessRequestStatus = strawberry.field(description="Received, extended, answered or refused.")
    extended_on: date | None = strawberry.field(description="When the deadline was extended.")
    answered_on: date | None = strawberry.field(description="When it was answered or refused.")
    refusal_reason: str | None = strawberry.field(description="Why it was refused.")

    @classmethod
    def from_row(cls, row: models.AccessRequest) -> AccessRequest:
        return cls(
            id=strawberry.ID(encode_id("AccessRequest", row.id)),
            row=row,
            reference=row.reference,
            received_on=row.received_on,
            subject=row.subject,
            status=row.status,
            extended_on=row.extended_on,
            answered_on=row.answered_on,
            refusal_reason=row.refusal_reason,
        )

    @strawberry.field(description="The last day to decide: 20 working days after receipt, 40 once extended.")
    def deadline(self, info: Info) -> date:
        return access_requests.deadline_of(self.row, info.context.settings.holidays)


@strawberry.type(description="The register's figures: what the public may know of it.")
class AccessRequestStats:
    total: int = strawberry.field(description="Requests received.")
    decided: int = strawberry.field(description="Requests answered or refused.")
    pending: int = strawberry.field(description="Requests waiting for a decision.")
    late: int = strawberry.field(description="Pending requests past their deadline.")
    share_in_time: float | None = strawberry.field(description="Percent of due requests decided in time.")
    median_working_days: float | None = strawberry.field(description="Median working days to a decision.")


async def stats_of(info: Info, collectivity_id: uuid.UUID) -> AccessRequestStats:
    async with info.context.reading() as session:
        stats = await access_requests.register_stats(session, collectivity_id, holidays=info.context.settings.holidays)
    return AccessRequestStats(
        total=stats.total,
        decided=stats.decided,
        pending=stats.pending,
        late=stats.late,
        share_in_time=stats.share_in_time,
        median_working_days=stats.median_working_days,
    )


async def register_of(info: Info, collectivity_id: uuid.UUID, args: PageArgs) -> Connection[AccessRequest]:
    if not can_read_drafts(info.context.principal, collectivity_id):
        raise Forbidden("the register's entries are for the collectivity's people")
    query = select(models.AccessRequest).where(models.AccessRequest.collectivity_id == collectivity_id)
    async with info.context.reading() as session:
        rows, start, total = await page_of_select(
            session, query, args, col(models.AccessRequest.received_on).desc(), col(models.AccessRequest.id)
        )
    return connection([AccessRequest.from_row(row) for row in rows], start=start, total=total)


@strawberry.input(description="A request received.")
class RecordAccessRequestInput:
    collectivity_id: strawberry.ID = strawberry.field(description="The collectivity that received it.")
    reference: str = strawberry.field(description="Its reference, unique in the collectivity.")
    received_on: date = strawberry.field(description="When it was received.")
    subject: str | None = strawberry.field(default=None, description="What was asked (no personal data).")


@strawberry.input(description="What happened to a request; fields left out stay as they are.")
class UpdateAccessRequestInput:
    id: strawberry.ID = strawberry.field(description="The request.")
    status: models.AccessRequestStatus | None = strawberry.field(default=strawberry.UNSET, description="New status.")
    answered_on: date | None = strawberry.field(default=strawberry.UNSET, description="Decision date (default today).")
    extended_on: date | None = strawberry.field(default=strawberry.UNSET, description="Extension date.")
    refusal_reason: str | None = strawberry.field(default=strawberry.UNSET, description="Required for a refusal.")


@strawberry.type(description="Result of an access-request mutation.")
class AccessRequestPayload:
    request: AccessRequest = strawberry.field(description="The request.")


@strawberry.type
class AccessRequestMutation:
    @strawberry.mutation(description="Record a request for information in the register (editors, admins).")
    async def record_access_request(self, info: Info, input: RecordAccessRequestInput) -> AccessRequestPayload:
        row = await perform(
            info,
            access_requests.record_request,
            collectivity_id=decode_id(str(input.collectivity_id), field="collectivityId", expect="Collectivity")[1],
            reference=input.reference,
            received_on=input.received_on,
            subject=input.subject,
        )
        return AccessRequestPayload(request=AccessRequest.from_row(row))

    @strawberry.mutation(description="Record an extension, an answer or a refusal.")
    async def update_access_request(self, info: Info, input: UpdateAccessRequestInput) -> AccessRequestPayload:
        row = await perform(
            info,
            access_requests.update_request,
            id=decode_id(str(input.id), expect="AccessRequest")[1],
            status=required(input.status, "status"),
            answered_on=given(input.answered_on),
            extended_on=given(input.extended_on),
            refusal_reason=given(input.refusal_reason),
        )
        return AccessRequestPayload(request=AccessRequest.from_row(row))
