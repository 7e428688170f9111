"""The Network aggregate: progress compared across collectivities."""

from __future__ import annotations

import strawberry

from tracker import models
from tracker.api.context import Info
from tracker.services import network


@strawberry.type(description="Figures for one kind of collectivity.")
class KindSummary:
    kind: models.CollectivityKind = strawberry.field(description="The kind of collectivity.")
    collectivity_count: int = strawberry.field(description="Collectivities of this kind.")
    plan_count: int = strawberry.field(description="Readable plans of collectivities of this kind.")
    mean_progress: float = strawberry.field(description="Mean progress of those plans, 0 to 100.")


@strawberry.type(description="How many items have a given status.")
class StatusCount:
    status: str = strawberry.field(description="The status.")
    count: int = strawberry.field(description="How many.")


def _counts(values: dict[str, int]) -> list[StatusCount]:
    return [StatusCount(status=status, count=count) for status, count in sorted(values.items())]


@strawberry.type(description="Aggregates across the network of open territorial collectivities.")
class Network:
    collectivity_count: int = strawberry.field(description="Collectivities in the tracker.")
    plan_count: int = strawberry.field(description="Plans the caller may read.")
    commitment_count: int = strawberry.field(description="Commitments of those plans.")
    milestone_count: int = strawberry.field(description="Milestones of those commitments.")
    overdue_milestone_count: int = strawberry.field(description="Milestones past due and not closed.")
    mean_progress: float = strawberry.field(description="Mean plan progress, 0 to 100.")
    by_kind: list[KindSummary] = strawberry.field(description="The same figures per kind of collectivity.")
    plans_by_status: list[StatusCount] = strawberry.field(description="Plans per status.")
    commitments_by_status: list[StatusCount] = strawberry.field(description="Commitments per status.")
    milestones_by_status: list[StatusCount] = strawberry.field(description="Milestones per status.")


@strawberry.type
class NetworkQuery:
    @strawberry.field(description="Aggregates across all collectivities (drafts only for those who may read them).")
    async def network(self, info: Info) -> Network:
        async with info.context.reading() as session:
            summary = await network.summarize(session, principal=info.context.principal, today=info.context.today)
        return Network(
            collectivity_count=summary.collectivity_count,
            plan_count=summary.plan_count,
            commitment_count=summary.commitment_count,
            milestone_count=summary.milestone_count,
            overdue_milestone_count=summary.overdue_milestone_count,
            mean_progress=summary.mean_progress,
            by_kind=[
                KindSummary(
                    kind=item.kind,
                    collectivity_count=item.collectivity_count,
                    plan_count=item.plan_count,
                    mean_progress=item.mean_progress,
                )
                for item in summary.by_kind
            ],
            plans_by_status=_counts(summary.plans_by_status),
            commitments_by_status=_counts(summary.commitments_by_status),
            milestones_by_status=_counts(summary.milestones_by_status),
        )
