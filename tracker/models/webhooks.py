"""Webhook subscriptions (where, what, secret) and their deliveries, one attempt per row."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Index, String, Text, UniqueConstraint
from sqlmodel import Field

from tracker.models.base import EnumText, JSONType, Row, UTCDateTime
from tracker.models.enums import AttemptOutcome, DeliveryStatus, Role, WebhookFormat


class WebhookSubscription(Row, table=True):
    __tablename__ = "webhook_subscription"

    url: str = Field(max_length=2048)
    format: WebhookFormat = Field(sa_type=EnumText(WebhookFormat, 16))
    # Patterns such as "milestone.*" or "plan.status_changed"; empty means every event.
    event_types: list[str] = Field(default_factory=list, sa_type=JSONType)
    lang: str = Field(default="ar", max_length=16)
    # What the subscription listens to: a collectivity, a plan or a commitment; none = the network.
    scope_type: str | None = Field(default=None, sa_type=String(32))
    scope_id: uuid.UUID | None = None
    # The collectivity owning the subscription (editors manage their own); none for network-wide.
    collectivity_id: uuid.UUID | None = Field(
        default=None, foreign_key="collectivity.id", index=True, ondelete="CASCADE"
    )
    active: bool = True
    secret: str = Field(sa_type=String(80))
    # During a rotation both signatures are sent, until this one expires.
    previous_secret: str | None = Field(default=None, sa_type=String(80))
    previous_secret_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by_role: Role = Field(sa_type=EnumText(Role, 16))
    created_by_name: str = Field(sa_type=String(120))
    # Start of the current run of failures; cleared by any success.
    failing_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    disabled_reason: str | None = None
    # The delivery lane: the one process sending this subscription's deliveries holds it until then
    # (one sender at a time keeps them in order across replicas; a dead sender's lane expires).
    lane_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The circuit breaker: attempts that failed in a row (any answer but a retryable one resets it)
    # and, once open, until when the endpoint is left alone; one attempt then probes it.
    consecutive_failures: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    paused_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WebhookDelivery(Row, table=True):
    """One event for one subscription. Its id is the `webhook-id` header: stable across retries."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id", name="uq_delivery_subscription_event"),
        Index("ix_delivery_due", "status", "next_attempt_at"),
    )

    subscription_id: uuid.UUID = Field(foreign_key="webhook_subscription.id", index=True, ondelete="CASCADE")
    event_id: uuid.UUID = Field(index=True)
    event_seq: int = Field(sa_type=BigInteger)
    event_type: str = Field(sa_type=String(64))
    status: DeliveryStatus = Field(default=DeliveryStatus.PENDING, sa_type=EnumText(DeliveryStatus, 16))
    attempt_count: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WebhookAttempt(Row, table=True):
    __tablename__ = "webhook_attempt"

    delivery_id: uuid.UUID = Field(foreign_key="webhook_delivery.id", index=True, ondelete="CASCADE")
    number: int
    outcome: AttemptOutcome = Field(sa_type=EnumText(AttemptOutcome, 16))
    status_code: int | None = None
    duration_ms: int
    response_body: str | None = Field(default=None, sa_type=Text)
    error: str | None = None
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
