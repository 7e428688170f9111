"""What `make bench` measures: each read and write, the tracker's document and PostGraphile's,
and the variables both take for one subject.

The tracker's documents are the persisted operations of `graphql/operations/` and the
frontend-style reads of `bench/queries/` (written against `graphql/schema.graphql` the way a
frontend team would, not compiled by us); the peer's are in `bench/peer/operations/` and
`bench/peer/queries/`, aliased to the tracker's field names so that both answers can be compared.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from bench.peer import peer

ROOT = Path(__file__).resolve().parent.parent
OPERATIONS = ROOT / "graphql" / "operations"
QUERIES = ROOT / "bench" / "queries"

# The persisted operations the cached tracker serves by documentId, then the frontend-style reads.
PERSISTED_READS = ["PlanDashboard", "CommitmentDetail", "NetworkSummary", "CollectivitiesPage"]
FRONTEND_READS = [
    "CollectivityCards",
    "CommunesInImplementation",
    "ProvinceCommunes",
    "PlanBoard",
    "OverdueAcrossNetwork",
    "CommitmentCard",
    "MilestoneSearch",
]
READS = PERSISTED_READS + FRONTEND_READS
WRITES = ["UpdateMilestone", "RecordMeasurement"]

# The filters of the frontend-style lists.
KIND = "COMMUNE"
PLAN_STATUS = "IN_IMPLEMENTATION"
MILESTONE_STATUSES = ["DELAYED", "NOT_STARTED"]
DUE_WINDOW = ("2025-01-01", "2025-06-30")

# The indicators the bench adds for RecordMeasurement: recognised by this name, to remove leftovers.
INDICATOR_NAME = "bench: recordMeasurement"
BASELINE, TARGET = 0.0, 100.0


@dataclass(frozen=True)
class Subject:
    """The rows the documents are about, picked from the bench database."""

    slug: str  # a commune of the synthetic network with a readable plan: what a dashboard reader opens
    plan: str  # its current plan
    commitment: str  # its first commitment
    milestone: str  # that commitment's first milestone, the one UpdateMilestone sets
    province: str  # the commune's province, whose communes ProvinceCommunes lists
    measured: str  # a commitment of another commune, where the bench adds the indicators it records
    observed_at: str  # when the bench started: each recorded value becomes the latest
    # The indicators RecordMeasurement records, one per server (see bench.run.measured_indicators):
    # made for the run, so that the values each server adds pile up on its own and are gone after.
    indicator: str = ""
    peer_indicator: str = ""
    value: float = BASELINE  # the indicators' baseline: their progress stays 0
    lang: str = "fr"

    def for_peer(self) -> dict[str, object]:
        return {
            "slug": self.slug,
            "plan_uuid": self.plan,
            "commitment_uuid": self.commitment,
            "milestone_uuid": self.milestone,
            "province_slug": self.province,
            "indicator_uuid": self.peer_indicator,
            "value": self.value,
            "observed_at": self.observed_at,
            "lang": self.lang,
            "kind": KIND,
            "plan_status": PLAN_STATUS,
            "milestone_statuses": MILESTONE_STATUSES,
            "due_after": DUE_WINDOW[0],
            "due_before": DUE_WINDOW[1],
        }

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def pick_subject(connection: psycopg.Connection[Any]) -> Subject:
    row = connection.execute(
        """
        SELECT c.slug, p.id, k.id, m.id, parent.slug FROM collectivity c
        JOIN collectivity parent ON parent.id = c.parent_id
        JOIN action_plan p ON p.collectivity_id = c.id AND p.status <> 'DRAFT'
        JOIN commitment k ON k.plan_id = p.id
        JOIN milestone m ON m.commitment_id = k.id
        WHERE c.slug LIKE 'demo-commune-%%'
        ORDER BY c.slug, k.position, m.due_on LIMIT 1
        """
    ).fetchone()
    if row is None:
        raise RuntimeError("the bench database holds no readable plan")
    slug, plan, commitment, milestone, province = row
    measured = connection.execute(
        """
        SELECT k.id FROM collectivity c
        JOIN action_plan p ON p.collectivity_id = c.id AND p.status <> 'DRAFT'
        JOIN commitment k ON k.plan_id = p.id
        WHERE c.slug LIKE 'demo-commune-%%' AND c.slug <> %s
        ORDER BY c.slug DESC, k.position LIMIT 1
        """,
        (slug,),
    ).fetchone()
    if measured is None:
        raise RuntimeError("the bench database holds no commitment outside the subject's plan")
    return Subject(
        slug=slug,
        plan=str(plan),
        commitment=str(commitment),
        milestone=str(milestone),
        province=province,
        measured=str(measured[0]),
        observed_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
    )


def _global_id(type_name: str, key: str) -> str:
    from tracker.ids import encode_id

    return encode_id(type_name, uuid.UUID(key))


def tracker_variables(name: str, subject: Subject) -> dict[str, Any]:
    lang = subject.lang
    if name == "PlanDashboard":
        return {"slug": subject.slug, "lang": lang}
    if name in ("CommitmentDetail", "CommitmentCard"):
        return {"id": _global_id("Commitment", subject.commitment), "lang": lang}
    if name == "NetworkSummary":
        return {}
    if name == "CollectivitiesPage":
        return {"first": 50, "lang": lang}
    if name in ("CollectivityCards", "OverdueAcrossNetwork"):
        return {"lang": lang}
    if name == "CommunesInImplementation":
        return {"kind": [KIND], "status": [PLAN_STATUS], "lang": lang}
    if name == "ProvinceCommunes":
        return {"slug": subject.province, "lang": lang}
    if name == "PlanBoard":
        return {"id": _global_id("ActionPlan", subject.plan), "lang": lang}
    if name == "MilestoneSearch":
        return {"status": MILESTONE_STATUSES, "dueAfter": DUE_WINDOW[0], "dueBefore": DUE_WINDOW[1], "lang": lang}
    if name == "UpdateMilestone":
        return {"input": {"id": _global_id("Milestone", subject.milestone), "status": peer.DEFAULT_STATUS}}
    if name == "RecordMeasurement":
        return {
            "input": {
                "indicatorId": _global_id("Indicator", subject.indicator),
                "value": subject.value,
                "observedAt": subject.observed_at,
            }
        }
    raise KeyError(f"the bench has no operation {name!r}")


@dataclass(frozen=True)
class Pair:
    """One operation as the tracker and as PostGraphile spell it."""

    name: str
    ours: str
    theirs: str

    @property
    def persisted(self) -> bool:
        """One of graphql/operations: the cached tracker serves it by documentId."""
        return self.name in PERSISTED_READS

    @property
    def write(self) -> bool:
        return self.name in WRITES

    def tracker_variables(self, subject: Subject) -> dict[str, Any]:
        return tracker_variables(self.name, subject)

    def peer_variables(self, subject: Subject) -> dict[str, object]:
        return peer.variables(self.name, subject.for_peer())


def pairs(names: list[str] | None = None) -> list[Pair]:
    """The reads, then the writes (in that order: the writes change what later runs read)."""
    theirs = peer.operations()
    chosen = [name for name in READS + WRITES if names is None or name in names]
    unknown = sorted(set(names or []) - set(chosen))
    if unknown:
        raise SystemExit(f"unknown operations: {', '.join(unknown)}; the bench has {', '.join(READS + WRITES)}")
    found = []
    for name in chosen:
        folder = QUERIES if name in FRONTEND_READS else OPERATIONS
        found.append(Pair(name, (folder / f"{name}.graphql").read_text(), theirs[name]))
    return found
