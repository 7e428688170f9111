"""Evidence sources over GraphQL: configure, pause, run now, and read their runs."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import strawberry
from sqlmodel import col, select
from strawberry.scalars import JSON

from tracker import models
from tracker.access import can_manage, redacted_url
from tracker.api.core.context import Context, Info
from tracker.api.core.inputs import required
from tracker.api.core.relay import Connection, Node, PageArgs, connection, decode_id, encode_id, page_of_select
from tracker.api.core.writes import perform
from tracker.errors import BadInput, TrackerError
from tracker.services import proposals, sources
from tracker.services.common import _Unset

TARGETS = ("Indicator", "Milestone", "Commitment")


@strawberry.type(description="One poll of a source: when, what it found, or why it failed.")
class SourceRun:
    started_at: datetime = strawberry.field(description="When the poll started.")
    finished_at: datetime = strawberry.field(description="When its results were recorded.")
    outcome: models.RunOutcome = strawberry.field(
        description="SUCCESS; NOT_MODIFIED when the source had nothing new (HTTP 304, or the same content "
        "as at its last successful poll); FAILURE."
    )
    items_found: int = strawberry.field(description="Items the source listed.")
    items_new: int = strawberry.field(description="Items that became new evidence.")
    measurements: int = strawberry.field(description="Values recorded on the indicator fed.")
    http_status: int | None = strawberry.field(description="HTTP status of the main request.")
    bytes_read: int = strawberry.field(description="Bytes read.")
    error: str | None = strawberry.field(
        description="Why the poll failed (null for who may not manage the source: it names addresses)."
    )
    warnings: list[str] = strawberry.field(
        description="What was odd but not fatal (empty for who may not manage the source)."
    )

    @classmethod
    def from_row(cls, row: models.SourceRun, *, managed: bool = True) -> SourceRun:
        """`managed`: read by who may manage the source; others get no error text nor warnings."""
        return cls(
            started_at=row.started_at,
            finished_at=row.finished_at,
            outcome=row.outcome,
            items_found=row.items_found,
            items_new=row.items_new,
            measurements=row.measurements,
            http_status=row.http_status,
            bytes_read=row.bytes_read,
            error=row.error if managed else None,
            warnings=list(row.warnings) if managed else [],
        )


@strawberry.type(description="Where evidence is pulled from on a schedule: CKAN, feeds, JSON APIs, documents.")
class EvidenceSource(Node):
    row: strawberry.Private[models.EvidenceSource]
    kind: models.SourceKind = strawberry.field(description="What kind of publication is read.")
    schedule: str = strawberry.field(description="ISO 8601 duration (PT6H) or five-field cron expression.")
    state: models.SourceState = strawberry.field(description="ACTIVE, PAUSED, or FAILING after repeated failures.")
    next_run_at: datetime | None = strawberry.field(description="When it is next due.")
    last_run_at: datetime | None = strawberry.field(description="When it last ran.")
    last_success_at: datetime | None = strawberry.field(description="When it last succeeded.")
    consecutive_failures: int = strawberry.field(description="Failures in a row since the last success.")

    @classmethod
    def from_row(cls, row: models.EvidenceSource) -> EvidenceSource:
        return cls(
            id=strawberry.ID(encode_id("EvidenceSource", row.id)),
            row=row,
            kind=row.kind,
            schedule=row.schedule,
            state=row.state,
            next_run_at=row.next_run_at,
            last_run_at=row.last_run_at,
            last_success_at=row.last_success_at,
            consecutive_failures=row.consecutive_failures,
        )

    def _managed(self, info: Info) -> bool:
        return can_manage(info.context.principal, self.row.collectivity_id)

    @strawberry.field(
        description="Portal base URL, or the feed, API or document URL; `scheme://host/…` for who may not "
        "manage the source (paths and queries may carry keys)."
    )
    def url(self, info: Info) -> str:
        return self.row.url if self._managed(info) else redacted_url(self.row.url)

    @strawberry.field(
        description="Options of the kind (dataset, q, keywords, valuePath...); null for who may not manage the source."
    )
    def options(self, info: Info) -> JSON | None:
        return JSON(dict(self.row.options)) if self._managed(info) else None

    @strawberry.field(
        description="Why the last run failed; null for who may not manage the source (errors name addresses)."
    )
    def last_error(self, info: Info) -> str | None:
        return self.row.last_error if self._managed(info) else None

    @strawberry.field(description="The indicator, milestone or commitment it feeds.")
    def target_id(self) -> strawberry.ID:
        return strawberry.ID(encode_id(self.row.target_type, self.row.target_id))

    @strawberry.field(description="Its runs, newest first.")
    async def runs(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[SourceRun]:
        args = PageArgs(first=first, after=after, last=last, before=before)
        query = select(models.SourceRun).where(models.SourceRun.source_id == self.row.id)
        async with info.context.reading() as session:
            rows, start, total = await page_of_select(
                session, query, args, col(models.SourceRun.started_at).desc(), col(models.SourceRun.id)
            )
        managed = self._managed(info)
        return connection([SourceRun.from_row(row, managed=managed) for row in rows], start=start, total=total)


async def sources_of(context: Context, commitment_id: uuid.UUID) -> list[EvidenceSource]:
    rows = await context.loaders.sources_by_commitment.load(commitment_id)
    return [EvidenceSource.from_row(row) for row in rows]


@strawberry.input(description="A new evidence source.")
class CreateEvidenceSourceInput:
    kind: models.SourceKind = strawberry.field(description="What kind of publication to read.")
    url: str = strawberry.field(description="Portal base URL (CKAN), or the feed, API or document URL.")
    schedule: str = strawberry.field(description="ISO 8601 duration (PT6H) or five-field cron expression.")
    target_id: strawberry.ID = strawberry.field(description="The indicator, milestone or commitment it feeds.")
    options: JSON | None = strawberry.field(default=None, description="Options of the kind, as a JSON object.")


@strawberry.input(description="Changes to a source; fields left out stay as they are.")
class UpdateEvidenceSourceInput:
    id: strawberry.ID = strawberry.field(description="The source.")
    url: str | None = strawberry.field(default=strawberry.UNSET, description="New URL.")
    schedule: str | None = strawberry.field(default=strawberry.UNSET, description="New schedule.")
    options: JSON | None = strawberry.field(default=strawberry.UNSET, description="New options.")
    paused: bool | None = strawberry.field(default=strawberry.UNSET, description="Pause or resume.")


@strawberry.input(description="Which source.")
class EvidenceSourceIdInput:
    id: strawberry.ID = strawberry.field(description="The source.")


@strawberry.type(description="Result of a source mutation.")
class EvidenceSourcePayload:
    source: EvidenceSource = strawberry.field(description="The source.")


@strawberry.type(description="Result of deleteEvidenceSource.")
class DeleteEvidenceSourcePayload:
    deleted_id: strawberry.ID = strawberry.field(description="Global ID of the deleted source.")


@strawberry.type(description="Result of runSourceNow.")
class RunSourceNowPayload:
    source: EvidenceSource = strawberry.field(description="The source after the run.")
    run: SourceRun | None = strawberry.field(description="The run (null if another worker was running it).")


def _options(value: object) -> dict[str, object]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadInput("options must be a JSON object", field="options")
    return value


def _key(value: strawberry.ID) -> uuid.UUID:
    return decode_id(str(value), expect="EvidenceSource")[1]


@strawberry.type
class SourceMutation:
    @strawberry.mutation(description="Pull evidence from a publication on a schedule (editors, admins).")
    async def create_evidence_source(self, info: Info, input: CreateEvidenceSourceInput) -> EvidenceSourcePayload:
        target_type, target_key = decode_id(str(input.target_id), field="targetId", expect=TARGETS)
        row = await perform(
            info,
            sources.create_source,
            kind=input.kind,
            url=input.url,
            schedule=input.schedule,
            target_type=target_type,
            target_id=target_key,
            options=_options(input.options),
            allow_private=info.context.settings.allow_private_targets,
        )
        return EvidenceSourcePayload(source=EvidenceSource.from_row(row))

    @strawberry.mutation(description="Change, pause or resume a source.")
    async def update_evidence_source(self, info: Info, input: UpdateEvidenceSourceInput) -> EvidenceSourcePayload:
        options = required(input.options, "options")
        row = await perform(
            info,
            sources.update_source,
            id=_key(input.id),
            url=required(input.url, "url"),
            schedule=required(input.schedule, "schedule"),
            options=options if isinstance(options, _Unset) else _options(options),
            paused=required(input.paused, "paused"),
            allow_private=info.context.settings.allow_private_targets,
        )
        return EvidenceSourcePayload(source=EvidenceSource.from_row(row))

    @strawberry.mutation(description="Delete a source (the evidence it found stays).")
    async def delete_evidence_source(self, info: Info, input: EvidenceSourceIdInput) -> DeleteEvidenceSourcePayload:
        row = await perform(info, sources.delete_source, id=_key(input.id))
        return DeleteEvidenceSourcePayload(deleted_id=strawberry.ID(encode_id("EvidenceSource", row.id)))

    @strawberry.mutation(description="Poll a source now and return the run.")
    async def run_source_now(self, info: Info, input: EvidenceSourceIdInput) -> RunSourceNowPayload:
        context = info.context
        row = await perform(info, sources.request_run, id=_key(input.id))
        if context.transaction is not None:
            # The request's answer commits with its changes (Idempotency-Key): a run now would wait
            # for that commit. The source is due now: the next source tick polls it.
            return RunSourceNowPayload(source=EvidenceSource.from_row(row), run=None)
        if context.source_runner is None:
            raise TrackerError("sources cannot run in this process")
        run = await context.source_runner.run_now(row.id)
        await context.forget_loaded()
        fresh = await context.loaders.source.load(row.id)
        return RunSourceNowPayload(
            source=EvidenceSource.from_row(fresh or row), run=SourceRun.from_row(run) if run else None
        )


@strawberry.type(description="A source's suggestion that a milestone is done, for staff to accept or reject.")
class MilestoneProposal(Node):
    row: strawberry.Private[models.MilestoneProposal]
    status: models.ProposalStatus = strawberry.field(description="PENDING until staff decide.")
    reason: str = strawberry.field(description="What the source saw.")
    value: float | None = strawberry.field(description="The value that met the rule, if any.")
    created_at: datetime = strawberry.field(description="When it was proposed.")
    decided_at: datetime | None = strawberry.field(description="When staff decided.")
    decision_note: str | None = strawberry.field(description="Why it was rejected.")

    @classmethod
    def from_row(cls, row: models.MilestoneProposal) -> MilestoneProposal:
        return cls(
            id=strawberry.ID(encode_id("MilestoneProposal", row.id)),
            row=row,
            status=row.status,
            reason=row.reason,
            value=row.value,
            created_at=row.created_at,
            decided_at=row.decided_at,
            decision_note=row.decision_note,
        )

    @strawberry.field(description="The source that proposed it (null once the source is deleted).")
    def source_id(self) -> strawberry.ID | None:
        return strawberry.ID(encode_id("EvidenceSource", self.row.source_id)) if self.row.source_id else None


async def proposals_of(context: Context, milestone_id: uuid.UUID) -> list[MilestoneProposal]:
    rows = await context.loaders.proposals_by_milestone.load(milestone_id)
    return [MilestoneProposal.from_row(row) for row in rows]


@strawberry.input(description="Accept a proposal: the milestone is completed.")
class AcceptMilestoneProposalInput:
    id: strawberry.ID = strawberry.field(description="The proposal.")
    completed_on: date | None = strawberry.field(default=None, description="Completion date (default today).")


@strawberry.input(description="Reject a proposal, saying why.")
class RejectMilestoneProposalInput:
    id: strawberry.ID = strawberry.field(description="The proposal.")
    note: str = strawberry.field(description="Why the milestone is not done (at most 2000 characters).")


@strawberry.type(description="Result of a decision on a proposal.")
class MilestoneProposalPayload:
    proposal: MilestoneProposal = strawberry.field(description="The proposal, decided.")


def _proposal_key(value: strawberry.ID) -> uuid.UUID:
    return decode_id(str(value), expect="MilestoneProposal")[1]


@strawberry.type
class ProposalMutation:
    @strawberry.mutation(description="Accept what a source proposed: the milestone becomes COMPLETED.")
    async def accept_milestone_proposal(
        self, info: Info, input: AcceptMilestoneProposalInput
    ) -> MilestoneProposalPayload:
        row = await perform(
            info, proposals.accept_proposal, id=_proposal_key(input.id), completed_on=input.completed_on
        )
        return MilestoneProposalPayload(proposal=MilestoneProposal.from_row(row))

    @strawberry.mutation(description="Reject what a source proposed, with a note.")
    async def reject_milestone_proposal(
        self, info: Info, input: RejectMilestoneProposalInput
    ) -> MilestoneProposalPayload:
        row = await perform(info, proposals.reject_proposal, id=_proposal_key(input.id), note=input.note)
        return MilestoneProposalPayload(proposal=MilestoneProposal.from_row(row))
