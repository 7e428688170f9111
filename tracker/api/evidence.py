"""The Evidence type: its fields, its mutations and its SQL spelling."""

from __future__ import annotations

from datetime import datetime

import strawberry

from tracker import models
from tracker.api.core import planner
from tracker.api.core.context import Info
from tracker.api.core.inputs import DeleteInput, TranslatedTextInput, key, optional_key
from tracker.api.core.lang import within
from tracker.api.core.planner import sql
from tracker.api.core.relay import Node, encode_id
from tracker.api.core.writes import perform
from tracker.api.history import Audited
from tracker.services import evidence


@strawberry.type(description="Published proof of progress: a document, a dataset, a news item...")
class Evidence(Node, Audited):
    row: strawberry.Private[models.Evidence]
    url: str = strawberry.field(description="Where the evidence is published.")
    kind: models.EvidenceKind = strawberry.field(description="What the evidence is.")
    published_at: datetime | None = strawberry.field(description="When it was published, if known.")
    fingerprint: str = strawberry.field(description="Identity used to recognise the same evidence again.")
    origin: models.MeasurementOrigin = strawberry.field(description="Entered by hand, imported or pulled by a source.")
    added_at: datetime = strawberry.field(description="When it was recorded in the tracker.")

    @classmethod
    def from_row(cls, row: models.Evidence) -> Evidence:
        return cls(
            id=strawberry.ID(encode_id("Evidence", row.id)),
            row=row,
            url=row.url,
            kind=row.kind,
            published_at=row.published_at,
            fingerprint=row.fingerprint,
            origin=row.origin,
            added_at=row.created_at,
        )

    @strawberry.field(description="Title in the language asked for (see `lang`).")
    def title(self, info: Info, lang: str | None = None) -> str:
        return info.context.text(self.row.title, within(info, lang))


@strawberry.input(description="Evidence to attach to a commitment.")
class AddEvidenceInput:
    commitment_id: strawberry.ID = strawberry.field(description="The commitment.")
    url: str = strawberry.field(description="Where the evidence is published (http or https).")
    title: TranslatedTextInput = strawberry.field(description="Title in one or more languages.")
    kind: models.EvidenceKind = strawberry.field(default=models.EvidenceKind.OTHER, description="What it is.")
    published_at: datetime | None = strawberry.field(default=None, description="When it was published.")
    milestone_id: strawberry.ID | None = strawberry.field(
        default=None, description="A milestone of the same commitment it proves."
    )


@strawberry.type(description="Result of addEvidence.")
class AddEvidencePayload:
    evidence: Evidence = strawberry.field(description="The new evidence.")


@strawberry.type(description="Result of deleteEvidence.")
class DeleteEvidencePayload:
    deleted_id: strawberry.ID = strawberry.field(description="Global ID of the removed evidence.")


@strawberry.type
class EvidenceMutation:
    @strawberry.mutation(description="Attach evidence to a commitment (and optionally one of its milestones).")
    async def add_evidence(self, info: Info, input: AddEvidenceInput) -> AddEvidencePayload:
        row = await perform(
            info,
            evidence.add_evidence,
            commitment_id=key(input.commitment_id, "Commitment", field="commitmentId"),
            url=input.url,
            title=input.title.as_dict(),
            kind=input.kind,
            published_at=input.published_at,
            milestone_id=optional_key(input.milestone_id, "Milestone", field="milestoneId"),
        )
        return AddEvidencePayload(evidence=Evidence.from_row(row))

    @strawberry.mutation(description="Remove evidence that was attached by mistake.")
    async def delete_evidence(self, info: Info, input: DeleteInput) -> DeleteEvidencePayload:
        row = await perform(info, evidence.remove_evidence, id=key(input.id, "Evidence", field="id"))
        return DeleteEvidencePayload(deleted_id=strawberry.ID(encode_id("Evidence", row.id)))


# How the read planner spells Evidence in SQL (tracker/api/core/planner): the fields above, on the
# evidence row aliased `row`. A field missing here is answered by its resolver.
planner.spell(
    "Evidence",
    id=planner.GlobalId("Evidence"),
    url=planner.Column("url"),
    kind=planner.Column("kind"),
    published_at=planner.Column("published_at", sql.iso_datetime),
    fingerprint=planner.Column("fingerprint"),
    origin=planner.Column("origin"),
    added_at=planner.Column("created_at", sql.iso_datetime),
    title=planner.Translated("title"),
)
# Newest first, as Loaders.evidence_by_commitment and Loaders.evidence_by_milestone read them.
EVIDENCE_ORDER = planner.static_order("{to}.published_at DESC, {to}.created_at, {to}.id")
