"""The delivery worker: sends due webhook deliveries and records every attempt.

A delivery is claimed by pushing its `next_attempt_at` one lease ahead (with `SKIP LOCKED` on
PostgreSQL), then sent outside any transaction, then its outcome is recorded. If the process dies
in between, the lease runs out and the delivery is sent again with the same `webhook-id`: at
least once, never lost. Deliveries of one subscription go out in event order.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlmodel import col, select

from integrations.envelope import Envelope
from integrations.webhooks import signing, transport
from integrations.webhooks.formats import RENDERERS
from tracker.db import Database
from tracker.events import envelopes
from tracker.models import DeliveryStatus, OutboxEvent, WebhookDelivery, WebhookSubscription
from tracker.models.base import utcnow
from tracker.services import webhooks

log = logging.getLogger("tracker.deliveries")

LEASE = timedelta(minutes=2)
BATCH = 100
PARALLEL_SUBSCRIPTIONS = 16


@dataclass(frozen=True, slots=True)
class Job:
    delivery_id: uuid.UUID
    subscription_id: uuid.UUID
    url: str
    format: str
    lang: str
    secrets: tuple[str, ...]
    envelope: Envelope


class DeliveryWorker:
    def __init__(self, db: Database, client: httpx.AsyncClient, *, base_url: str) -> None:
        self.db = db
        self.client = client
        self.base_url = base_url

    async def claim(self, limit: int = BATCH) -> list[Job]:
        async with self.db.transaction() as session:
            now = utcnow()
            query = (
                select(WebhookDelivery, WebhookSubscription)
                .join(WebhookSubscription, col(WebhookSubscription.id) == col(WebhookDelivery.subscription_id))
                .where(
                    WebhookDelivery.status == DeliveryStatus.PENDING,
                    col(WebhookDelivery.next_attempt_at) <= now,
                    col(WebhookSubscription.active).is_(True),
                )
                .order_by(col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.event_seq))
                .limit(limit)
            )
            if self.db.dialect == "postgresql":
                query = query.with_for_update(skip_locked=True, of=WebhookDelivery)
            rows = (await session.exec(query)).all()
            if not rows:
                return []
            event_ids = [delivery.event_id for delivery, _ in rows]
            events = (await session.exec(select(OutboxEvent).where(col(OutboxEvent.id).in_(event_ids)))).all()
            built = await envelopes.build(session, events, self.base_url)
            jobs = []
            for delivery, subscription in rows:
                delivery.next_attempt_at = now + LEASE
                session.add(delivery)
                envelope = built.get(delivery.event_id)
                if envelope is None:
                    continue  # its event is gone (cannot happen: the outbox is never pruned while pending)
                jobs.append(
                    Job(
                        delivery_id=delivery.id,
                        subscription_id=subscription.id,
                        url=subscription.url,
                        format=subscription.format.value,
                        lang=subscription.lang,
                        secrets=tuple(webhooks.signing_secrets(subscription, now)),
                        envelope=envelope,
                    )
                )
        return jobs

    async def send(self, job: Job) -> None:
        rendered = RENDERERS[job.format](job.envelope, job.lang)
        body = rendered.body.decode()
        headers = signing.headers(
            message_id=f"msg_{job.delivery_id.hex}", timestamp=utcnow(), body=body, secrets_=job.secrets
        )
        outcome = await transport.send(
            self.client, url=job.url, body=rendered.body, headers=headers, content_type=rendered.content_type
        )
        async with self.db.transaction() as session:
            await webhooks.record_outcome(session, delivery_id=job.delivery_id, outcome=outcome, now=utcnow())

    async def run_once(self, limit: int = BATCH) -> int:
        jobs = await self.claim(limit)
        by_subscription: dict[uuid.UUID, list[Job]] = defaultdict(list)
        for job in jobs:
            by_subscription[job.subscription_id].append(job)
        gate = asyncio.Semaphore(PARALLEL_SUBSCRIPTIONS)

        async def send_in_order(queue: list[Job]) -> None:
            async with gate:
                for job in queue:
                    try:
                        await self.send(job)
                    except Exception:
                        # The lease expires and the delivery is tried again; nothing is lost.
                        log.exception("sending delivery %s failed unexpectedly", job.delivery_id)

        await asyncio.gather(*(send_in_order(queue) for queue in by_subscription.values()))
        return len(jobs)
