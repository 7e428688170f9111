"""`/oembed?url=...`: the oEmbed 1.0 answer (https://oembed.com) for a commitment's or a
collectivity's page, and the spec's refusals."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest

from tests.support.accountability import place_with_body
from tests.support.builders import ait_melloul
from tests.support.graphql import Client
from tests.support.pages import first_commitment_id
from tracker.db import Database
from tracker.models import PlanStatus

# What the spec requires of every answer, and of a "rich" one (section 2.3.4).
REQUIRED = {"type": str, "version": str}
REQUIRED_RICH = {"html": str, "width": int, "height": int}
OPTIONAL = {
    "title": str,
    "author_name": str,
    "author_url": str,
    "provider_name": str,
    "provider_url": str,
    "cache_age": int,
    "thumbnail_url": str,
    "thumbnail_width": int,
    "thumbnail_height": int,
}


def _valid_rich(answer: dict[str, Any]) -> None:
    """The spec's rules for a rich answer: required fields with their types, known optional ones
    typed, and the html an iframe whose size is the answer's."""
    for name, kind in {**REQUIRED, **REQUIRED_RICH}.items():
        assert isinstance(answer.get(name), kind), name
    for name, kind in OPTIONAL.items():
        if name in answer:
            assert isinstance(answer[name], kind), name
    assert answer["version"] == "1.0"
    assert answer["type"] == "rich"
    assert answer["width"] > 0 and answer["height"] > 0
    iframe = re.fullmatch(
        r'<iframe src="([^"]+)" width="(\d+)" height="(\d+)" title="[^"]+"[^>]*></iframe>', answer["html"]
    )
    assert iframe is not None, answer["html"]
    assert (int(iframe.group(2)), int(iframe.group(3))) == (answer["width"], answer["height"])


def _base(client: Client) -> str:
    return str(client.app.state.settings.base_url).rstrip("/")


async def _commitment(client: Client, db: Database) -> str:
    await ait_melloul(db)
    return await first_commitment_id(client, "ait-melloul")


async def _ask(client: Client, url: str, **parameters: str) -> Any:
    query = "&".join(f"{name}={quote(value, safe='')}" for name, value in {"url": url, **parameters}.items())
    return await client.http.get(f"/oembed?{query}")


async def test_a_commitment_page_s_answer_is_a_valid_rich_embed_of_its_card(client: Client, db: Database) -> None:
    commitment_id = await _commitment(client, db)
    response = await _ask(client, f"{_base(client)}/commitments/{commitment_id}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    answer = response.json()
    _valid_rich(answer)
    assert f'src="{_base(client)}/embed/commitments/{commitment_id}"' in answer["html"]
    assert answer["title"].startswith("AM-1 · ")
    assert answer["provider_url"] == f"{_base(client)}/"
    assert answer["author_url"] == f"{_base(client)}/c/ait-melloul"


async def test_a_collectivity_page_s_answer_is_a_valid_rich_embed_of_its_card(client: Client, db: Database) -> None:
    await ait_melloul(db)
    response = await _ask(client, f"{_base(client)}/c/ait-melloul")
    assert response.status_code == 200
    answer = response.json()
    _valid_rich(answer)
    assert f'src="{_base(client)}/embed/c/ait-melloul"' in answer["html"]


async def test_a_card_s_own_address_gives_the_same_answer_as_its_page(client: Client, db: Database) -> None:
    commitment_id = await _commitment(client, db)
    page = await _ask(client, f"{_base(client)}/commitments/{commitment_id}")
    card = await _ask(client, f"{_base(client)}/embed/commitments/{commitment_id}")
    assert card.json() == page.json()


async def test_the_language_the_address_asks_for_is_the_card_s_and_the_title_s(client: Client, db: Database) -> None:
    await ait_melloul(db)
    answer = (await _ask(client, f"{_base(client)}/c/ait-melloul?lang=ar")).json()
    assert f'src="{_base(client)}/embed/c/ait-melloul?lang=ar"' in answer["html"]
    assert re.search("[\u0600-\u06ff]", answer["title"])
    assert re.search("[\u0600-\u06ff]", answer["provider_name"])


async def test_maxwidth_and_maxheight_bound_the_size(client: Client, db: Database) -> None:
    await ait_melloul(db)
    answer = (await _ask(client, f"{_base(client)}/c/ait-melloul", maxwidth="300", maxheight="200")).json()
    _valid_rich(answer)
    assert answer["width"] <= 300
    assert answer["height"] <= 200


async def test_bounds_larger_than_the_card_leave_its_size(client: Client, db: Database) -> None:
    await ait_melloul(db)
    unbounded = (await _ask(client, f"{_base(client)}/c/ait-melloul")).json()
    bounded = (await _ask(client, f"{_base(client)}/c/ait-melloul", maxwidth="5000", maxheight="5000")).json()
    assert (bounded["width"], bounded["height"]) == (unbounded["width"], unbounded["height"])


@pytest.mark.parametrize("name", ["maxwidth", "maxheight"])
@pytest.mark.parametrize("value", ["0", "-5", "wide", "1.5"])
async def test_a_size_that_is_not_a_positive_whole_number_is_refused_naming_it(
    client: Client, db: Database, name: str, value: str
) -> None:
    await ait_melloul(db)
    response = await _ask(client, f"{_base(client)}/c/ait-melloul", **{name: value})
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": name}
    assert name in error["message"]


async def test_a_missing_url_is_refused_with_a_message_naming_it(client: Client, db: Database) -> None:
    for query in ("", "?url=", "?format=json"):
        response = await client.http.get(f"/oembed{query}")
        assert response.status_code == 400, query
        error = response.json()["errors"][0]
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "url"}
        assert "url is required" in error["message"]


