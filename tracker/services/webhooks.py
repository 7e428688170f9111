"""Webhook subscriptions and the life of their deliveries (fan-out, outcome, retries, disabling).

Retries follow the Standard Webhooks recommendation: immediately, then after 5 s, 5 min, 30 min,
2 h, 5 h, 10 h and 10 h, each with +-20% jitter (a receiver's Retry-After is honoured within
bounds). A subscription failing without a single success for 5 days is disabled, and so is one
whose receiver answers 410 Gone.
"""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from integrations.http import check_target
from integrations.webhooks.signing import new_secret
from integrations.webhooks.transport import Outcome, Verdict
from tracker import i18n
from tracker.access import SYSTEM, Principal, ensure_admin, ensure_can_edit
from tracker.errors import BadInput, Conflict
from tracker.events.outbox import emit, queue_work
from tracker.events.types import EventType
from tracker.models import (
    ActionPlan,
    AttemptOutcome,
    Collectivity,
    Commitment,
    DeliveryStatus,
    OutboxEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookFormat,
    WebhookSubscription,
)
from tracker.models.base import utcnow
from tracker.services.common import UNSET, _Unset, enum_value, get_or_404, touch

RETRY_DELAYS = (
    timedelta(0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
JITTER = 0.2
DISABLE_AFTER = timedelta(days=5)
ROTATION_WINDOW = timedelta(hours=24)
RECOVERY_LIMIT = timedelta(days=14)
MAX_PATTERNS = 50
_PATTERN = re.compile(r"^(\*|[a-z_]+\.\*|[a-z_]+\.[a-z_]+)$")
KNOWN_TYPES = frozenset(event.value for event in EventType)
KNOWN_PREFIXES = frozenset(value.split(".", 1)[0] for value in KNOWN_TYPES)


def clean_patterns(patterns: Sequence[str]) -> list[str]:
    cleaned = []
    for index, raw in enumerate(patterns):
        pattern = raw.strip()
        prefix = pattern.split(".", 1)[0]
        known = pattern == "*" or pattern in KNOWN_TYPES or (pattern.endswith(".*") and prefix in KNOWN_PREFIXES)
        if not _PATTERN.match(pattern) or not known:
            raise BadInput(
                f"eventTypes[{index}]: {pattern!r} is not an event type or a pattern such as milestone.*",
                field="eventTypes",
            )
        cleaned.append(pattern)
    if len(cleaned) > MAX_PATTERNS:
        raise BadInput(f"eventTypes: at most {MAX_PATTERNS}", field="eventTypes")
    return list(dict.fromkeys(cleaned))


def clean_lang(lang: str) -> str:
    if not i18n.is_valid_tag(lang) or i18n.primary_language(lang) not in i18n.LANGUAGES:
        raise BadInput(f"lang must be one of {', '.join(i18n.LANGUAGES)}", field="lang")
    return i18n.primary_language(lang)


async def clean_url(url: str, *, allow_private: bool) -> str:
    value = url.strip()
    if len(value) > 2048:
        raise BadInput("url is longer than 2048 characters", field="url")
    problem = await check_target(value, allow_private=allow_private)
    if problem is not None:
        raise BadInput(f"url: {problem}", field="url")
    return value


def type_matches(patterns: Sequence[str], event_type: str) -> bool:
    if not patterns:
        return True
    return any(
        pattern == "*" or pattern == event_type or (pattern.endswith(".*") and event_type.startswith(pattern[:-1]))
        for pattern in patterns
    )


async def resolve_scope(session: AsyncSession, scope_type: str | None, scope_id: uuid.UUID | None) -> uuid.UUID | None:
    """The collectivity owning a scope (collectivity, plan or commitment); None for the network."""
    if scope_type is None or scope_id is None:
        return None
    if scope_type == "Collectivity":
        return (await get_or_404(session, Collectivity, scope_id, field="scopeId")).id
    if scope_type == "ActionPlan":
        return (await get_or_404(session, ActionPlan, scope_id, field="scopeId")).collectivity_id
    if scope_type == "Commitment":
        commitment = await get_or_404(session, Commitment, scope_id, field="scopeId")
        plan = await get_or_404(session, ActionPlan, commitment.plan_id)
        return plan.collectivity_id
    raise BadInput("scopeId must be a collectivity, a plan or a commitment", field="scopeId")


def ensure_can_manage(actor: Principal, collectivity_id: uuid.UUID | None) -> None:
    if collectivity_id is None:
        ensure_admin(actor)
    else:
        ensure_can_edit(actor, collectivity_id)


async def create_subscription(
    session: AsyncSession,
    *,
    actor: Principal,
    url: str,
    format: WebhookFormat | str,
    event_types: Sequence[str] = (),
    lang: str = "ar",
    scope_type: str | None = None,
    scope_id: uuid.UUID | None = None,
    allow_private: bool = False,
) -> tuple[WebhookSubscription, str]:
    """A subscription and its secret, which is shown this once."""
    collectivity_id = await resolve_scope(session, scope_type, scope_id)
    ensure_can_manage(actor, collectivity_id)
    secret = new_secret()
    subscription = WebhookSubscription(
        url=await clean_url(url, allow_private=allow_private),
        format=enum_value(WebhookFormat, format, field="format"),
        event_types=clean_patterns(event_types),
        lang=clean_lang(lang),
        scope_type=scope_type,
        scope_id=scope_id,
        collectivity_id=collectivity_id,
        secret=secret,
        created_by_role=actor.role,
        created_by_name=actor.name,
    )
    session.add(subscription)
    await session.flush()
    return subscription, secret


async def _managed(session: AsyncSession, actor: Principal, id: uuid.UUID) -> WebhookSubscription:
    subscription = await get_or_404(session, WebhookSubscription, id)
    ensure_can_manage(actor, subscription.collectivity_id)
    return subscription


async def update_subscription(
    session: AsyncSession,
    *,
    actor: Principal,
    id: uuid.UUID,
    url: str | _Unset = UNSET,
    format: WebhookFormat | str | _Unset = UNSET,
    event_types: Sequence[str] | _Unset = UNSET,
    lang: str | _Unset = UNSET,
    active: bool | _Unset = UNSET,
    allow_private: bool = False,
) -> WebhookSubscription:
    subscription = await _managed(session, actor, id)
    if not isinstance(url, _Unset):
        subscription.url = await clean_url(url, allow_private=allow_private)
    if not isinstance(format, _Unset):
        subscription.format = enum_value(WebhookFormat, format, field="format")
    if not isinstance(event_types, _Unset):
        subscription.event_types = clean_patterns(event_types)
    if not isinstance(lang, _Unset):
        subscription.lang = clean_lang(lang)
    if not isinstance(active, _Unset):
        subscription.active = active
        if active:
            # Switching a disabled endpoint back on starts a fresh record.
            subscription.disabled_at = None
            subscription.disabled_reason = None
            subscription.failing_since = None
            subscription.consecutive_failures = 0
            subscription.paused_until = None
    touch(subscription)
    session.add(subscription)
    queue_work(session)  # switched back on: its due deliveries go out now
    return subscription


async def delete_subscription(session: AsyncSession, *, actor: Principal, id: uuid.UUID) -> WebhookSubscription:
    subscription = await _managed(session, actor, id)
    await session.delete(subscription)
    await session.flush()
    return subscription


async def rotate_secret(session: AsyncSession, *, actor: Principal, id: uuid.UUID) -> tuple[WebhookSubscription, str]:
    """A new secret; the old one keeps signing alongside it for 24 hours."""
    subscription = await _managed(session, actor, id)
    secret = new_secret()
    subscription.previous_secret = subscription.secret
    subscription.previous_secret_expires_at = utcnow() + ROTATION_WINDOW
    subscription.secret = secret
    touch(subscription)
    session.add(subscription)
    return subscription, secret


def signing_secrets(subscription: WebhookSubscription, now: datetime) -> list[str]:
    secrets = [subscription.secret]
    expires = subscription.previous_secret_expires_at
    if subscription.previous_secret and expires and expires > now:
        secrets.append(subscription.previous_secret)
    return secrets


def _matches(subscription: WebhookSubscription, event: OutboxEvent) -> bool:
    # What a load created is not news (docs/events.md); the commit time, not a loaded fact's own
    # date, says whether the subscription existed, so no event it should get is skipped.
    if not event.announced or event.occurred_at < subscription.created_at:
        return False
    if not type_matches(subscription.event_types, event.type):
        return False
    if not event.public and subscription.collectivity_id not in (None, event.collectivity_id):
        return False
    if subscription.scope_type is None:
        return True
    if subscription.scope_type == "Collectivity":
        return event.collectivity_id == subscription.scope_id
    if subscription.scope_type == "ActionPlan":
        return event.plan_id == subscription.scope_id
    commitment = str(subscription.scope_id)
    return str(event.subject_id) == commitment or str(event.data.get("commitmentId")) == commitment


def _insert(session: AsyncSession) -> Any:
    return postgres_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


async def fan_out(session: AsyncSession, events: Sequence[OutboxEvent]) -> None:
    """Dispatcher consumer: one delivery per (event, matching subscription), never two."""
    subscriptions = (
        await session.exec(select(WebhookSubscription).where(col(WebhookSubscription.active).is_(True)))
    ).all()
    now = utcnow()
    rows = [
        {
            "id": uuid.uuid4(),
            "created_at": now,
            "updated_at": now,
            "subscription_id": subscription.id,
            "event_id": event.id,
            "event_seq": event.seq,
            "event_type": event.type,
            "status": DeliveryStatus.PENDING.value,
            "attempt_count": 0,
            # An endpoint its breaker leaves alone gets its deliveries when the pause ends.
            "next_attempt_at": max(now, subscription.paused_until or now),
        }
        for event in events
        for subscription in subscriptions
        if subscription.disabled_at is None and _matches(subscription, event)
    ]
    if rows:
        # Executed as executemany: a cached statement, not one compiled per batch for its row count.
        statement = _insert(session)(WebhookDelivery).on_conflict_do_nothing(
            index_elements=["subscription_id", "event_id"]
        )
        await session.exec(statement, params=rows)
        queue_work(session)  # deliveries to send once the dispatch commits


def next_delay(attempt: int, retry_after: float | None, rng: random.Random) -> timedelta | None:
    """When to try again after `attempt` failures, or None once the schedule is spent."""
    if attempt >= len(RETRY_DELAYS):
        return None
    delay = RETRY_DELAYS[attempt] * rng.uniform(1 - JITTER, 1 + JITTER)
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=retry_after))
    return delay


