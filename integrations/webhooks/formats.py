"""Request bodies per subscription format. Pure: an envelope in, bytes and a content type out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from integrations.envelope import Envelope
from integrations.webhooks import chat
from integrations.webhooks.rendered import Rendered


def _iso(envelope: Envelope) -> str:
    return envelope.occurred_at.isoformat().replace("+00:00", "Z")


def _data(envelope: Envelope) -> dict[str, Any]:
    links = {"graphqlId": envelope.subject_id}
    if envelope.dashboard_url:
        links["dashboard"] = envelope.dashboard_url
    return {
        "id": envelope.subject_id,
        "subjectType": envelope.subject_type,
        "collectivity": envelope.collectivity_slug,
        **envelope.data,
        "links": links,
    }


def standard(envelope: Envelope, lang: str) -> Rendered:
    """Standard Webhooks: `{"type", "timestamp", "data"}`."""
    body = {"type": envelope.type, "timestamp": _iso(envelope), "data": _data(envelope)}
    return Rendered(orjson.dumps(body), "application/json")


def cloudevents(envelope: Envelope, lang: str) -> Rendered:
    """CloudEvents 1.0, structured mode."""
    body = {
        "specversion": "1.0",
        "id": envelope.id,
        "source": envelope.source,
        "type": envelope.type,
        "time": _iso(envelope),
        "subject": envelope.subject_id,
        "datacontenttype": "application/json",
        "data": _data(envelope),
    }
    return Rendered(orjson.dumps(body), "application/cloudevents+json; charset=utf-8")


Renderer = Callable[[Envelope, str], Rendered]
RENDERERS: dict[str, Renderer] = {
    "STANDARD": standard,
    "CLOUDEVENTS": cloudevents,
    "SLACK": chat.slack,
    "MATTERMOST": chat.mattermost,
    "DISCORD": chat.discord,
    "TEAMS": chat.teams,
    "ROCKETCHAT": chat.rocketchat,
    "GOOGLE_CHAT": chat.google_chat,
}
