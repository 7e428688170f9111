"""Events of a load (the demo, a plan file): creations are recorded but not news, facts keep their date."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
from sqlmodel import col, select

from integrations.webhooks import formats
from tests.support.builders import ait_melloul, small_plan
from tests.support.webhooks import subscribe
from tracker.db import Database
from tracker.events import envelopes
from tracker.events.dispatcher import Dispatcher
from tracker.models import Measurement, Milestone, OutboxEvent, WebhookDelivery
from tracker.services import webhooks

CREATIONS = {
    "collectivity.created",
    "body.created",
    "plan.created",
    "commitment.created",
    "milestone.created",
    "indicator.created",
    "commitment.progress_changed",
}


async def _events(db: Database) -> list[OutboxEvent]:
    async with db.reader() as session:
        return list((await session.exec(select(OutboxEvent).order_by(col(OutboxEvent.seq)))).all())


async def test_what_a_load_creates_is_recorded_but_not_announced(db: Database) -> None:
    await ait_melloul(db)
    events = await _events(db)
    created = [event for event in events if event.type in CREATIONS]
    assert len(created) > 40
    assert not any(event.announced for event in created)


async def test_changes_made_through_the_services_are_announced_at_their_commit(db: Database) -> None:
    await small_plan(db)
    events = await _events(db)
    assert events
    assert all(event.announced and event.happened_at is None for event in events)


async def test_a_loaded_measurement_happened_when_it_was_observed(db: Database) -> None:
    await ait_melloul(db)
    async with db.reader() as session:
        measurement = (await session.exec(select(Measurement).order_by(col(Measurement.observed_at)))).first()
        assert measurement is not None
        measured = (await session.exec(select(OutboxEvent).where(OutboxEvent.type == "indicator.measured"))).all()
    [event] = [event for event in measured if event.data["measurementId"] == str(measurement.id)]
    assert event.announced
    assert event.happened_at == measurement.observed_at
    assert event.occurred_at > measurement.observed_at


async def test_a_loaded_completed_milestone_is_announced_on_its_completion_date(db: Database) -> None:
    await ait_melloul(db)
    async with db.reader() as session:
        milestone = (await session.exec(select(Milestone).where(col(Milestone.completed_on).is_not(None)))).first()
        assert milestone is not None and milestone.completed_on is not None
        completions = (
            await session.exec(
                select(OutboxEvent).where(
                    OutboxEvent.type == "milestone.completed", OutboxEvent.subject_id == milestone.id
                )
            )
        ).all()
    assert [event.happened_at for event in completions] == [
        datetime.combine(milestone.completed_on, datetime.min.time(), UTC)
    ]


async def test_webhooks_get_loaded_facts_with_their_date_and_no_loaded_creations(db: Database) -> None:
    subscription, _ = await subscribe(db, "http://127.0.0.1:9/hook", types=("*",))
    await ait_melloul(db)
    await Dispatcher(db, [webhooks.fan_out]).drain()
    async with db.reader() as session:
        deliveries = (
            await session.exec(select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id))
        ).all()
        types = {delivery.event_type for delivery in deliveries}
        measured = (await session.exec(select(OutboxEvent).where(OutboxEvent.type == "indicator.measured"))).first()
        assert measured is not None
        envelope = (await envelopes.build(session, [measured], "http://127.0.0.1:8000"))[measured.id]
    assert {"milestone.completed", "indicator.measured"} <= types
    assert not types & CREATIONS
    body = orjson.loads(formats.standard(envelope, "fr").body)
    assert body["timestamp"] == measured.data["observedAt"].replace("+00:00", "Z")
