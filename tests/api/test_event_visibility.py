"""Who reads which events through the `events` query: one rule, by role.

Anonymous readers see the events of public plans only; a plan set back to draft takes its
events with it. Webhook and source events (URLs, errors) are for those who manage them.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.accountability import Place, place_with_body
from tests.support.event_world import (
    DRAFT_TITLE,
    INTERNAL_SOURCE_PATH,
    SECRET_HOOK,
    disabled_webhook,
    failing_source,
    posted_then_hidden_comment,
    publish_with_a_new_title,
    set_back_to_draft_and_retitle,
)
from tests.support.graphql import Client
from tests.support.publisher import publisher
from tracker.access import redacted_url
from tracker.db import Database
from tracker.models import PlanStatus

EVENTS = """
query($filter: EventFilter) { events(filter: $filter, first: 100) { edges { node { type data } } } }
"""
ROLES = ("ADMIN", "EDITOR_OWN", "EDITOR_OTHER", "MONITOR_OWN", "MONITOR_OTHER", "ANONYMOUS")


async def _two_places(db: Database, status: PlanStatus = PlanStatus.ADOPTED) -> tuple[Place, Place]:
    """Tiznit, whose events the tests are about, and Agadir, whose people are strangers to them."""
    return await place_with_body(db, status=status), await place_with_body(db, slug="agadir")


def _headers(client: Client, own: Place, other: Place, role: str) -> dict[str, str]:
    tokens = {
        "ADMIN": client.admin_token,
        "EDITOR_OWN": own.editor,
        "EDITOR_OTHER": other.editor,
        "MONITOR_OWN": own.monitor,
        "MONITOR_OTHER": other.monitor,
    }
    return client.bearer(tokens[role]) if role in tokens else {}


async def _events(client: Client, headers: dict[str, str], slug: str = "tiznit") -> list[dict[str, Any]]:
    data = await client.data(EVENTS, {"filter": {"collectivitySlug": slug}}, headers=headers)
    return [edge["node"] for edge in data["events"]["edges"]]


async def _events_as(client: Client, places: tuple[Place, Place], role: str) -> list[dict[str, Any]]:
    return await _events(client, _headers(client, *places, role))


async def test_anonymous_readers_lose_the_events_of_a_plan_set_back_to_draft(client: Client, db: Database) -> None:
    await place_with_body(db)
    await set_back_to_draft_and_retitle(db, "tiznit")
    events = await _events(client, {})
    assert {event["type"] for event in events} == {"collectivity.created", "body.created"}
    assert DRAFT_TITLE not in json.dumps(events)


async def test_a_monitor_does_not_read_webhook_events(client: Client, db: Database) -> None:
    place = await place_with_body(db)
    await disabled_webhook(db, "tiznit")
    events = await _events(client, client.bearer(place.monitor))
    assert not [event for event in events if event["type"].startswith("webhook.")]
    assert urlsplit(SECRET_HOOK).path not in json.dumps(events)


async def test_webhook_urls_read_back_through_events_show_their_host_only(client: Client, db: Database) -> None:
    place = await place_with_body(db)
    await disabled_webhook(db, "tiznit")
    events = await _events(client, client.bearer(place.editor))
    disabled = next(event for event in events if event["type"] == "webhook.disabled")
    assert disabled["data"]["url"] == "http://127.0.0.1:9/…"
    assert urlsplit(SECRET_HOOK).path not in json.dumps(events)


async def test_anonymous_readers_do_not_read_source_events(client: Client, db: Database) -> None:
    place = await place_with_body(db)
    with publisher() as site:
        await failing_source(client, site, place.commitment_id)
    events = await _events(client, {})
    assert not [event for event in events if event["type"].startswith("source.")]
    assert INTERNAL_SOURCE_PATH not in json.dumps(events)


@pytest.mark.parametrize("role", ROLES)
async def test_webhook_and_source_events_reach_only_who_manages_them(client: Client, db: Database, role: str) -> None:
    places = await _two_places(db)
    await disabled_webhook(db, "tiznit")
    with publisher() as site:
        await failing_source(client, site, places[0].commitment_id)
    types = {event["type"] for event in await _events_as(client, places, role)}
    managed = {"webhook.disabled", "source.failed"}
    assert types & managed == (managed if role in ("ADMIN", "EDITOR_OWN") else set())
    assert "milestone.created" in types


@pytest.mark.parametrize("role", ROLES)
async def test_the_events_of_a_plan_back_in_draft_reach_only_who_reads_drafts(
    client: Client, db: Database, role: str
) -> None:
    places = await _two_places(db)
    await set_back_to_draft_and_retitle(db, "tiznit")
    events = await _events_as(client, places, role)
    reads_drafts = role in ("ADMIN", "EDITOR_OWN", "MONITOR_OWN")
    assert ("milestone.created" in {event["type"] for event in events}) is reads_drafts
    assert (DRAFT_TITLE in json.dumps(events)) is reads_drafts


@pytest.mark.parametrize("role", ROLES)
async def test_the_event_publishing_a_plan_shows_its_draft_values_only_to_who_reads_drafts(
    client: Client, db: Database, role: str
) -> None:
    places = await _two_places(db, status=PlanStatus.DRAFT)
    await publish_with_a_new_title(db, "tiznit", "Plan adopté")
    events = await _events_as(client, places, role)
    published = next(event for event in events if event["type"] == "plan.updated")
    changes = published["data"]["changes"]
    assert changes["status"] == {"before": "DRAFT", "after": "ADOPTED"}
    assert changes["title"]["after"]["fr"] == "Plan adopté"
    draft_title = changes["title"]["before"]
    assert draft_title == ({"fr": "Plan", "ar": "خطة"} if role in ("ADMIN", "EDITOR_OWN", "MONITOR_OWN") else None)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://hooks.slack.com/services/T0/B0/token", "https://hooks.slack.com/…"),
        ("https://user:password@example.org:8443/hook?key=1#x", "https://example.org:8443/…"),
        ("http://[::1]:9/hook", "http://[::1]:9/…"),
        ("not a url", "…"),
        ("http://example.org:99999/x", "…"),
    ],
)
def test_a_redacted_url_keeps_scheme_host_and_port_only(url: str, shown: str) -> None:
    assert redacted_url(url) == shown


@pytest.mark.parametrize("role", ROLES)
async def test_a_hidden_comments_text_leaves_its_event_except_for_admins(
    client: Client, db: Database, role: str
) -> None:
    places = await _two_places(db)
    await posted_then_hidden_comment(db, "tiznit", "Texte injurieux")
    events = await _events_as(client, places, role)
    created = next(event for event in events if event["type"] == "comment.created")
    assert created["data"]["comment"]["text"] == ("Texte injurieux" if role == "ADMIN" else None)
