"""The domain enums, exposed as GraphQL enums with the contract's names."""

from __future__ import annotations

import strawberry

from tracker import models

CollectivityKind = strawberry.enum(models.CollectivityKind, description="Kind of territorial collectivity.")
PlanStatus = strawberry.enum(models.PlanStatus, description="Life cycle of an action plan.")
OgpValue = strawberry.enum(models.OgpValue, description="Open Government Partnership values.")
WorkStatus = strawberry.enum(models.WorkStatus, description="Status of a commitment or a milestone.")
Direction = strawberry.enum(models.Direction, description="Which way an indicator should move.")
MeasurementOrigin = strawberry.enum(models.MeasurementOrigin, description="Where a value came from.")
EvidenceKind = strawberry.enum(models.EvidenceKind, description="What a piece of evidence is.")
