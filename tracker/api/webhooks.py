"""Webhook subscriptions and their delivery log, for administrators and editors."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from sqlmodel import col, select

from tracker import models
from tracker.access import can_manage, redacted_url
from tracker.api.core.context import Context, Info
from tracker.api.core.inputs import required
from tracker.api.core.relay import Connection, Node, PageArgs, connection, decode_id, encode_id, page_of_select
from tracker.api.core.writes import perform
from tracker.errors import Forbidden, Unauthenticated
from tracker.models.enums import Role
from tracker.services import webhooks

SCOPE_TYPES = ("Collectivity", "ActionPlan", "Commitment")


@strawberry.type(description="One try at delivering a webhook.")
class WebhookAttempt:
    number: int = strawberry.field(description="1 for the first try.")
    outcome: models.AttemptOutcome = strawberry.field(description="Success, worth retrying, or final failure.")
    status_code: int | None = strawberry.field(description="HTTP status answered, if any.")
    duration_ms: int = strawberry.field(description="How long the request took.")
    response_body: str | None = strawberry.field(description="Start of the answer (4 KB at most).")
    error: str | None = strawberry.field(description="What went wrong before any answer.")
    attempted_at: datetime = strawberry.field(description="When the try was made.")
    next_attempt_at: datetime | None = strawberry.field(description="When the next try is due, if any.")


@strawberry.type(description="One event for one subscription; retries keep its webhook-id.")
class WebhookDelivery(Node):
    row: strawberry.Private[models.WebhookDelivery]
    event_type: str = strawberry.field(description="The event delivered.")
    status: models.DeliveryStatus = strawberry.field(description="PENDING until it succeeds or fails for good.")
    attempt_count: int = strawberry.field(description="Tries so far.")
    next_attempt_at: datetime | None = strawberry.field(description="When the next try is due.")
    created_at: datetime = strawberry.field(description="When the event was fanned out to the subscription.")

    @classmethod
    def from_row(cls, row: models.WebhookDelivery) -> WebhookDelivery:
        return cls(
            id=strawberry.ID(encode_id("WebhookDelivery", row.id)),
            row=row,
            event_type=row.event_type,
            status=row.status,
            attempt_count=row.attempt_count,
            next_attempt_at=row.next_attempt_at,
            created_at=row.created_at,
        )

    @strawberry.field(description="The `webhook-id` header: the receiver's key to drop duplicates.")
    def webhook_id(self) -> str:
        return f"msg_{self.row.id.hex}"

    @strawberry.field(description="Every try, oldest first.")
    async def attempts(self, info: Info) -> list[WebhookAttempt]:
        rows = await info.context.loaders.attempts_by_delivery.load(self.row.id)
        return [
            WebhookAttempt(
                number=row.number,
                outcome=row.outcome,
                status_code=row.status_code,
                duration_ms=row.duration_ms,
                response_body=row.response_body,
                error=row.error,
                attempted_at=row.created_at,
                next_attempt_at=row.next_attempt_at,
            )
            for row in rows
        ]


@strawberry.type(description="Where and what to announce, signed with a secret shown once.")
class WebhookSubscription(Node):
    row: strawberry.Private[models.WebhookSubscription]
    url: str = strawberry.field(
        description="Receiver, as `scheme://host/…`: the full URL is a credential (chat platforms keep a "
        "token in its path), so it is never read back, only replaced."
    )
    format: models.WebhookFormat = strawberry.field(description="Body format: Standard Webhooks, CloudEvents, chat...")
    event_types: list[str] = strawberry.field(description="Event types or patterns (milestone.*); empty = all.")
    lang: str = strawberry.field(description="Language of chat text.")
    active: bool = strawberry.field(description="False once disabled (by hand, by 410, or after 5 failing days).")
    disabled_at: datetime | None = strawberry.field(description="When it was disabled automatically.")
    disabled_reason: str | None = strawberry.field(description="Why it was disabled automatically.")
    failing_since: datetime | None = strawberry.field(description="Start of the current run of failures.")
    created_at: datetime = strawberry.field(description="When it was created.")

    @classmethod
    def from_row(cls, row: models.WebhookSubscription) -> WebhookSubscription:
        return cls(
            id=strawberry.ID(encode_id("WebhookSubscription", row.id)),
            row=row,
            url=redacted_url(row.url),
            format=row.format,
            event_types=list(row.event_types),
            lang=row.lang,
            active=row.active,
            disabled_at=row.disabled_at,
            disabled_reason=row.disabled_reason,
            failing_since=row.failing_since,
            created_at=row.created_at,
        )

    @strawberry.field(description="What it listens to: a collectivity, plan or commitment; null = the network.")
    def scope_id(self) -> strawberry.ID | None:
        if self.row.scope_type is None or self.row.scope_id is None:
            return None
        return strawberry.ID(encode_id(self.row.scope_type, self.row.scope_id))

    @strawberry.field(description="The delivery log, newest first.")
    async def deliveries(
        self,
        info: Info,
        status: models.DeliveryStatus | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[WebhookDelivery]:
        args = PageArgs(first=first, after=after, last=last, before=before)
        query = select(models.WebhookDelivery).where(models.WebhookDelivery.subscription_id == self.row.id)
        if status is not None:
            query = query.where(models.WebhookDelivery.status == status)
        async with info.context.reading() as session:
            rows, start, total = await page_of_select(
                session, query, args, col(models.WebhookDelivery.created_at).desc(), col(models.WebhookDelivery.id)
            )
        return connection([WebhookDelivery.from_row(row) for row in rows], start=start, total=total)


@strawberry.type
class WebhookQuery:
    @strawberry.field(
        description="Subscriptions the caller manages (all for admins, their collectivity's for editors)."
    )
    async def webhook_subscriptions(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[WebhookSubscription]:
        principal = info.context.principal
        if not principal.is_authenticated:
            raise Unauthenticated("sign in with a bearer token")
        if principal.role not in (Role.ADMIN, Role.EDITOR):
            raise Forbidden("only administrators and editors manage webhooks")
        args = PageArgs(first=first, after=after, last=last, before=before)
        query = select(models.WebhookSubscription)
        if principal.role is Role.EDITOR:
            query = query.where(models.WebhookSubscription.collectivity_id == principal.collectivity_id)
        async with info.context.reading() as session:
            rows, start, total = await page_of_select(session, query, args, col(models.WebhookSubscription.created_at))
        return connection([WebhookSubscription.from_row(row) for row in rows], start=start, total=total)


@strawberry.input(description="A new webhook subscription.")
class CreateWebhookSubscriptionInput:
    url: str = strawberry.field(description="Receiver URL (http or https, public address).")
    format: models.WebhookFormat = strawberry.field(description="Body format.")
    event_types: list[str] = strawberry.field(default_factory=list, description="Types or patterns; empty = all.")
    lang: str = strawberry.field(default="ar", description="Language of chat text: ar, fr, en or zgh.")
    scope_id: strawberry.ID | None = strawberry.field(
        default=None, description="A collectivity, plan or commitment; left out = the whole network (admins)."
    )
    send_test: bool = strawberry.field(
        default=True,
        description="Queue a test event (webhook.ping) to the new subscription at once, as pingWebhook does.",
    )


@strawberry.type(description="Result of createWebhookSubscription: the secret is shown this once.")
class CreateWebhookSubscriptionPayload:
    subscription: WebhookSubscription = strawberry.field(description="The new subscription.")
    secret: str = strawberry.field(description="Signing secret (whsec_...). Store it now: it is never shown again.")
    test_delivery: WebhookDelivery | None = strawberry.field(
        description="The test delivery queued (sendTest), due now; null when none was asked for."
    )


@strawberry.input(description="Changes to a subscription; fields left out stay as they are.")
class UpdateWebhookSubscriptionInput:
    id: strawberry.ID = strawberry.field(description="The subscription.")
    url: str | None = strawberry.field(default=strawberry.UNSET, description="New URL.")
    format: models.WebhookFormat | None = strawberry.field(default=strawberry.UNSET, description="New format.")
    event_types: list[str] | None = strawberry.field(default=strawberry.UNSET, description="New types or patterns.")
    lang: str | None = strawberry.field(default=strawberry.UNSET, description="New language.")
    active: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Switch on (clears a disabling) or off."
    )


@strawberry.type(description="Result of a subscription change.")
class WebhookSubscriptionPayload:
    subscription: WebhookSubscription = strawberry.field(description="The subscription.")


@strawberry.input(description="Which subscription.")
class WebhookSubscriptionIdInput:
    id: strawberry.ID = strawberry.field(description="The subscription.")


@strawberry.type(description="Result of deleteWebhookSubscription.")
class DeleteWebhookSubscriptionPayload:
    deleted_id: strawberry.ID = strawberry.field(description="Global ID of the deleted subscription.")


@strawberry.type(description="Result of rotateWebhookSecret: the new secret, shown once.")
class RotateWebhookSecretPayload:
    subscription: WebhookSubscription = strawberry.field(description="The subscription.")
    secret: str = strawberry.field(description="The new secret; the old one also signs for 24 hours.")


@strawberry.type(description="Result of a delivery mutation.")
class WebhookDeliveryPayload:
    delivery: WebhookDelivery = strawberry.field(description="The delivery, due now.")


@strawberry.input(description="Which delivery to send again.")
class RedeliverWebhookInput:
    delivery_id: strawberry.ID = strawberry.field(description="The delivery.")


@strawberry.input(description="Send again the failed deliveries of a subscription since a time.")
class RecoverWebhookDeliveriesInput:
    subscription_id: strawberry.ID = strawberry.field(description="The subscription.")
    since: datetime = strawberry.field(description="At most 14 days ago.")


@strawberry.type(description="Result of recoverWebhookDeliveries.")
class RecoverWebhookDeliveriesPayload:
    count: int = strawberry.field(description="How many deliveries are due again.")


def _subscription_key(value: strawberry.ID, field: str = "id") -> uuid.UUID:
    return decode_id(str(value), field=field, expect="WebhookSubscription")[1]


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(description="Subscribe a URL to events (admins; editors for their collectivity).")
    async def create_webhook_subscription(
        self, info: Info, input: CreateWebhookSubscriptionInput
    ) -> CreateWebhookSubscriptionPayload:
        scope_type, scope_id = (None, None)
        if input.scope_id is not None:
            scope_type, scope_id = decode_id(str(input.scope_id), field="scopeId", expect=SCOPE_TYPES)
        row, secret, test = await perform(
            info,
            webhooks.subscribe,
            url=input.url,
            format=input.format,
            event_types=input.event_types,
            lang=input.lang,
            scope_type=scope_type,
            scope_id=scope_id,
            allow_private=info.context.settings.allow_private_targets,
            send_test=input.send_test,
        )
        return CreateWebhookSubscriptionPayload(
            subscription=WebhookSubscription.from_row(row),
            secret=secret,
            test_delivery=WebhookDelivery.from_row(test) if test is not None else None,
        )

    @strawberry.mutation(description="Change a subscription.")
    async def update_webhook_subscription(
        self, info: Info, input: UpdateWebhookSubscriptionInput
    ) -> WebhookSubscriptionPayload:
        row = await perform(
            info,
            webhooks.update_subscription,
            id=_subscription_key(input.id),
            url=required(input.url, "url"),
            format=required(input.format, "format"),
            event_types=required(input.event_types, "eventTypes"),
            lang=required(input.lang, "lang"),
            active=required(input.active, "active"),
            allow_private=info.context.settings.allow_private_targets,
        )
        return WebhookSubscriptionPayload(subscription=WebhookSubscription.from_row(row))

    @strawberry.mutation(description="Delete a subscription and its delivery log.")
    async def delete_webhook_subscription(
        self, info: Info, input: WebhookSubscriptionIdInput
    ) -> DeleteWebhookSubscriptionPayload:
        row = await perform(info, webhooks.delete_subscription, id=_subscription_key(input.id))
        return DeleteWebhookSubscriptionPayload(deleted_id=strawberry.ID(encode_id("WebhookSubscription", row.id)))

    @strawberry.mutation(description="Replace the signing secret; both sign for 24 hours.")
    async def rotate_webhook_secret(self, info: Info, input: WebhookSubscriptionIdInput) -> RotateWebhookSecretPayload:
        row, secret = await perform(info, webhooks.rotate_secret, id=_subscription_key(input.id))
        return RotateWebhookSecretPayload(subscription=WebhookSubscription.from_row(row), secret=secret)

    @strawberry.mutation(description="Send a test event (webhook.ping) to this subscription.")
    async def ping_webhook(self, info: Info, input: WebhookSubscriptionIdInput) -> WebhookDeliveryPayload:
        row = await perform(info, webhooks.ping, id=_subscription_key(input.id))
        return WebhookDeliveryPayload(delivery=WebhookDelivery.from_row(row))

    @strawberry.mutation(description="Send one delivery again, with the same webhook-id.")
    async def redeliver_webhook(self, info: Info, input: RedeliverWebhookInput) -> WebhookDeliveryPayload:
        key = decode_id(str(input.delivery_id), field="deliveryId", expect="WebhookDelivery")[1]
        row = await perform(info, webhooks.redeliver, delivery_id=key)
        return WebhookDeliveryPayload(delivery=WebhookDelivery.from_row(row))

    @strawberry.mutation(description="Send again every failed delivery since a time (14 days at most).")
    async def recover_webhook_deliveries(
        self, info: Info, input: RecoverWebhookDeliveriesInput
    ) -> RecoverWebhookDeliveriesPayload:
        count = await perform(
            info,
            webhooks.recover,
            subscription_id=_subscription_key(input.subscription_id, "subscriptionId"),
            since=input.since,
        )
        return RecoverWebhookDeliveriesPayload(count=count)


async def load_node(context: Context, type_name: str, key: uuid.UUID) -> Node | None:
    """Subscriptions and deliveries by global ID, for those who manage them."""
    loaders = context.loaders
    if type_name == "WebhookSubscription":
        subscription = await loaders.subscription.load(key)
        if subscription is None or not can_manage(context.principal, subscription.collectivity_id):
            return None
        return WebhookSubscription.from_row(subscription)
    delivery = await loaders.delivery.load(key)
    if delivery is None:
        return None
    owner = await loaders.subscription.load(delivery.subscription_id)
    if owner is None or not can_manage(context.principal, owner.collectivity_id):
        return None
    return WebhookDelivery.from_row(delivery)
