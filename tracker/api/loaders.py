"""Per-request DataLoaders: one statement per batch, whatever the number of parents."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar

from sqlalchemy.orm import InstrumentedAttribute
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.dataloader import DataLoader

from tracker import models

K = TypeVar("K")
M = TypeVar("M", bound=SQLModel)
V = TypeVar("V")


class SharedLoader(DataLoader[K, V]):
    """A DataLoader whose resolvers each await a future of their own.

    Strawberry's DataLoader hands every resolver asking for a key the one future of that key, and a task
    cancelled while awaiting a future cancels it: graphql-core cancels the siblings of a field
    whose error nulls their parent, and another field awaiting the same row then failed with
    CancelledError, the whole operation with it. The key's future (and with it the batch, as
    strawberry does) is cancelled only once every resolver awaiting it has been.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._waiting: dict[asyncio.Future[V], set[asyncio.Future[V]]] = {}

    def load(self, key: K) -> Awaitable[V]:
        shared = super().load(key)
        if not isinstance(shared, asyncio.Future) or shared.done():
            return shared
        own: asyncio.Future[V] = shared.get_loop().create_future()
        waiting = self._waiting.setdefault(shared, set())
        waiting.add(own)

        def settle(done: asyncio.Future[V]) -> None:
            self._waiting.pop(done, None)
            if own.done():
                return
            if done.cancelled():
                own.cancel()
            elif (error := done.exception()) is not None:
                own.set_exception(error)
            else:
                own.set_result(done.result())

        def given_up(mine: asyncio.Future[V]) -> None:
            if mine.cancelled():
                waiting.discard(mine)
                if not waiting and not shared.done():
                    shared.cancel()

        shared.add_done_callback(settle)
        own.add_done_callback(given_up)
        return own


class Loaders:
    """Each list's order ends on the id, so that ties come out the same on every path: the read
    planner spells the same orders beside each type (`planner.spell` in tracker/api/*.py)."""

    def __init__(self, reading: Callable[[], AbstractAsyncContextManager[AsyncSession]]) -> None:
        self._reading = reading
        self.collectivity = self._by_id(models.Collectivity)
        self.plan = self._by_id(models.ActionPlan)
        self.commitment = self._by_id(models.Commitment)
        self.milestone = self._by_id(models.Milestone)
        self.indicator = self._by_id(models.Indicator)
        self.measurement = self._by_id(models.Measurement)
        self.evidence = self._by_id(models.Evidence)
        self.plans_by_collectivity = self._children(
            models.ActionPlan,
            models.ActionPlan.collectivity_id,
            (
                col(models.ActionPlan.period_start).desc(),
                col(models.ActionPlan.created_at).desc(),
                col(models.ActionPlan.id),
            ),
        )
        self.children_by_collectivity = self._children(
            models.Collectivity, models.Collectivity.parent_id, (col(models.Collectivity.slug),)
        )
        self.commitments_by_plan = self._children(
            models.Commitment,
            models.Commitment.plan_id,
            (col(models.Commitment.position), col(models.Commitment.reference), col(models.Commitment.id)),
        )
        self.milestones_by_commitment = self._children(
            models.Milestone,
            models.Milestone.commitment_id,
            (col(models.Milestone.due_on), col(models.Milestone.position), col(models.Milestone.id)),
        )
        self.indicators_by_commitment = self._children(
            models.Indicator, models.Indicator.commitment_id, (col(models.Indicator.position), col(models.Indicator.id))
        )
        self.measurements_by_indicator = self._children(
            models.Measurement,
            models.Measurement.indicator_id,
            (
                col(models.Measurement.observed_at).desc(),
                col(models.Measurement.created_at).desc(),
                col(models.Measurement.id),
            ),
        )
        self.evidence_by_commitment = self._children(
            models.Evidence,
            models.Evidence.commitment_id,
            (col(models.Evidence.published_at).desc(), col(models.Evidence.created_at), col(models.Evidence.id)),
        )
        self.evidence_by_milestone = self._children(
            models.Evidence,
            models.Evidence.milestone_id,
            (col(models.Evidence.published_at).desc(), col(models.Evidence.created_at), col(models.Evidence.id)),
        )
        self.body = self._by_id(models.ConsultativeBody)
        self.bodies_by_collectivity = self._children(
            models.ConsultativeBody, models.ConsultativeBody.collectivity_id, (col(models.ConsultativeBody.slug),)
        )
        self.comments_by_commitment = self._children(
            models.Comment, models.Comment.commitment_id, (col(models.Comment.created_at), col(models.Comment.id))
        )
        self.replies = self._children(
            models.Comment, models.Comment.parent_id, (col(models.Comment.created_at), col(models.Comment.id))
        )
        self.assessments_by_commitment = self._children(
            models.Assessment, models.Assessment.commitment_id, (col(models.Assessment.created_at),)
        )
        self.comment = self._by_id(models.Comment)
        self.assessment = self._by_id(models.Assessment)
        self.subscription = self._by_id(models.WebhookSubscription)
        self.delivery = self._by_id(models.WebhookDelivery)
        self.attempts_by_delivery = self._children(
            models.WebhookAttempt, models.WebhookAttempt.delivery_id, (col(models.WebhookAttempt.number),)
        )
        self.source = self._by_id(models.EvidenceSource)
        self.sources_by_commitment = self._children(
            models.EvidenceSource, models.EvidenceSource.commitment_id, (col(models.EvidenceSource.created_at),)
        )
        self.proposals_by_milestone = self._children(
            models.MilestoneProposal, models.MilestoneProposal.milestone_id, (col(models.MilestoneProposal.created_at),)
        )
        self.history = self._children(
            models.AuditEntry, models.AuditEntry.subject_id, (col(models.AuditEntry.seq).desc(),)
        )

    def _batch(
        self, fetch: Callable[[AsyncSession, Sequence[uuid.UUID]], Awaitable[list[V]]]
    ) -> Callable[[list[uuid.UUID]], Awaitable[list[V]]]:
        async def load(keys: list[uuid.UUID]) -> list[V]:
            async with self._reading() as session:
                return await fetch(session, keys)

        return load

    def _by_id(self, model: type[M]) -> DataLoader[uuid.UUID, M | None]:
        primary: Any = model.id  # type: ignore[attr-defined]

        async def fetch(session: AsyncSession, keys: Sequence[uuid.UUID]) -> list[M | None]:
            rows = (await session.exec(select(model).where(col(primary).in_(keys)))).all()
            found = {row.id: row for row in rows}  # type: ignore[attr-defined]
            return [found.get(key) for key in keys]

        return SharedLoader(load_fn=self._batch(fetch))

    def _children(self, model: type[M], parent: Any, order: tuple[Any, ...]) -> DataLoader[uuid.UUID, list[M]]:
        column: InstrumentedAttribute[Any] = parent

        async def fetch(session: AsyncSession, keys: Sequence[uuid.UUID]) -> list[list[M]]:
            query = select(model).where(col(column).in_(keys)).order_by(*order)
            grouped: dict[uuid.UUID, list[M]] = defaultdict(list)
            for row in (await session.exec(query)).all():
                grouped[getattr(row, column.key)].append(row)
            return [grouped.get(key, []) for key in keys]

        return SharedLoader(load_fn=self._batch(fetch))
