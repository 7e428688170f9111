"""The delivery worker: each subscription's due deliveries go out in a lane of their own.

- A lane is one subscription's due deliveries, sent one after the other in event order, as an
  asyncio task. Up to `lanes` run at once; claiming never waits for a lane, and a lane that ends
  frees its slot and looks for more work at once. A slow receiver holds its own lane, nothing else.
- Claiming a lane leases the subscription row (`lane_until`, with `SKIP LOCKED` on PostgreSQL):
  one sender per subscription across replicas, hence the order. The lease is renewed at every
  checkpoint and always outlasts one attempt's deadline plus the time between checkpoints. If the
  process dies, the lease runs out and the unrecorded deliveries are sent again with the same
  `webhook-id`: at least once, never lost.
- Every attempt has a total deadline (connecting, sending, reading the whole capped answer).
- Checkpoints: before a send, when the subscription was last confirmed over `CHECK_WITHIN` ago, one
  transaction records the outcomes so far, renews the lease and reads the subscription back; deleted,
  disabled or pointed elsewhere, the lane stops and sends nothing more. The lane's end is a last
  checkpoint that releases the lease. A few statements a second rather than a transaction per
  request keep the worker close to what the receivers can take.
- A retryable failure ends the lane. Claimed again, its endpoint counts as failing, and failing
  endpoints get at most half the lanes, after the others: a crowd of slow receivers cannot take
  every lane while their breakers count up.
- Circuit breaker, kept in the database so that replicas agree: after `Breaker.failures` retryable
  failures in a row an endpoint is left alone for `Breaker.cooldown` (its pending deliveries are
  moved to the pause's end, unattempted, and no lane is claimed for it, so it holds no slot); then a
  lane of one delivery probes it: a success closes the breaker, a failure opens it again.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from sqlalchemy import func, or_, update
from sqlmodel import col, select

from integrations.envelope import Envelope
from integrations.webhooks import signing, transport
from integrations.webhooks.formats import RENDERERS
from integrations.webhooks.transport import Outcome, Verdict
from tracker.db import Database
from tracker.events import envelopes
from tracker.models import DeliveryStatus, OutboxEvent, WebhookDelivery, WebhookSubscription
from tracker.models.base import utcnow
from tracker.services import webhooks
from tracker.services.webhooks import Breaker
from tracker.settings import Settings

log = logging.getLogger("tracker.deliveries")

PER_LANE = 100  # deliveries a lane takes at once; it comes back for more when they are sent
CHECK_WITHIN = timedelta(seconds=1)  # how stale the lane's view of its subscription may get
LEASE_MARGIN = timedelta(seconds=30)  # for the checkpoint's own transaction, and clocks that differ
# Kept for the benchmark's "raw" side: the subscriptions the worker sends to at once by default.
PARALLEL_SUBSCRIPTIONS = 32


@dataclass(frozen=True, slots=True)
class Job:
    delivery_id: uuid.UUID
    subscription_id: uuid.UUID
    url: str
    format: str
    lang: str
    secrets: tuple[str, ...]
    envelope: Envelope


@dataclass(frozen=True, slots=True)
class Lane:
    subscription_id: uuid.UUID
    url: str
    failures: int  # the breaker's count when the lane was claimed
    claimed_at: datetime  # when the subscription was last read
    leased_until: datetime
    jobs: tuple[Job, ...]


@dataclass(frozen=True, slots=True)
class Policy:
    deadline: timedelta = timedelta(seconds=10)  # one attempt, whole
    lanes: int = PARALLEL_SUBSCRIPTIONS
    per_lane: int = PER_LANE
    breaker: Breaker = field(default_factory=Breaker)

    @property
    def lease(self) -> timedelta:
        """A checkpoint comes at most `CHECK_WITHIN` plus one attempt after the previous one."""
        return self.deadline + CHECK_WITHIN + LEASE_MARGIN

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(
            deadline=timedelta(seconds=settings.webhook_timeout_seconds),
            lanes=settings.webhook_lanes,
            breaker=Breaker(
                failures=settings.webhook_breaker_failures,
                cooldown=timedelta(seconds=settings.webhook_breaker_cooldown_seconds),
            ),
        )


class DeliveryWorker:
    def __init__(
        self,
        db: Database,
        client: httpx.AsyncClient,
        *,
        base_url: str,
        policy: Policy | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.client = client
        self.base_url = base_url
        self.policy = policy or Policy()
        self.clock = clock
        self.claimed = 0  # deliveries claimed so far, for callers counting work done
        self._lanes: dict[uuid.UUID, asyncio.Task[None]] = {}
        self._looks: set[asyncio.Task[None]] = set()
        self._suspects: set[uuid.UUID] = set()  # running lanes of endpoints whose last attempt failed
        self._claiming = asyncio.Lock()
        self._poked = False
        self._closed = False

    async def claim(self, count: int) -> list[Lane]:
        """Up to `count` lanes: subscriptions with due deliveries that no one sends to and whose
        breaker is not open, leased to this process, each with its first due deliveries in order."""
        async with self.db.transaction() as session:
            now = self.clock()
            due = (
                select(col(WebhookDelivery.id))
                .where(
                    col(WebhookDelivery.subscription_id) == col(WebhookSubscription.id),
                    col(WebhookDelivery.status) == DeliveryStatus.PENDING,
                    col(WebhookDelivery.next_attempt_at) <= now,
                )
                .exists()
            )
            query = (
                select(WebhookSubscription)
                .where(
                    col(WebhookSubscription.active).is_(True),
                    or_(col(WebhookSubscription.lane_until).is_(None), col(WebhookSubscription.lane_until) <= now),
                    or_(col(WebhookSubscription.paused_until).is_(None), col(WebhookSubscription.paused_until) <= now),
                    col(WebhookSubscription.id).not_in(list(self._lanes)),
                    due,
                )
                # Endpoints that answer first, then the subscription served longest ago: lanes take turns.
                .order_by(
                    col(WebhookSubscription.consecutive_failures) > 0,
                    col(WebhookSubscription.lane_until).nulls_first(),
                    col(WebhookSubscription.id),
                )
                .limit(count)
            )
            if self.db.dialect == "postgresql":
                query = query.with_for_update(skip_locked=True)
            subscriptions = self._within_suspect_share((await session.exec(query)).all())
            if not subscriptions:
                return []
            numbered = (
                select(
                    col(WebhookDelivery.id),
                    col(WebhookDelivery.subscription_id),
                    col(WebhookDelivery.event_id),
                    func.row_number()
                    .over(partition_by=col(WebhookDelivery.subscription_id), order_by=col(WebhookDelivery.event_seq))
                    .label("place"),
                )
                .where(
                    col(WebhookDelivery.subscription_id).in_(list(subscriptions)),
                    col(WebhookDelivery.status) == DeliveryStatus.PENDING,
                    col(WebhookDelivery.next_attempt_at) <= now,
                )
                .subquery()
            )
            rows = (
                await session.exec(
                    select(numbered.c.id, numbered.c.subscription_id, OutboxEvent)
                    .join(OutboxEvent, col(OutboxEvent.id) == numbered.c.event_id)
                    .where(numbered.c.place <= self.policy.per_lane)
                    .order_by(numbered.c.subscription_id, numbered.c.place)
                )
            ).all()
            await session.exec(
                update(WebhookSubscription)
                .where(col(WebhookSubscription.id).in_(list(subscriptions)))
                .values(lane_until=now + self.policy.lease)
                .execution_options(synchronize_session=False)
            )
            built = await envelopes.build(session, [event for _, _, event in rows], self.base_url)
            jobs: dict[uuid.UUID, list[Job]] = {key: [] for key in subscriptions}
            for delivery_id, subscription_id, event in rows:
                subscription = subscriptions[subscription_id]
                jobs[subscription_id].append(
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
        lanes = []
        for key, subscription in subscriptions.items():
            # Half-open: an endpoint back from a pause is probed with one delivery.
            probing = subscription.paused_until is not None
            lanes.append(
                Lane(
                    subscription_id=key,
                    url=subscription.url,
                    failures=subscription.consecutive_failures,
                    claimed_at=now,
                    leased_until=now + self.policy.lease,
                    jobs=tuple(jobs[key][:1] if probing else jobs[key]),
                )
            )
        return lanes

    def _within_suspect_share(self, candidates: Sequence[WebhookSubscription]) -> dict[uuid.UUID, WebhookSubscription]:
        """The candidates, failing endpoints kept to their share of the lanes (half) counting those
        running: however many slow endpoints there are, the others keep lanes to go out in."""
        room = max(1, self.policy.lanes // 2) - len(self._suspects)
        chosen = {}
        for subscription in candidates:
            if subscription.consecutive_failures > 0:
                if room <= 0:
                    continue
                room -= 1
            chosen[subscription.id] = subscription
        return chosen

    async def attempt(self, job: Job) -> Outcome:
        """Render, sign and send one delivery; what the receiver made of it."""
        rendered = RENDERERS[job.format](job.envelope, job.lang)
        body = rendered.body.decode()
        headers = signing.headers(
            message_id=f"msg_{job.delivery_id.hex}", timestamp=utcnow(), body=body, secrets_=job.secrets
        )
        return await transport.send(
            self.client,
            url=job.url,
            body=rendered.body,
            headers=headers,
            content_type=rendered.content_type,
            deadline=self.policy.deadline.total_seconds(),
        )

    async def checkpoint(
        self,
        lane: Lane,
        outcomes: list[tuple[uuid.UUID, Outcome, datetime]],
        failures: int,
        *,
        held_until: datetime,
        release: bool,
    ) -> datetime | None:
        """Outcomes, breaker and lease in one transaction; the renewed lease, or None when the lane
        must stop. If the transaction fails, the outcomes were sent but not recorded: the lease runs
        out and they are sent again, with the same ids."""
        now = self.clock()
        lease_until = None if release else now + self.policy.lease
        try:
            async with self.db.transaction() as session:
                await webhooks.record_outcomes(session, outcomes=outcomes)
                going_on = await webhooks.checkpoint_lane(
                    session,
                    subscription_id=lane.subscription_id,
                    url=lane.url,
                    failures=failures,
                    now=now,
                    held_until=held_until,
                    lease_until=lease_until,
                    breaker=self.policy.breaker,
                )
        except Exception:
            log.exception("recording %d outcomes of subscription %s failed", len(outcomes), lane.subscription_id)
            return None
        return lease_until if going_on else None

    async def send_lane(self, lane: Lane) -> None:
        """The lane's deliveries in order, until they are sent, one fails, or the subscription goes
        away; then a last checkpoint records, moves the breaker on and releases the lane."""
        outcomes: list[tuple[uuid.UUID, Outcome, datetime]] = []
        failures = lane.failures
        confirmed, held = lane.claimed_at, lane.leased_until
        try:
            for job in lane.jobs:
                if self.clock() - confirmed >= CHECK_WITHIN:
                    renewed = await self.checkpoint(lane, outcomes, failures, held_until=held, release=False)
                    outcomes, confirmed = [], self.clock()
                    if renewed is None:
                        return
                    held = renewed
                outcome = await self._attempt_safely(job)
                outcomes.append((job.delivery_id, outcome, self.clock()))
                if outcome.gone:
                    return  # the subscription is disabled at the checkpoint
                if outcome.verdict is Verdict.RETRYABLE:
                    # The lane ends: claimed again, the endpoint counts among the failing ones, whose
                    # share of the lanes is capped; its breaker counts on.
                    failures += 1
                    return
                failures = 0
        finally:
            await self.checkpoint(lane, outcomes, failures, held_until=held, release=True)

    async def _attempt_safely(self, job: Job) -> Outcome:
        try:
            return await self.attempt(job)
        except Exception as error:
            # Our bug, not the receiver's: retried on the usual schedule rather than at once forever.
            log.exception("sending delivery %s failed unexpectedly", job.delivery_id)
            return Outcome(verdict=Verdict.RETRYABLE, duration_ms=0, error=f"internal error: {type(error).__name__}")

    async def start_due(self) -> int:
        """Claim lanes for the free slots and start them; never waits for a lane. Deliveries claimed."""
        async with self._claiming:
            return await self._start_due()

    async def _start_due(self) -> int:
        started = 0
        while not self._closed and (free := self.policy.lanes - len(self._lanes)) > 0:
            lanes = await self.claim(free)
            for lane in lanes:
                task = asyncio.create_task(self.send_lane(lane), name=f"webhook lane {lane.subscription_id}")
                self._lanes[lane.subscription_id] = task
                if lane.failures:
                    self._suspects.add(lane.subscription_id)
                task.add_done_callback(functools.partial(self._lane_done, lane.subscription_id, bool(lane.jobs)))
                started += len(lane.jobs)
            if len(lanes) < free:
                break
        self.claimed += started
        return started

    def _lane_done(self, key: uuid.UUID, worked: bool, _task: asyncio.Task[None]) -> None:
        self._lanes.pop(key, None)
        self._suspects.discard(key)
        if worked:  # a slot is free, and the lane's subscription may have more due
            self.poke()

    def poke(self) -> None:
        """Look for due deliveries soon, without waiting; coalesces with a look not yet begun."""
        if self._closed or self._poked:
            return
        self._poked = True
        task = asyncio.create_task(self._look())
        self._looks.add(task)
        task.add_done_callback(self._looks.discard)

    async def _look(self) -> None:
        async with self._claiming:
            self._poked = False
            try:
                await self._start_due()
            except Exception:
                log.exception("claiming due deliveries failed; the next tick tries again")

    @property
    def busy_lanes(self) -> int:
        return len(self._lanes)

    async def wait_idle(self) -> None:
        """Until no lane runs and no look is pending."""
        while self._lanes or self._looks:
            await asyncio.gather(*self._lanes.values(), *self._looks, return_exceptions=True)

    async def run_once(self) -> int:
        """Send everything due now and wait until it is sent; the deliveries claimed meanwhile."""
        before = self.claimed
        await self.start_due()
        await self.wait_idle()
        return self.claimed - before

    async def close(self) -> None:
        """Stop claiming and end the lanes; a lane cut short records what it sent and releases its
        lease (its last checkpoint): what it had not sent goes out from the next process to claim it."""
        self._closed = True
        for task in [*self._lanes.values(), *self._looks]:
            task.cancel()
        await asyncio.gather(*self._lanes.values(), *self._looks, return_exceptions=True)
