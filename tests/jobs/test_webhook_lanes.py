"""Each subscription's deliveries go in a lane of their own: a total deadline per attempt, a circuit
breaker per endpoint, one sender per subscription, and nothing sent once it is deleted or disabled."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from integrations.http import create_client
from integrations.webhooks import transport
from integrations.webhooks.transport import Verdict
from tests.support.builders import small_plan
from tests.support.receiver import hostile_receiver, receiver
from tests.support.webhooks import complete_every_milestone, subscribe
from tracker.access import SYSTEM
from tracker.db import Database
from tracker.events.dispatcher import Dispatcher
from tracker.jobs.deliveries import CHECK_WITHIN, DeliveryWorker, Policy
from tracker.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from tracker.models.base import utcnow
from tracker.services import webhooks
from tracker.services.webhooks import Breaker

BREAKER = Breaker(failures=3, cooldown=timedelta(minutes=1))
Change = Callable[[AsyncSession, uuid.UUID], Awaitable[None]]


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with create_client(allow_private=True) as http:
        yield http


class Clock:
    """The worker's time, moved by the test."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now


def _worker(db: Database, client: httpx.AsyncClient, clock: Clock) -> DeliveryWorker:
    return DeliveryWorker(db, client, base_url="http://tracker.test", policy=Policy(breaker=BREAKER), clock=clock)


async def _six_deliveries(db: Database, url: str) -> WebhookSubscription:
    """Two milestones completed: six deliveries for one subscription, fanned out."""
    await small_plan(db, commitments_count=2)
    subscription, _ = await subscribe(db, url)
    await complete_every_milestone(db)
    await Dispatcher(db, [webhooks.fan_out]).drain()
    return subscription


async def _stored(db: Database, subscription: WebhookSubscription) -> WebhookSubscription:
    async with db.reader() as session:
        stored = await session.get(WebhookSubscription, subscription.id)
    assert stored is not None
    return stored


async def test_an_attempt_ends_at_its_deadline_when_the_receiver_never_answers(client: httpx.AsyncClient) -> None:
    with hostile_receiver() as hook:
        outcome = await transport.send(
            client, url=hook.url, body=b"{}", headers={}, content_type="application/json", deadline=0.5
        )
    assert outcome.verdict is Verdict.RETRYABLE and outcome.error == "no full answer within 0.5 s"
    assert hook.requests == 1 and outcome.duration_ms < 2000


async def test_an_attempt_ends_at_its_deadline_when_the_receiver_trickles(client: httpx.AsyncClient) -> None:
    # A byte every 0.1 s never trips a per-read timeout; the whole answer would take 6 s.
    with hostile_receiver(trickle_every=0.1) as hook:
        outcome = await transport.send(
            client, url=hook.url, body=b"{}", headers={}, content_type="application/json", deadline=0.5
        )
    assert outcome.verdict is Verdict.RETRYABLE and outcome.error == "no full answer within 0.5 s"
    assert outcome.duration_ms < 2000


async def _trip_breaker(
    db: Database, client: httpx.AsyncClient, url: str
) -> tuple[WebhookSubscription, Clock, DeliveryWorker]:
    """Six deliveries to a receiver failing the first attempts: the breaker opens."""
    subscription = await _six_deliveries(db, url)
    clock = Clock()
    worker = _worker(db, client, clock)
    await worker.run_once()
    return subscription, clock, worker


async def test_failures_in_a_row_open_the_breaker_and_stop_the_attempts(
    db: Database, client: httpx.AsyncClient
) -> None:
    with receiver(*[503] * 6) as hook:
        subscription, clock, _ = await _trip_breaker(db, client, hook.url)
    stored = await _stored(db, subscription)
    assert len(hook.received) == BREAKER.failures
    assert stored.consecutive_failures == BREAKER.failures
    assert stored.paused_until == clock.now + BREAKER.cooldown


async def test_an_open_breaker_moves_pending_deliveries_to_the_end_of_the_pause(
    db: Database, client: httpx.AsyncClient
) -> None:
    with receiver(*[503] * 6) as hook:
        subscription, _, _ = await _trip_breaker(db, client, hook.url)
    stored = await _stored(db, subscription)
    async with db.reader() as session:
        pending = (await session.exec(select(WebhookDelivery))).all()
    assert {delivery.status for delivery in pending} == {DeliveryStatus.PENDING}
    assert {delivery.next_attempt_at for delivery in pending} == {stored.paused_until}


async def test_an_open_breaker_claims_no_lane_during_the_pause(db: Database, client: httpx.AsyncClient) -> None:
    with receiver(*[503] * 6) as hook:
        _subscription, clock, worker = await _trip_breaker(db, client, hook.url)
        clock.now += BREAKER.cooldown - timedelta(seconds=1)
        assert await worker.claim(16) == []
    assert len(hook.received) == BREAKER.failures


async def test_after_the_pause_a_single_delivery_probes_the_endpoint(db: Database, client: httpx.AsyncClient) -> None:
    with receiver(*[503] * 6) as hook:
        subscription, clock, worker = await _trip_breaker(db, client, hook.url)
        clock.now += BREAKER.cooldown
        await worker.run_once()
    stored = await _stored(db, subscription)
    assert len(hook.received) == BREAKER.failures + 1
    assert stored.paused_until == clock.now + BREAKER.cooldown  # the probe failed: paused again


async def test_a_successful_probe_closes_the_breaker_and_the_rest_follows(
    db: Database, client: httpx.AsyncClient
) -> None:
    with receiver(*[503] * BREAKER.failures) as hook:
        subscription, clock, worker = await _trip_breaker(db, client, hook.url)
        clock.now += BREAKER.cooldown
        await worker.run_once()
    stored = await _stored(db, subscription)
    async with db.reader() as session:
        statuses = [delivery.status for delivery in (await session.exec(select(WebhookDelivery))).all()]
    assert stored.paused_until is None and stored.consecutive_failures == 0
    assert statuses == [DeliveryStatus.SUCCEEDED] * 6