async def test_xml_is_not_implemented(client: Client, db: Database) -> None:
    await ait_melloul(db)
    response = await _ask(client, f"{_base(client)}/c/ait-melloul", format="xml")
    assert response.status_code == 501
    assert response.json()["errors"][0]["extensions"]["field"] == "format"


async def test_json_asked_for_by_name_is_answered(client: Client, db: Database) -> None:
    await ait_melloul(db)
    response = await _ask(client, f"{_base(client)}/c/ait-melloul", format="json")
    assert response.status_code == 200


async def test_addresses_that_are_not_ours_are_not_found(client: Client, db: Database) -> None:
    commitment_id = await _commitment(client, db)
    base = _base(client)
    plan = await client.data('query { collectivity(slug: "ait-melloul") { currentPlan { id } } }')
    for url in (
        f"https://elsewhere.example/commitments/{commitment_id}",
        f"{base.replace('127.0.0.1', '127.0.0.2')}/c/ait-melloul",
        f"{base}:9/c/ait-melloul",
        "ftp://127.0.0.1:8000/c/ait-melloul",
        f"{base}/c/ait-melloul/plans/{plan['collectivity']['currentPlan']['id']}",
        f"{base}/",
        f"{base}/feeds/ait-melloul.atom",
        "/c/ait-melloul",
        "not a url at all",
        f"{base}/c/" + "a" * 3000,
    ):
        response = await _ask(client, url)
        assert response.status_code == 404, url
        assert response.json()["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "url"}


async def test_an_unknown_slug_or_commitment_is_not_found(client: Client, db: Database) -> None:
    await ait_melloul(db)
    for path in ("/c/nowhere", "/commitments/Q29tbWl0bWVudDp4", "/embed/commitments/x"):
        response = await _ask(client, f"{_base(client)}{path}")
        assert response.status_code == 404, path


async def test_an_unpublished_commitment_is_not_found_like_its_page(client: Client, db: Database) -> None:
    place = await place_with_body(db, status=PlanStatus.DRAFT)
    response = await _ask(client, f"{_base(client)}/commitments/{place.commitment_id}")
    assert response.status_code == 404
    assert "Engagement 0" not in response.text


async def test_the_answer_follows_the_base_url_s_scheme_host_and_path(client: Client, db: Database) -> None:
    await ait_melloul(db)
    client.app.state.settings = client.app.state.settings.model_copy(
        update={"base_url": "https://suivi.example/tracker/"}
    )
    ours = await _ask(client, "https://suivi.example/tracker/c/ait-melloul")
    assert ours.status_code == 200
    assert 'src="https://suivi.example/tracker/embed/c/ait-melloul"' in ours.json()["html"]
    assert ours.json()["provider_url"] == "https://suivi.example/tracker/"
    assert (await _ask(client, "https://suivi.example/c/ait-melloul")).status_code == 404