async def record_outcome(
    session: AsyncSession,
    *,
    delivery_id: uuid.UUID,
    outcome: Outcome,
    now: datetime,
    rng: random.Random | None = None,
) -> WebhookDelivery:
    """Write the attempt and move the delivery (and, on failure, the subscription) on."""
    delivery = await get_or_404(session, WebhookDelivery, delivery_id)
    subscription = await get_or_404(session, WebhookSubscription, delivery.subscription_id)
    delivery.attempt_count += 1
    delivery.last_attempt_at = now
    next_at: datetime | None = None
    if outcome.verdict is Verdict.SUCCESS:
        delivery.status = DeliveryStatus.SUCCEEDED
        subscription.failing_since = None
    else:
        subscription.failing_since = subscription.failing_since or now
        delay = (
            next_delay(delivery.attempt_count, outcome.retry_after, rng or random.Random())
            if outcome.verdict is Verdict.RETRYABLE
            else None
        )
        if delay is None:
            delivery.status = DeliveryStatus.FAILED
        else:
            next_at = now + delay
        if outcome.gone:
            disable(session, subscription, reason="the endpoint answered 410 Gone", now=now)
        elif now - subscription.failing_since >= DISABLE_AFTER:
            disable(session, subscription, reason="no successful delivery for 5 days", now=now)
    delivery.next_attempt_at = next_at
    touch(delivery)
    session.add(
        WebhookAttempt(
            delivery_id=delivery.id,
            number=delivery.attempt_count,
            outcome=AttemptOutcome(outcome.verdict.value),
            status_code=outcome.status_code,
            duration_ms=outcome.duration_ms,
            response_body=outcome.response_body,
            error=outcome.error,
            next_attempt_at=next_at,
        )
    )
    session.add(delivery)
    session.add(subscription)
    return delivery


