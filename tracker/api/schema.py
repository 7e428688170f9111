"""The schema: per-domain queries and mutations merged at the root, with protective limits."""

from __future__ import annotations

from collections.abc import AsyncIterator

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from graphql import GraphQLError
from tracker.api.access_requests import AccessRequest, AccessRequestMutation
from tracker.api.accountability import AccountabilityMutation, Assessment, Comment
from tracker.api.bodies import BodyMutation, ConsultativeBody
from tracker.api.collectivities import Collectivity, CollectivityMutation, CollectivityQuery
from tracker.api.commitments import Commitment, CommitmentMutation
from tracker.api.core.analysis import ShapeCache
from tracker.api.core.context import Context
from tracker.api.core.document_cache import CachedParsing, CachedValidation
from tracker.api.core.errors import ErrorCodes
from tracker.api.core.limits import DocumentLimits, Limits
from tracker.api.core.literal_rules import LiteralRules
from tracker.api.core.planner import PlanCache, PlannedReads
from tracker.api.core.planner.ready import ReadyReads
from tracker.api.core.scalars import SCALAR_OVERRIDES
from tracker.api.core.text_rules import TextRules
from tracker.api.events import Event, EventQuery
from tracker.api.evidence import Evidence, EvidenceMutation
from tracker.api.history import AuditEntry, AuditQuery
from tracker.api.indicators import Indicator, IndicatorMutation, Measurement
from tracker.api.live import StreamErrorCodes, Subscription
from tracker.api.milestone_search import MilestoneQuery
from tracker.api.milestones import Milestone, MilestoneMutation
from tracker.api.network import NetworkQuery
from tracker.api.nodes import NodeQuery
from tracker.api.plans import ActionPlan, PlanMutation
from tracker.api.sources import EvidenceSource, MilestoneProposal, ProposalMutation, SourceMutation
from tracker.api.viewer import ViewerQuery
from tracker.api.webhooks import WebhookDelivery, WebhookMutation, WebhookQuery, WebhookSubscription
from tracker.settings import Settings


@strawberry.type(description="Read the openness plans of the network.")
class Query(
    NodeQuery, CollectivityQuery, NetworkQuery, MilestoneQuery, ViewerQuery, AuditQuery, WebhookQuery, EventQuery
):
    pass


@strawberry.type(description="Change plans, commitments, milestones, indicators and evidence.")
class Mutation(
    CollectivityMutation,
    PlanMutation,
    CommitmentMutation,
    MilestoneMutation,
    IndicatorMutation,
    EvidenceMutation,
    BodyMutation,
    AccountabilityMutation,
    WebhookMutation,
    SourceMutation,
    ProposalMutation,
    AccessRequestMutation,
):
    pass


class CloseReadSession(SchemaExtension):
    """The request's read session ends with the operation (a subscription's with its stream, in
    tracker/api/live.py: its execution here ends before its first event)."""

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        if isinstance(context, Context):
            context.reopen()
        yield
        if isinstance(context, Context) and not _subscribes(self.execution_context):
            await context.close()


def _subscribes(execution: ExecutionContext) -> bool:
    try:
        return execution.operation_type is OperationType.SUBSCRIPTION
    except RuntimeError:  # no such operation: nothing ran, nothing streams
        return False


class TrackerSchema(strawberry.Schema):
    # Queries the planner answered whole once, answered again without strawberry (over HTTP).
    ready_reads: ReadyReads

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """Nothing: strawberry would log every error at ERROR with its traceback, unclassified and
        with the client's text as sent; ErrorCodes logs each operation's errors once, at the level
        they deserve (tracker/api/core/errors.py)."""


def build_schema(settings: Settings, *, plans: PlanCache | None = None) -> TrackerSchema:
    limits, shapes, plans = Limits.from_settings(settings), ShapeCache(), plans or PlanCache()

    def planned(context: Context) -> bool:
        return settings.planned_reads and context.db.dialect == "postgresql"

    ready = ReadyReads(plans=plans, limits=limits, shapes=shapes, enabled=planned)
    schema = TrackerSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[
            Collectivity,
            ActionPlan,
            Commitment,
            Milestone,
            Indicator,
            Measurement,
            Evidence,
            AuditEntry,
            ConsultativeBody,
            Comment,
            Assessment,
            WebhookSubscription,
            WebhookDelivery,
            Event,
            EvidenceSource,
            MilestoneProposal,
            AccessRequest,
        ],
        config=StrawberryConfig(auto_camel_case=True),
        scalar_overrides=dict(SCALAR_OVERRIDES),
        extensions=[
            ErrorCodes,
            StreamErrorCodes,
            # Limits first: the cheapest refusal, before anything walks the document.
            lambda: DocumentLimits(limits=limits, shapes=shapes),
            CachedParsing,
            TextRules,
            LiteralRules,
            CachedValidation,  # after every refusal that spares validation
            lambda: PlannedReads(plans=plans, enabled=planned, answered_whole=ready.remember),
            CloseReadSession,
        ],
    )
    ready.schema = schema._schema
    schema.ready_reads = ready
    return schema
