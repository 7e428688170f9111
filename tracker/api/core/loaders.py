"""Per-request DataLoaders: one statement per batch, whatever the number of parents."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import date
from functools import cached_property
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, func
from sqlalchemy.orm import InstrumentedAttribute
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.dataloader import DataLoader

from tracker import models
from tracker.progress import CLOSED_STATUSES
from tracker.services.common import today

K = TypeVar("K")
M = TypeVar("M", bound=SQLModel)
V = TypeVar("V")


def overdue_on(day: date) -> ColumnElement[bool]:
    """`progress.is_overdue` of a milestone row on `day`, in SQL."""
    closed = [status.value for status in CLOSED_STATUSES]
    return (col(models.Milestone.due_on) < day) & col(models.Milestone.status).not_in(closed)


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

    # Each loader is made when a resolver first asks for it: a request uses a few of them, and
    # making all of them (their orders are SQL expressions) cost every request, a mutation too.

    @cached_property
    def collectivity(self) -> DataLoader[uuid.UUID, models.Collectivity | None]:
        return self._by_id(models.Collectivity)

    @cached_property
    def plan(self) -> DataLoader[uuid.UUID, models.ActionPlan | None]:
        return self._by_id(models.ActionPlan)

    @cached_property
    def commitment(self) -> DataLoader[uuid.UUID, models.Commitment | None]:
        return self._by_id(models.Commitment)

    @cached_property
    def milestone(self) -> DataLoader[uuid.UUID, models.Milestone | None]:
        return self._by_id(models.Milestone)

    @cached_property
    def indicator(self) -> DataLoader[uuid.UUID, models.Indicator | None]:
        return self._by_id(models.Indicator)

    @cached_property
    def measurement(self) -> DataLoader[uuid.UUID, models.Measurement | None]:
        return self._by_id(models.Measurement)

    @cached_property
    def evidence(self) -> DataLoader[uuid.UUID, models.Evidence | None]:
        return self._by_id(models.Evidence)

    @cached_property
    def plans_by_collectivity(self) -> DataLoader[uuid.UUID, list[models.ActionPlan]]:
        return self._children(
            models.ActionPlan,
            models.ActionPlan.collectivity_id,
            (
                col(models.ActionPlan.period_start).desc(),
                col(models.ActionPlan.created_at).desc(),
                col(models.ActionPlan.id),
            ),
        )

    @cached_property
    def children_by_collectivity(self) -> DataLoader[uuid.UUID, list[models.Collectivity]]:
        return self._children(models.Collectivity, models.Collectivity.parent_id, (col(models.Collectivity.slug),))

    @cached_property
    def overdue_by_collectivity(self) -> DataLoader[uuid.UUID, list[tuple[uuid.UUID, str, int]]]:
        """(plan, its status, its milestones overdue today) for each plan of the collectivity that
        has any: the reader's rights decide which plans count (Collectivity.overdueMilestoneCount)."""

        async def fetch(session: AsyncSession, keys: Sequence[uuid.UUID]) -> list[list[tuple[uuid.UUID, str, int]]]:
            plan = models.ActionPlan
            query = (
                select(col(plan.collectivity_id), col(plan.id), col(plan.status), func.count())
                .select_from(models.Milestone)
                .join(models.Commitment, col(models.Commitment.id) == col(models.Milestone.commitment_id))
                .join(plan, col(plan.id) == col(models.Commitment.plan_id))
                .where(col(plan.collectivity_id).in_(keys), overdue_on(today()))
                .group_by(col(plan.collectivity_id), col(plan.id), col(plan.status))
            )
            grouped: dict[uuid.UUID, list[tuple[uuid.UUID, str, int]]] = defaultdict(list)
            for collectivity_id, plan_id, status, count in (await session.exec(query)).all():
                grouped[collectivity_id].append((plan_id, str(status), int(count)))
            return [grouped.get(key, []) for key in keys]

        return SharedLoader(load_fn=self._batch(fetch))

    @cached_property
    def commitments_by_plan(self) -> DataLoader[uuid.UUID, list[models.Commitment]]:
        return self._children(
            models.Commitment,
            models.Commitment.plan_id,
            (col(models.Commitment.position), col(models.Commitment.reference), col(models.Commitment.id)),
        )

    @cached_property
    def milestones_by_commitment(self) -> DataLoader[uuid.UUID, list[models.Milestone]]:
        return self._children(
            models.Milestone,
            models.Milestone.commitment_id,
            (col(models.Milestone.due_on), col(models.Milestone.position), col(models.Milestone.id)),
        )

    @cached_property
    def indicators_by_commitment(self) -> DataLoader[uuid.UUID, list[models.Indicator]]:
        return self._children(
            models.Indicator, models.Indicator.commitment_id, (col(models.Indicator.position), col(models.Indicator.id))
        )

    @cached_property
    def measurements_by_indicator(self) -> DataLoader[uuid.UUID, list[models.Measurement]]:
        return self._children(
            models.Measurement,
            models.Measurement.indicator_id,
            (
                col(models.Measurement.observed_at).desc(),
                col(models.Measurement.created_at).desc(),
                col(models.Measurement.id),
            ),
        )

    @cached_property
    def evidence_by_commitment(self) -> DataLoader[uuid.UUID, list[models.Evidence]]:
        return self._children(
            models.Evidence,
            models.Evidence.commitment_id,
            (col(models.Evidence.published_at).desc(), col(models.Evidence.created_at), col(models.Evidence.id)),
        )

    @cached_property
    def evidence_by_milestone(self) -> DataLoader[uuid.UUID, list[models.Evidence]]:
        return self._children(
            models.Evidence,
            models.Evidence.milestone_id,
            (col(models.Evidence.published_at).desc(), col(models.Evidence.created_at), col(models.Evidence.id)),
        )

    @cached_property
    def body(self) -> DataLoader[uuid.UUID, models.ConsultativeBody | None]:
        return self._by_id(models.ConsultativeBody)

    @cached_property
    def bodies_by_collectivity(self) -> DataLoader[uuid.UUID, list[models.ConsultativeBody]]:
        return self._children(
            models.ConsultativeBody, models.ConsultativeBody.collectivity_id, (col(models.ConsultativeBody.slug),)
        )

    @cached_property
    def comments_by_commitment(self) -> DataLoader[uuid.UUID, list[models.Comment]]:
        return self._children(
            models.Comment, models.Comment.commitment_id, (col(models.Comment.created_at), col(models.Comment.id))
        )

    @cached_property
    def replies(self) -> DataLoader[uuid.UUID, list[models.Comment]]:
        return self._children(
            models.Comment, models.Comment.parent_id, (col(models.Comment.created_at), col(models.Comment.id))
        )

    @cached_property
    def assessments_by_commitment(self) -> DataLoader[uuid.UUID, list[models.Assessment]]:
        return self._children(models.Assessment, models.Assessment.commitment_id, (col(models.Assessment.created_at),))

    @cached_property
    def comment(self) -> DataLoader[uuid.UUID, models.Comment | None]:
        return self._by_id(models.Comment)

    @cached_property
    def assessment(self) -> DataLoader[uuid.UUID, models.Assessment | None]:
        return self._by_id(models.Assessment)

    @cached_property
    def subscription(self) -> DataLoader[uuid.UUID, models.WebhookSubscription | None]:
        return self._by_id(models.WebhookSubscription)

    @cached_property
    def delivery(self) -> DataLoader[uuid.UUID, models.WebhookDelivery | None]:
        return self._by_id(models.WebhookDelivery)

    @cached_property
    def attempts_by_delivery(self) -> DataLoader[uuid.UUID, list[models.WebhookAttempt]]:
        return self._children(
            models.WebhookAttempt, models.WebhookAttempt.delivery_id, (col(models.WebhookAttempt.number),)
        )

    @cached_property
    def source(self) -> DataLoader[uuid.UUID, models.EvidenceSource | None]:
        return self._by_id(models.EvidenceSource)

    @cached_property
    def sources_by_commitment(self) -> DataLoader[uuid.UUID, list[models.EvidenceSource]]:
        return self._children(
            models.EvidenceSource, models.EvidenceSource.commitment_id, (col(models.EvidenceSource.created_at),)
        )

    @cached_property
    def proposals_by_milestone(self) -> DataLoader[uuid.UUID, list[models.MilestoneProposal]]:
        return self._children(
            models.MilestoneProposal, models.MilestoneProposal.milestone_id, (col(models.MilestoneProposal.created_at),)
        )

    @cached_property
    def history(self) -> DataLoader[uuid.UUID, list[models.AuditEntry]]:
        return self._children(models.AuditEntry, models.AuditEntry.subject_id, (col(models.AuditEntry.seq).desc(),))

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