async def record_outcomes(
    session: AsyncSession,
    *,
    outcomes: Sequence[tuple[uuid.UUID, Outcome, datetime]],
    rng: random.Random | None = None,
) -> None:
    """`record_outcome` for each (delivery, outcome, when it came), in order, in the caller's
    transaction.

    When every one succeeded, the usual case, three statements record them all whatever their
    number (their attempt time: the latest of them); otherwise they go one by one, each at its own
    time, so retries, failure clocks and disabling stay exactly as `record_outcome` decides them.
    A delivery deleted meanwhile (its subscription was) is skipped.
    """
    if not outcomes:
        return
    if all(outcome.verdict is Verdict.SUCCESS for _, outcome, _ in outcomes):
        await _record_successes(session, outcomes)
        return
    for delivery_id, outcome, at in outcomes:
        if await session.get(WebhookDelivery, delivery_id) is not None:
            await record_outcome(session, delivery_id=delivery_id, outcome=outcome, now=at, rng=rng)


async def _record_successes(session: AsyncSession, outcomes: Sequence[tuple[uuid.UUID, Outcome, datetime]]) -> None:
    now = max(at for _, _, at in outcomes)
    succeeded = (
        await session.exec(
            update(WebhookDelivery)
            .where(col(WebhookDelivery.id).in_([delivery_id for delivery_id, _, _ in outcomes]))
            .values(
                status=DeliveryStatus.SUCCEEDED,
                attempt_count=col(WebhookDelivery.attempt_count) + 1,
                last_attempt_at=now,
                next_attempt_at=None,
                updated_at=utcnow(),
            )
            .returning(
                col(WebhookDelivery.id), col(WebhookDelivery.attempt_count), col(WebhookDelivery.subscription_id)
            )
            .execution_options(synchronize_session=False)
        )
    ).all()
    numbers = {delivery_id: number for delivery_id, number, _ in succeeded}
    attempts = [
        {
            "id": uuid.uuid4(),
            "created_at": at,
            "updated_at": at,
            "delivery_id": delivery_id,
            "number": numbers[delivery_id],
            "outcome": AttemptOutcome.SUCCESS.value,
            "status_code": outcome.status_code,
            "duration_ms": outcome.duration_ms,
            "response_body": outcome.response_body,
            "error": outcome.error,
            "next_attempt_at": None,
        }
        for delivery_id, outcome, at in outcomes
        if delivery_id in numbers
    ]
    if attempts:
        # Executed as executemany: one cached statement, however many rows.
        await session.exec(insert(WebhookAttempt), params=attempts)
    # A success ends the subscription's run of failures, as in `record_outcome`.
    subscription_ids = {subscription_id for _, _, subscription_id in succeeded}
    if subscription_ids:
        await session.exec(
            update(WebhookSubscription)
            .where(
                col(WebhookSubscription.id).in_(subscription_ids), col(WebhookSubscription.failing_since).is_not(None)
            )
            .values(failing_since=None)
            .execution_options(synchronize_session=False)
        )


