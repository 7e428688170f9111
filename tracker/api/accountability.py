"""Comments and assessments: the consultative bodies' voice on a plan."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from tracker import models
from tracker.access import Principal, can_read_hidden_text
from tracker.api.bodies import ConsultativeBody
from tracker.api.core.context import Context, Info
from tracker.api.core.inputs import required
from tracker.api.core.relay import Connection, Node, PageArgs, decode_id, encode_id, page_of_list
from tracker.api.core.writes import perform
from tracker.api.history import Audited
from tracker.errors import BadInput
from tracker.models.enums import Role
from tracker.rendering import render
from tracker.services import assessments, comments


@strawberry.type(description="Why and by whom a comment's text was hidden; it stays visible to all.")
class Moderation:
    reason: str = strawberry.field(description="The moderator's reason.")
    hidden_at: datetime = strawberry.field(description="When the text was hidden.")
    by_role: Role = strawberry.field(description="Role of the moderator.")


@strawberry.type(description="A comment on a commitment or a milestone; replies form threads.")
class Comment(Node, Audited):
    row: strawberry.Private[models.Comment]
    created_at: datetime = strawberry.field(description="When it was posted.")
    author_role: Role = strawberry.field(
        description="MONITOR for a consultative body, EDITOR for the collectivity's answer."
    )

    @classmethod
    def from_row(cls, row: models.Comment) -> Comment:
        return cls(
            id=strawberry.ID(encode_id("Comment", row.id)),
            row=row,
            created_at=row.created_at,
            author_role=row.author_role,
        )

    @strawberry.field(description="The text as written (null once hidden, except for administrators).")
    def body(self, info: Info) -> str | None:
        if self.row.hidden_at is not None and not can_read_hidden_text(info.context.principal):
            return None
        return self.row.text

    @strawberry.field(description="The text rendered as safe HTML (a subset of Markdown; raw HTML is escaped).")
    def body_html(self, info: Info) -> str | None:
        text = self.body(info)
        return render(text) if text is not None else None

    @strawberry.field(description="Set when a moderator hid the text.")
    def moderation(self) -> Moderation | None:
        row = self.row
        if row.hidden_at is None or row.hidden_reason is None or row.hidden_by_role is None:
            return None
        return Moderation(reason=row.hidden_reason, hidden_at=row.hidden_at, by_role=row.hidden_by_role)

    @strawberry.field(description="The consultative body the author speaks for, if any.")
    async def author_body(self, info: Info) -> ConsultativeBody | None:
        if self.row.body_id is None:
            return None
        row = await info.context.loaders.body.load(self.row.body_id)
        return ConsultativeBody.from_row(row) if row else None

    @strawberry.field(description="Global ID of the comment this one answers.")
    def reply_to_id(self) -> strawberry.ID | None:
        return strawberry.ID(encode_id("Comment", self.row.parent_id)) if self.row.parent_id else None

    @strawberry.field(description="Answers to this comment, oldest first.")
    async def replies(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Comment]:
        args = PageArgs(first=first, after=after, last=last, before=before)
        rows = await info.context.loaders.replies.load(self.row.id)
        return page_of_list([Comment.from_row(row) for row in rows], args)


def assessment_visible(principal: Principal, row: models.Assessment) -> bool:
    """Published assessments are public with their plan; drafts belong to their body alone."""
    if row.status is models.AssessmentStatus.PUBLISHED:
        return True
    return principal.role is Role.MONITOR and principal.body_id == row.body_id


@strawberry.type(description="A consultative body's assessment of a commitment (after OGP's IRM).")
class Assessment(Node, Audited):
    row: strawberry.Private[models.Assessment]
    status: models.AssessmentStatus = strawberry.field(description="DRAFT (private to the body) or PUBLISHED.")
    completion: models.CompletionLevel = strawberry.field(description="How far the commitment was completed.")
    potential_impact: models.PotentialImpact = strawberry.field(description="What it could change if completed.")
    opened_government: models.OpenedGovernment = strawberry.field(description="Did it open government?")
    rationale: str = strawberry.field(description="Why, in the body's words.")
    published_at: datetime | None = strawberry.field(description="When the body published it.")

    @classmethod
    def from_row(cls, row: models.Assessment) -> Assessment:
        return cls(
            id=strawberry.ID(encode_id("Assessment", row.id)),
            row=row,
            status=row.status,
            completion=row.completion,
            potential_impact=row.potential_impact,
            opened_government=row.opened_government,
            rationale=row.rationale,
            published_at=row.published_at,
        )

    @strawberry.field(description="The consultative body that wrote it.")
    async def body(self, info: Info) -> ConsultativeBody:
        row = await info.context.loaders.body.load(self.row.body_id)
        assert row is not None  # the foreign key guarantees it
        return ConsultativeBody.from_row(row)


async def comments_on(
    context: Context, commitment_id: uuid.UUID, milestone_id: uuid.UUID | None, args: PageArgs
) -> Connection[Comment]:
    """Comments starting a thread on the subject, oldest first; replies hang below them."""
    rows = await context.loaders.comments_by_commitment.load(commitment_id)
    kept = [row for row in rows if row.milestone_id == milestone_id and row.parent_id is None]
    return page_of_list([Comment.from_row(row) for row in kept], args)


async def assessments_of(context: Context, commitment_id: uuid.UUID, args: PageArgs) -> Connection[Assessment]:
    rows = await context.loaders.assessments_by_commitment.load(commitment_id)
    kept = [row for row in rows if assessment_visible(context.principal, row)]
    return page_of_list([Assessment.from_row(row) for row in kept], args)


@strawberry.input(description="A comment on a commitment or one of its milestones.")
class PostCommentInput:
    subject_id: strawberry.ID = strawberry.field(description="The commitment or milestone commented on.")
    body: str = strawberry.field(description="Plain text or simple Markdown, at most 5000 characters.")
    reply_to_id: strawberry.ID | None = strawberry.field(default=None, description="The comment this one answers.")


@strawberry.type(description="Result of postComment.")
class PostCommentPayload:
    comment: Comment = strawberry.field(description="The new comment.")


@strawberry.input(description="Hide a comment's text, giving a reason that stays visible.")
class HideCommentInput:
    id: strawberry.ID = strawberry.field(description="The comment.")
    reason: str = strawberry.field(description="Why (at most 500 characters); shown in place of the text.")


@strawberry.type(description="Result of hideComment.")
class HideCommentPayload:
    comment: Comment = strawberry.field(description="The comment, now hidden.")


@strawberry.input(description="A draft assessment of a commitment, private to your body until published.")
class CreateAssessmentInput:
    commitment_id: strawberry.ID = strawberry.field(description="The commitment assessed.")
    completion: models.CompletionLevel = strawberry.field(description="How far it was completed.")
    potential_impact: models.PotentialImpact = strawberry.field(description="What it could change.")
    opened_government: models.OpenedGovernment = strawberry.field(description="Did it open government?")
    rationale: str = strawberry.field(description="Why, at most 10000 characters.")


@strawberry.input(description="Changes to a draft assessment; fields left out stay as they are.")
class UpdateAssessmentInput:
    id: strawberry.ID = strawberry.field(description="The draft.")
    completion: models.CompletionLevel | None = strawberry.field(default=strawberry.UNSET, description="New level.")
    potential_impact: models.PotentialImpact | None = strawberry.field(
        default=strawberry.UNSET, description="New impact."
    )
    opened_government: models.OpenedGovernment | None = strawberry.field(
        default=strawberry.UNSET, description="New answer."
    )
    rationale: str | None = strawberry.field(default=strawberry.UNSET, description="New rationale.")


@strawberry.input(description="Publish a draft assessment.")
class PublishAssessmentInput:
    id: strawberry.ID = strawberry.field(description="The draft to publish.")


@strawberry.type(description="Result of an assessment mutation.")
class AssessmentPayload:
    assessment: Assessment = strawberry.field(description="The assessment.")


def _subject(value: strawberry.ID) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """(commitment id, milestone id) of a subject; the commitment of a milestone is found later."""
    type_name, key = decode_id(str(value), field="subjectId", expect=("Commitment", "Milestone"))
    return (key, None) if type_name == "Commitment" else (None, key)


@strawberry.type
class AccountabilityMutation:
    @strawberry.mutation(description="Comment on a commitment or a milestone (monitors, the collectivity's editors).")
    async def post_comment(self, info: Info, input: PostCommentInput) -> PostCommentPayload:
        commitment_id, milestone_id = _subject(input.subject_id)
        if commitment_id is None:
            assert milestone_id is not None
            milestone = await info.context.loaders.milestone.load(milestone_id)
            if milestone is None:
                raise BadInput("subjectId is not a known milestone", field="subjectId")
            commitment_id = milestone.commitment_id
        parent_id = None
        if input.reply_to_id is not None:
            parent_id = decode_id(str(input.reply_to_id), field="replyToId", expect="Comment")[1]
        row = await perform(
            info,
            comments.post_comment,
            commitment_id=commitment_id,
            milestone_id=milestone_id,
            parent_id=parent_id,
            text=input.body,
        )
        return PostCommentPayload(comment=Comment.from_row(row))

    @strawberry.mutation(
        description="Hide a comment's text with a reason (the collectivity's editors, administrators)."
    )
    async def hide_comment(self, info: Info, input: HideCommentInput) -> HideCommentPayload:
        row = await perform(
            info, comments.hide_comment, id=decode_id(str(input.id), expect="Comment")[1], reason=input.reason
        )
        return HideCommentPayload(comment=Comment.from_row(row))

    @strawberry.mutation(description="Start a draft assessment of a commitment (monitors of a consultative body).")
    async def create_assessment(self, info: Info, input: CreateAssessmentInput) -> AssessmentPayload:
        row = await perform(
            info,
            assessments.draft_assessment,
            commitment_id=decode_id(str(input.commitment_id), field="commitmentId", expect="Commitment")[1],
            completion=input.completion,
            potential_impact=input.potential_impact,
            opened_government=input.opened_government,
            rationale=input.rationale,
        )
        return AssessmentPayload(assessment=Assessment.from_row(row))

    @strawberry.mutation(description="Change a draft assessment of your body.")
    async def update_assessment(self, info: Info, input: UpdateAssessmentInput) -> AssessmentPayload:
        row = await perform(
            info,
            assessments.update_assessment,
            id=decode_id(str(input.id), expect="Assessment")[1],
            completion=required(input.completion, "completion"),
            potential_impact=required(input.potential_impact, "potentialImpact"),
            opened_government=required(input.opened_government, "openedGovernment"),
            rationale=required(input.rationale, "rationale"),
        )
        return AssessmentPayload(assessment=Assessment.from_row(row))

    @strawberry.mutation(description="Publish a draft assessment of your body: it becomes public with its plan.")
    async def publish_assessment(self, info: Info, input: PublishAssessmentInput) -> AssessmentPayload:
        row = await perform(info, assessments.publish_assessment, id=decode_id(str(input.id), expect="Assessment")[1])
        return AssessmentPayload(assessment=Assessment.from_row(row))
