"""Managing webhooks over GraphQL, and reading their delivery log."""

from __future__ import annotations

from typing import Any

from standardwebhooks import Webhook

from integrations.http import create_client
from tests.support.builders import small_plan
from tests.support.event_world import SECRET_HOOK
from tests.support.graphql import Client, error_codes
from tests.support.receiver import receiver
from tests.support.tokens import token_for
from tracker.api.core.relay import encode_id
from tracker.db import Database
from tracker.jobs.deliveries import DeliveryWorker
from tracker.models import Role
from tracker.settings import Settings

CREATE = """
mutation($input: CreateWebhookSubscriptionInput!) {
  createWebhookSubscription(input: $input) {
    subscription { id url format eventTypes scopeId active } secret testDelivery { id webhookId eventType status }
  }
}
"""
PING = "mutation($input: WebhookSubscriptionIdInput!) { pingWebhook(input: $input) { delivery { id webhookId } } }"
LOG = """
query($id: ID!) {
  node(id: $id) {
    ... on WebhookSubscription {
      deliveries { totalCount edges { node { eventType status attemptCount attempts { number outcome statusCode } } } }
    }
  }
}
"""


async def _create(client: Client, db: Database, url: str, **extra: Any) -> dict[str, Any]:
    """A subscription to the small plan's collectivity, without a test delivery unless asked."""
    plan, _ = await small_plan(db)
    scope = encode_id("Collectivity", plan.collectivity_id)
    variables = {"input": {"url": url, "format": "STANDARD", "scopeId": scope, "sendTest": False, **extra}}
    result: dict[str, Any] = (await client.data(CREATE, variables, admin=True))["createWebhookSubscription"]
    return result


async def _send_due(db: Database) -> int:
    async with create_client(allow_private=True) as http:
        return await DeliveryWorker(db, http, base_url="http://tracker.test").run_once()


async def test_the_secret_is_shown_once_at_creation(client: Client, db: Database) -> None:
    created = await _create(client, db, "http://127.0.0.1:9/hook", eventTypes=["milestone.*"])
    assert created["secret"].startswith("whsec_")
    assert created["subscription"]["eventTypes"] == ["milestone.*"]
    schema_types = await client.data('{ __type(name: "WebhookSubscription") { fields { name } } }')
    assert "secret" not in {field["name"] for field in schema_types["__type"]["fields"]}


async def test_a_ping_reaches_the_receiver_signed_and_is_logged(client: Client, db: Database) -> None:
    with receiver() as hook:
        created = await _create(client, db, hook.url)
        ping = await client.data(PING, {"input": {"id": created["subscription"]["id"]}}, admin=True)
        assert await _send_due(db) == 1
    request = hook.received[0]
    payload = Webhook(created["secret"]).verify(request.body, request.headers)
    assert payload["type"] == "webhook.ping"
    assert request.headers["webhook-id"] == ping["pingWebhook"]["delivery"]["webhookId"]
    log = (await client.data(LOG, {"id": created["subscription"]["id"]}, admin=True))["node"]["deliveries"]
    assert log["edges"][0]["node"] == {
        "eventType": "webhook.ping",
        "status": "SUCCEEDED",
        "attemptCount": 1,
        "attempts": [{"number": 1, "outcome": "SUCCESS", "statusCode": 200}],
    }


async def test_a_new_subscription_gets_a_signed_test_delivery_by_default(client: Client, db: Database) -> None:
    plan, _ = await small_plan(db)
    scope = encode_id("Collectivity", plan.collectivity_id)
    with receiver() as hook:
        variables = {"input": {"url": hook.url, "format": "STANDARD", "scopeId": scope}}
        created = (await client.data(CREATE, variables, admin=True))["createWebhookSubscription"]
        assert await _send_due(db) == 1
    [request] = hook.received
    payload = Webhook(created["secret"]).verify(request.body, request.headers)
    assert payload["type"] == "webhook.ping"
    assert request.headers["webhook-id"] == created["testDelivery"]["webhookId"]
    assert created["testDelivery"]["eventType"] == "webhook.ping"
    log = (await client.data(LOG, {"id": created["subscription"]["id"]}, admin=True))["node"]["deliveries"]
    assert [edge["node"]["status"] for edge in log["edges"]] == ["SUCCEEDED"]