@dataclass(frozen=True, slots=True)
class Breaker:
    """After `failures` retryable failures in a row an endpoint is left alone for `cooldown`."""

    failures: int = 5
    cooldown: timedelta = timedelta(minutes=1)


async def checkpoint_lane(
    session: AsyncSession,
    *,
    subscription_id: uuid.UUID,
    url: str,
    failures: int,
    now: datetime,
    held_until: datetime,
    lease_until: datetime | None,
    breaker: Breaker,
) -> bool:
    """A delivery lane's bookkeeping, in the caller's transaction, after `record_outcomes`: the
    breaker's count of failures in a row becomes `failures` (opening it at the threshold: the
    subscription's pending deliveries move to the end of the pause, unattempted), the lane's lease
    runs to `lease_until` (None releases it). Whether the lane may go on sending: not when the
    subscription was deleted, disabled or pointed elsewhere, nor once its breaker is open, nor when
    the lease it held (`held_until`) ran out and another sender has the lane now."""
    subscription = await session.get(WebhookSubscription, subscription_id)
    if subscription is None:
        return False
    if subscription.lane_until != held_until:
        return False  # another sender's lane now: its lease and breaker count are its own
    opened = failures >= breaker.failures
    subscription.consecutive_failures = failures
    if opened:
        paused_until = now + breaker.cooldown
        subscription.paused_until = paused_until
        await session.flush()  # the retry times `record_outcomes` set, which this moves on
        await session.exec(
            update(WebhookDelivery)
            .where(
                col(WebhookDelivery.subscription_id) == subscription_id,
                col(WebhookDelivery.status) == DeliveryStatus.PENDING,
                col(WebhookDelivery.next_attempt_at) < paused_until,
            )
            .values(next_attempt_at=paused_until)
            .execution_options(synchronize_session=False)
        )
    elif failures == 0:
        subscription.paused_until = None
    going_on = subscription.active and subscription.url == url and not opened
    subscription.lane_until = (lease_until if going_on else None) or now  # a lane that stops lets go
    session.add(subscription)
    return going_on


