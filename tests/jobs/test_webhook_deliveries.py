"""Webhooks reach real receivers, signed, retried as promised, and disabled when they should be."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import col, select
from standardwebhooks import Webhook

from integrations.http import create_client
from tests.support.builders import small_plan
from tests.support.receiver import receiver
from tests.support.webhooks import complete_every_milestone, subscribe
from tracker.access import SYSTEM
from tracker.db import Database
from tracker.events.dispatcher import Dispatcher
from tracker.jobs.deliveries import DeliveryWorker
from tracker.models import (
    DeliveryStatus,
    Milestone,
    OutboxEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookFormat,
    WebhookSubscription,
    WorkStatus,
)
from tracker.models.base import utcnow
from tracker.services import milestones, webhooks


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with create_client(allow_private=True) as http:
        yield http


async def _complete_a_milestone(db: Database) -> None:
    async with db.transaction() as session:
        milestone = (await session.exec(select(Milestone))).first()
        assert milestone is not None
        await milestones.update_milestone(
            session, actor=SYSTEM, id=milestone.id, status=WorkStatus.COMPLETED, completed_on=date(2024, 6, 1)
        )


async def _dispatch_and_send(db: Database, client: httpx.AsyncClient) -> int:
    await Dispatcher(db, [webhooks.fan_out]).drain()
    return await DeliveryWorker(db, client, base_url="http://tracker.test").run_once()


async def _make_due(db: Database) -> None:
    """Skip the wait before the next retry."""
    async with db.transaction() as session:
        await session.exec(  # type: ignore[call-overload]
            update(WebhookDelivery)
            .where(col(WebhookDelivery.status) == DeliveryStatus.PENDING)
            .values(next_attempt_at=utcnow())
        )


async def test_every_delivery_is_signed_and_verifies_with_standardwebhooks(
    db: Database, client: httpx.AsyncClient
) -> None:
    await small_plan(db)
    with receiver() as hook:
        _subscription, secret = await subscribe(db, hook.url)
        await _complete_a_milestone(db)
        sent = await _dispatch_and_send(db, client)
    assert sent == len(hook.received) == 3  # milestone.updated, .status_changed, .completed
    types = []
    for request in hook.received:
        payload = Webhook(secret).verify(request.body, request.headers)
        assert request.headers["content-type"] == "application/json"
        types.append(payload["type"])
        assert payload["data"]["links"]["graphqlId"]
    assert types == ["milestone.updated", "milestone.status_changed", "milestone.completed"]


async def test_a_receiver_failing_twice_gets_three_attempts_with_one_webhook_id(
    db: Database, client: httpx.AsyncClient
) -> None:
    await small_plan(db)
    with receiver(500, 500, 200) as hook:
        await subscribe(db, hook.url, types=("milestone.completed",))
        await _complete_a_milestone(db)
        await _dispatch_and_send(db, client)
        await _make_due(db)
        await _dispatch_and_send(db, client)
        await _make_due(db)
        await _dispatch_and_send(db, client)
    assert len(hook.received) == 3
    assert len({request.headers["webhook-id"] for request in hook.received}) == 1
    async with db.reader() as session:
        delivery = (await session.exec(select(WebhookDelivery))).one()
        attempts = (await session.exec(select(WebhookAttempt).order_by(col(WebhookAttempt.number)))).all()
    assert delivery.status is DeliveryStatus.SUCCEEDED
    assert [(attempt.status_code, attempt.outcome.value) for attempt in attempts] == [
        (500, "RETRYABLE"),
        (500, "RETRYABLE"),
        (200, "SUCCESS"),
    ]


async def test_a_retry_waits_about_five_seconds_after_the_first_failure(
    db: Database, client: httpx.AsyncClient
) -> None:
    await small_plan(db)
    with receiver(503) as hook:
        await subscribe(db, hook.url, types=("milestone.completed",))
        await _complete_a_milestone(db)
        await _dispatch_and_send(db, client)
    async with db.reader() as session:
        delivery = (await session.exec(select(WebhookDelivery))).one()
    assert delivery.status is DeliveryStatus.PENDING
    assert delivery.next_attempt_at is not None and delivery.last_attempt_at is not None
    wait = (delivery.next_attempt_at - delivery.last_attempt_at).total_seconds()
    assert 4.0 <= wait <= 6.0


async def test_a_client_error_is_not_retried(db: Database, client: httpx.AsyncClient) -> None:
    await small_plan(db)
    with receiver(400) as hook:
        await subscribe(db, hook.url, types=("milestone.completed",))
        await _complete_a_milestone(db)
        await _dispatch_and_send(db, client)
    async with db.reader() as session:
        delivery = (await session.exec(select(WebhookDelivery))).one()
    assert delivery.status is DeliveryStatus.FAILED


async def test_410_gone_disables_the_subscription_at_once(db: Database, client: httpx.AsyncClient) -> None:
    await small_plan(db)
    with receiver(410) as hook:
        subscription, _ = await subscribe(db, hook.url, types=("milestone.completed",))
        await _complete_a_milestone(db)
        await _dispatch_and_send(db, client)
    async with db.reader() as session:
        stored = await session.get(WebhookSubscription, subscription.id)
        disabled = (await session.exec(select(OutboxEvent).where(OutboxEvent.type == "webhook.disabled"))).all()
    assert stored is not None and stored.active is False and stored.disabled_at is not None
    assert len(disabled) == 1


async def test_five_days_of_failures_disable_the_subscription(db: Database, client: httpx.AsyncClient) -> None:
    await small_plan(db)
    with receiver(500) as hook:
        subscription, _ = await subscribe(db, hook.url, types=("milestone.completed",))
        async with db.transaction() as session:
            stored = await session.get(WebhookSubscription, subscription.id)
            assert stored is not None
            stored.failing_since = utcnow() - timedelta(days=5, minutes=1)
            session.add(stored)
        await _complete_a_milestone(db)
        await _dispatch_and_send(db, client)
    async with db.reader() as session:
        stored = await session.get(WebhookSubscription, subscription.id)
    assert stored is not None and stored.disabled_reason == "no successful delivery for 5 days"


async def test_a_success_resets_the_failure_clock(db: Database, client: httpx.AsyncClient) -> None:
    await small_plan(db)
    with receiver(500, 200) as hook:
        subscription, _ = await subscribe(db, hook.url, types=("milestone.completed",))
        await _complete_a_milestone(db)
        await _dispatch_and_send(db, client)
        await _make_due(db)
        await _dispatch_and_send(db, client)
    async with db.reader() as session:
        stored = await session.get(WebhookSubscription, subscription.id)
    assert stored is not None and stored.failing_since is None


async def test_cloudevents_are_structured_json(db: Database, client: httpx.AsyncClient) -> None:
    await small_plan(db)
    with receiver() as hook:
        await subscribe(db, hook.url, fmt=WebhookFormat.CLOUDEVENTS, types=("milestone.completed",))
        await _complete_a_milestone(db)
        await _dispatch_and_send(db, client)
    request = hook.received[0]
    assert request.headers["content-type"].startswith("application/cloudevents+json")
    event = json.loads(request.body)
    assert event["specversion"] == "1.0"
    assert event["type"] == "milestone.completed"
    assert {"id", "source", "time", "subject", "data"} <= set(event)


async def test_during_a_rotation_both_secrets_verify(db: Database, client: httpx.AsyncClient) -> None:
    await small_plan(db)
    with receiver() as hook:
        subscription, old = await subscribe(db, hook.url, types=("milestone.completed",))
        async with db.transaction() as session:
            _rotated, new = await webhooks.rotate_secret(session, actor=SYSTEM, id=subscription.id)
        await _complete_a_milestone(db)
        await _dispatch_and_send(db, client)
    request = hook.received[0]
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(request.body, request.headers)
    Webhook(new).verify(request.body, request.headers)


async def test_a_subscription_to_a_private_address_is_refused_unless_allowed(db: Database) -> None:
    from tracker.errors import BadInput

    async with db.transaction() as session:
        with pytest.raises(BadInput) as caught:
            await webhooks.create_subscription(
                session, actor=SYSTEM, url="http://127.0.0.1:9/hook", format=WebhookFormat.STANDARD
            )
    assert caught.value.field == "url"


async def test_no_delivery_is_made_twice_for_one_event_and_subscription(
    db: Database, client: httpx.AsyncClient
) -> None:
    await small_plan(db)
    with receiver() as hook:
        await subscribe(db, hook.url, types=("milestone.completed",))
        await _complete_a_milestone(db)
        async with db.transaction() as session:
            events = (await session.exec(select(OutboxEvent))).all()
            await webhooks.fan_out(session, events)
            await webhooks.fan_out(session, events)
    async with db.reader() as session:
        assert len((await session.exec(select(WebhookDelivery))).all()) == 1


async def test_a_slack_subscription_gets_blocks_in_its_language(db: Database, client: httpx.AsyncClient) -> None:
    await small_plan(db)
    with receiver() as hook:
        async with db.transaction() as session:
            await webhooks.create_subscription(
                session,
                actor=SYSTEM,
                url=hook.url,
                format=WebhookFormat.SLACK,
                event_types=["milestone.completed"],
                lang="fr",
                allow_private=True,
            )
        await _complete_a_milestone(db)
        await _dispatch_and_send(db, client)
    message = json.loads(hook.received[0].body)
    assert message["blocks"][0]["type"] == "section"
    assert "Étape" in message["text"]
    assert "webhook-signature" in hook.received[0].headers


async def test_successes_sent_together_are_recorded_each_with_its_attempt(
    db: Database, client: httpx.AsyncClient
) -> None:
    await small_plan(db, commitments_count=3)
    with receiver() as hook:
        subscription, _ = await subscribe(db, hook.url, types=("milestone.completed",))
        async with db.transaction() as session:
            stored = await session.get(WebhookSubscription, subscription.id)
            assert stored is not None
            stored.failing_since = utcnow() - timedelta(hours=1)
            session.add(stored)
        await complete_every_milestone(db)
        sent = await _dispatch_and_send(db, client)
    assert sent == len(hook.received) == 3
    async with db.reader() as session:
        deliveries = (await session.exec(select(WebhookDelivery))).all()
        attempts = (await session.exec(select(WebhookAttempt))).all()
        stored = await session.get(WebhookSubscription, subscription.id)
    assert {(delivery.status, delivery.attempt_count, delivery.next_attempt_at) for delivery in deliveries} == {
        (DeliveryStatus.SUCCEEDED, 1, None)
    }
    assert sorted((attempt.delivery_id, attempt.number, attempt.status_code) for attempt in attempts) == sorted(
        (delivery.id, 1, 200) for delivery in deliveries
    )
    assert stored is not None and stored.failing_since is None


async def test_a_failure_among_successes_sent_together_is_retried_alone(
    db: Database, client: httpx.AsyncClient
) -> None:
    await small_plan(db, commitments_count=3)
    with receiver(200, 503, 200) as hook:
        subscription, _ = await subscribe(db, hook.url, types=("milestone.completed",))
        await complete_every_milestone(db)
        await _dispatch_and_send(db, client)
    async with db.reader() as session:
        deliveries = (await session.exec(select(WebhookDelivery).order_by(col(WebhookDelivery.event_seq)))).all()
        stored = await session.get(WebhookSubscription, subscription.id)
    assert [delivery.status for delivery in deliveries] == [
        DeliveryStatus.SUCCEEDED,
        DeliveryStatus.PENDING,
        DeliveryStatus.SUCCEEDED,
    ]
    assert deliveries[1].next_attempt_at is not None and deliveries[1].attempt_count == 1
    # In order: the failure started the clock, the success after it stopped it again.
    assert stored is not None and stored.failing_since is None