async def test_a_claimed_lane_leases_its_subscription_for_longer_than_an_attempt(
    db: Database, client: httpx.AsyncClient
) -> None:
    subscription = await _six_deliveries(db, "http://127.0.0.1:9/hook")
    clock = Clock()
    policy = Policy(deadline=timedelta(seconds=30))
    [lane] = await DeliveryWorker(db, client, base_url="http://tracker.test", policy=policy, clock=clock).claim(16)
    stored = await _stored(db, subscription)
    assert stored.lane_until is not None and stored.lane_until - clock.now > policy.deadline + CHECK_WITHIN
    assert len(lane.jobs) == 6


async def test_a_leased_subscription_is_not_claimed_by_another_worker(db: Database, client: httpx.AsyncClient) -> None:
    await _six_deliveries(db, "http://127.0.0.1:9/hook")
    first = await _worker(db, client, Clock()).claim(16)
    second = await _worker(db, client, Clock()).claim(16)
    assert len(first) == 1 and second == []


async def test_a_lane_whose_sender_died_is_sent_by_another_once_its_lease_runs_out(
    db: Database, client: httpx.AsyncClient
) -> None:
    with receiver() as hook:
        await _six_deliveries(db, hook.url)
        clock = Clock()
        dead = _worker(db, client, clock)
        [lost] = await dead.claim(16)  # claimed, then the process dies before sending
        clock.now += dead.policy.lease
        heir = _worker(db, client, clock)
        await heir.run_once()
    assert [request.headers["webhook-id"] for request in hook.received] == [
        f"msg_{job.delivery_id.hex}" for job in lost.jobs
    ]


async def test_a_sender_past_its_lease_sends_nothing_and_leaves_the_new_lane_alone(
    db: Database, client: httpx.AsyncClient
) -> None:
    with receiver() as hook:
        subscription = await _six_deliveries(db, hook.url)
        clock = Clock()
        late = _worker(db, client, clock)
        [stalled] = await late.claim(16)  # then the process stalls past its lease
        clock.now += late.policy.lease
        [taken] = await _worker(db, client, clock).claim(16)
        await late.send_lane(stalled)
    assert hook.received == []
    assert (await _stored(db, subscription)).lane_until == taken.leased_until


async def _claim_then_send(db: Database, client: httpx.AsyncClient, url: str, change: Change) -> None:
    """Claim the subscription's lane, `change` the subscription, then run the lane once its view
    of the subscription is due for a check."""
    subscription = await _six_deliveries(db, url)
    clock = Clock()
    worker = _worker(db, client, clock)
    [lane] = await worker.claim(16)
    async with db.transaction() as session:
        await change(session, subscription.id)
    clock.now += CHECK_WITHIN
    await worker.send_lane(lane)


async def _delete(session: AsyncSession, id: uuid.UUID) -> None:
    await webhooks.delete_subscription(session, actor=SYSTEM, id=id)


async def _disable(session: AsyncSession, id: uuid.UUID) -> None:
    await webhooks.update_subscription(session, actor=SYSTEM, id=id, active=False)


async def test_deliveries_claimed_before_their_subscription_is_deleted_are_not_sent(
    db: Database, client: httpx.AsyncClient
) -> None:
    with receiver() as hook:
        await _claim_then_send(db, client, hook.url, _delete)
    assert hook.received == []


async def test_deliveries_claimed_before_their_subscription_is_disabled_are_not_sent(
    db: Database, client: httpx.AsyncClient
) -> None:
    with receiver() as hook:
        await _claim_then_send(db, client, hook.url, _disable)
    assert hook.received == []
    async with db.reader() as session:
        statuses = {delivery.status for delivery in (await session.exec(select(WebhookDelivery))).all()}
    assert statuses == {DeliveryStatus.PENDING}  # waiting for the subscription to be switched back on


async def _due_for_three(db: Database) -> list[WebhookSubscription]:
    """Three subscriptions with due deliveries, the first two failing lately."""
    await small_plan(db)
    made = [(await subscribe(db, f"http://127.0.0.1:9/{number}"))[0] for number in range(3)]
    await complete_every_milestone(db)
    await Dispatcher(db, [webhooks.fan_out]).drain()
    async with db.transaction() as session:
        await session.exec(
            update(WebhookSubscription)
            .where(col(WebhookSubscription.id).in_([made[0].id, made[1].id]))
            .values(consecutive_failures=1)
        )
    return made


async def test_endpoints_that_answer_are_claimed_before_failing_ones(db: Database, client: httpx.AsyncClient) -> None:
    made = await _due_for_three(db)
    async with db.transaction() as session:  # served more lately than the failing ones (never served)
        await session.exec(
            update(WebhookSubscription)
            .where(col(WebhookSubscription.id) == made[2].id)
            .values(lane_until=utcnow() - timedelta(hours=1))
        )
    [lane] = await _worker(db, client, Clock()).claim(1)
    assert lane.subscription_id == made[2].id


async def test_failing_endpoints_get_at_most_half_the_lanes(db: Database, client: httpx.AsyncClient) -> None:
    made = await _due_for_three(db)
    worker = DeliveryWorker(db, client, base_url="http://tracker.test", policy=Policy(lanes=2), clock=Clock())
    lanes = await worker.claim(3)
    claimed = {lane.subscription_id for lane in lanes}
    assert made[2].id in claimed and len(claimed & {made[0].id, made[1].id}) == 1