def disable(session: AsyncSession, subscription: WebhookSubscription, *, reason: str, now: datetime) -> None:
    if subscription.disabled_at is not None:
        return
    subscription.active = False
    subscription.disabled_at = now
    subscription.disabled_reason = reason
    emit(
        session,
        type=EventType.WEBHOOK_DISABLED,
        actor=SYSTEM,
        subject_type="WebhookSubscription",
        subject_id=subscription.id,
        collectivity_id=subscription.collectivity_id,
        public=False,
        data={"url": subscription.url, "reason": reason},
    )


async def ping(session: AsyncSession, *, actor: Principal, id: uuid.UUID) -> WebhookDelivery:
    """A test event for this subscription alone, sent at the next delivery tick."""
    return await queue_test_delivery(session, await _managed(session, actor, id), actor=actor)


async def subscribe(
    session: AsyncSession,
    *,
    actor: Principal,
    url: str,
    format: WebhookFormat | str,
    event_types: Sequence[str] = (),
    lang: str = "ar",
    scope_type: str | None = None,
    scope_id: uuid.UUID | None = None,
    allow_private: bool = False,
    send_test: bool = True,
) -> tuple[WebhookSubscription, str, WebhookDelivery | None]:
    """create_subscription, and with `send_test` a test delivery queued as `ping` queues one, so
    that whoever subscribes sees at once whether the receiver gets and verifies what is sent."""
    subscription, secret = await create_subscription(
        session,
        actor=actor,
        url=url,
        format=format,
        event_types=event_types,
        lang=lang,
        scope_type=scope_type,
        scope_id=scope_id,
        allow_private=allow_private,
    )
    test = await queue_test_delivery(session, subscription, actor=actor) if send_test else None
    return subscription, secret, test


async def queue_test_delivery(
    session: AsyncSession, subscription: WebhookSubscription, *, actor: Principal
) -> WebhookDelivery:
    """A webhook.ping for this subscription alone, due now: signed, retried and logged as any
    delivery."""
    event = OutboxEvent(
        type=EventType.WEBHOOK_PING.value,
        subject_type="WebhookSubscription",
        subject_id=subscription.id,
        collectivity_id=subscription.collectivity_id,
        public=False,
        actor=actor.label,
        data={"message": "ping"},
        dispatched_at=utcnow(),  # announced to this subscription only, never fanned out
    )
    session.add(event)
    await session.flush()
    delivery = WebhookDelivery(
        subscription_id=subscription.id,
        event_id=event.id,
        event_seq=event.seq or 0,
        event_type=event.type,
        next_attempt_at=utcnow(),
    )
    session.add(delivery)
    await session.flush()
    queue_work(session)
    return delivery


async def redeliver(session: AsyncSession, *, actor: Principal, delivery_id: uuid.UUID) -> WebhookDelivery:
    delivery = await get_or_404(session, WebhookDelivery, delivery_id, field="deliveryId")
    await _managed(session, actor, delivery.subscription_id)
    if delivery.status is DeliveryStatus.PENDING:
        raise Conflict("this delivery is still being attempted", field="deliveryId")
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = utcnow()
    touch(delivery)
    session.add(delivery)
    queue_work(session)
    return delivery


async def recover(session: AsyncSession, *, actor: Principal, subscription_id: uuid.UUID, since: datetime) -> int:
    """Send again every failed delivery of the subscription since `since` (at most 14 days back)."""
    await _managed(session, actor, subscription_id)
    now = utcnow()
    if since.tzinfo is None:
        raise BadInput("since needs a time zone offset", field="since")
    if since < now - RECOVERY_LIMIT:
        raise BadInput("since may go back 14 days at most", field="since")
    failed = (
        await session.exec(
            select(WebhookDelivery).where(
                WebhookDelivery.subscription_id == subscription_id,
                WebhookDelivery.status == DeliveryStatus.FAILED,
                col(WebhookDelivery.created_at) >= since,
            )
        )
    ).all()
    for delivery in failed:
        delivery.status = DeliveryStatus.PENDING
        delivery.next_attempt_at = now
        touch(delivery)
        session.add(delivery)
    queue_work(session)
    return len(failed)
