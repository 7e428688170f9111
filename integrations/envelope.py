"""What the tracker hands to integrations: plain values, no database rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Envelope:
    """One event, as every consumer sees it."""

    id: str
    type: str
    occurred_at: datetime
    subject_type: str
    subject_id: str  # the GraphQL global ID
    data: dict[str, Any]
    collectivity_slug: str | None = None
    # Human labels in every language available, for chat messages.
    subject_title: dict[str, str] = field(default_factory=dict)
    collectivity_name: dict[str, str] = field(default_factory=dict)
    dashboard_url: str | None = None
    source: str = "open-plan-tracker"
