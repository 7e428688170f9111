"""The delivery worker: sends due webhook deliveries and records every attempt.

A delivery is claimed by pushing its `next_attempt_at` one lease ahead (with `SKIP LOCKED` on
PostgreSQL), then sent outside any transaction, then its outcome is recorded. If the process dies
in between, the lease runs out and the delivery is sent again with the same `webhook-id`: at
least once, never lost. Deliveries of one subscription go out in event order.

The outcomes of one subscription's share of a claim are recorded together, in one transaction,
once its deliveries have been sent, or sooner when the receiver is slow (`RECORD_WITHIN`); a crash
in between sends them again: still at least once, with the same ids. A few statements and one
commit per batch, rather than a transaction per request, keep the worker close to what the
receivers can take.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import update
from sqlmodel import col, select

from integrations.envelope import Envelope
from integrations.webhooks import signing, transport
from integrations.webhooks.formats import RENDERERS
from integrations.webhooks.transport import Outcome
from tracker.db import Database
from tracker.events import envelopes
from tracker.models import DeliveryStatus, OutboxEvent, WebhookDelivery, WebhookSubscription
from tracker.models.base import utcnow
from tracker.services import webhooks

log = logging.getLogger("tracker.deliveries")

LEASE = timedelta(minutes=2)
BATCH = 100
PARALLEL_SUBSCRIPTIONS = 16
RECORD_WITHIN = timedelta(seconds=1)  # how long an outcome may wait for the others of its batch


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
            # The deliveries as plain columns (no rows to build), their events whole (envelopes need them).
            query = (
                select(col(WebhookDelivery.id), col(WebhookDelivery.subscription_id), OutboxEvent)
                .join(WebhookSubscription, col(WebhookSubscription.id) == col(WebhookDelivery.subscription_id))
                .join(OutboxEvent, col(OutboxEvent.id) == col(WebhookDelivery.event_id))
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
            built = await envelopes.build(session, [event for _, _, event in rows], self.base_url)
            subscriptions = {
                subscription.id: subscription
                for subscription in (
                    await session.exec(
                        select(WebhookSubscription).where(
                            col(WebhookSubscription.id).in_({subscription_id for _, subscription_id, _ in rows})
                        )
                    )
                ).all()
            }
            leased = [delivery_id for delivery_id, _, _ in rows]
            await session.exec(
                update(WebhookDelivery)
                .where(col(WebhookDelivery.id).in_(leased))
                .values(next_attempt_at=now + LEASE)
                .execution_options(synchronize_session=False)
            )
            jobs = []
            for delivery_id, subscription_id, event in rows:
                subscription = subscriptions[subscription_id]
                jobs.append(
                    Job(
                        delivery_id=delivery_id,
                        subscription_id=subscription_id,
                        url=subscription.url,
                        format=subscription.format.value,
                        lang=subscription.lang,
                        secrets=tuple(webhooks.signing_secrets(subscription, now)),
                        envelope=built[event.id],
                    )
                )
        return jobs

    async def attempt(self, job: Job) -> Outcome:
        """Render, sign and send one delivery; what the receiver made of it."""
        rendered = RENDERERS[job.format](job.envelope, job.lang)
        body = rendered.body.decode()
        headers = signing.headers(
            message_id=f"msg_{job.delivery_id.hex}", timestamp=utcnow(), body=body, secrets_=job.secrets
        )
        return await transport.send(
            self.client, url=job.url, body=rendered.body, headers=headers, content_type=rendered.content_type
        )

    async def record(self, outcomes: list[tuple[uuid.UUID, Outcome, datetime]]) -> None:
        """Outcomes in one transaction. If that fails they were sent but not recorded: the leases
        expire and the deliveries are sent again, with the same ids."""
        if not outcomes:
            return
        try:
            async with self.db.transaction() as session:
                await webhooks.record_outcomes(session, outcomes=outcomes)
        except Exception:
            log.exception("recording %d delivery outcomes failed", len(outcomes))

    async def send_in_order(self, queue: list[Job]) -> None:
        """One subscription's deliveries, one after the other; their outcomes are recorded together,
        at the end or as soon as the first of them has waited `RECORD_WITHIN`."""
        outcomes: list[tuple[uuid.UUID, Outcome, datetime]] = []
        for job in queue:
            try:
                outcomes.append((job.delivery_id, await self.attempt(job), utcnow()))
            except Exception:
                # The lease expires and the delivery is tried again; nothing is lost.
                log.exception("sending delivery %s failed unexpectedly", job.delivery_id)
            if outcomes and utcnow() - outcomes[0][2] >= RECORD_WITHIN:
                await self.record(outcomes)
                outcomes = []
        await self.record(outcomes)

    async def run_once(self, limit: int = BATCH) -> int:
        jobs = await self.claim(limit)
        by_subscription: dict[uuid.UUID, list[Job]] = defaultdict(list)
        for job in jobs:
            by_subscription[job.subscription_id].append(job)
        gate = asyncio.Semaphore(PARALLEL_SUBSCRIPTIONS)

        async def one_subscription(queue: list[Job]) -> None:
            async with gate:
                await self.send_in_order(queue)

        await asyncio.gather(*(one_subscription(queue) for queue in by_subscription.values()))
        return len(jobs)