async def test_a_subscription_created_without_test_sends_nothing(client: Client, db: Database) -> None:
    with receiver() as hook:
        created = await _create(client, db, hook.url, sendTest=False)
        assert await _send_due(db) == 0
    assert created["testDelivery"] is None
    assert hook.received == []
    log = (await client.data(LOG, {"id": created["subscription"]["id"]}, admin=True))["node"]["deliveries"]
    assert log["totalCount"] == 0


async def test_a_failed_delivery_can_be_redelivered(client: Client, db: Database) -> None:
    with receiver(404, 200) as hook:
        created = await _create(client, db, hook.url)
        ping = await client.data(PING, {"input": {"id": created["subscription"]["id"]}}, admin=True)
        await _send_due(db)
        redeliver = (
            "mutation($input: RedeliverWebhookInput!) { redeliverWebhook(input: $input) { delivery { status } } }"
        )
        again = await client.data(
            redeliver, {"input": {"deliveryId": ping["pingWebhook"]["delivery"]["id"]}}, admin=True
        )
        assert again["redeliverWebhook"]["delivery"]["status"] == "PENDING"
        await _send_due(db)
    assert len({request.headers["webhook-id"] for request in hook.received}) == 1
    log = (await client.data(LOG, {"id": created["subscription"]["id"]}, admin=True))["node"]["deliveries"]
    assert log["edges"][0]["node"]["status"] == "SUCCEEDED"
    assert [attempt["statusCode"] for attempt in log["edges"][0]["node"]["attempts"]] == [404, 200]


async def test_an_unknown_event_type_names_the_field(client: Client, db: Database) -> None:
    variables = {"input": {"url": "http://127.0.0.1:9/", "format": "SLACK", "eventTypes": ["milestone.finished"]}}
    body = await client.execute(CREATE, variables, admin=True)
    assert error_codes(body) == [("BAD_USER_INPUT", "eventTypes")]


async def test_a_private_address_is_refused_on_url_by_default(settings: Settings, db: Database) -> None:
    strict = Client(settings.model_copy(update={"allow_private_targets": False}), db)
    await strict.start()
    strict.admin_token = await token_for(db, Role.ADMIN)
    try:
        body = await strict.execute(
            CREATE, {"input": {"url": "http://127.0.0.1:9/hook", "format": "STANDARD"}}, admin=True
        )
    finally:
        await strict.close()
    assert error_codes(body) == [("BAD_USER_INPUT", "url")]


async def test_editors_list_only_their_collectivity_subscriptions(client: Client, db: Database) -> None:
    created = await _create(client, db, "http://127.0.0.1:9/a")
    await client.data(CREATE, {"input": {"url": "http://127.0.0.1:9/network", "format": "STANDARD"}}, admin=True)
    editor = await token_for(db, Role.EDITOR, collectivity="tiznit")
    query = "{ webhookSubscriptions { totalCount edges { node { id } } } }"
    mine = await client.data(query, headers=client.bearer(editor))
    everything = await client.data(query, admin=True)
    assert [edge["node"]["id"] for edge in mine["webhookSubscriptions"]["edges"]] == [created["subscription"]["id"]]
    assert everything["webhookSubscriptions"]["totalCount"] == 2


async def test_a_subscription_url_reads_back_as_its_host_only(client: Client, db: Database) -> None:
    created = await _create(client, db, f"{SECRET_HOOK}?x=1")
    query = "query($id: ID!) { node(id: $id) { ... on WebhookSubscription { url } } }"
    read = await client.data(query, {"id": created["subscription"]["id"]}, admin=True)
    assert created["subscription"]["url"] == "http://127.0.0.1:9/…"
    assert read["node"]["url"] == "http://127.0.0.1:9/…"
