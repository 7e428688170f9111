"""Atom feeds: valid Atom 1.0, public events only, in the reader's language, cacheable."""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser

import feedparser
import pytest

from tests.support.accountability import place_with_body
from tests.support.builders import ait_melloul
from tests.support.event_world import DRAFT_TITLE, INTERNAL_SOURCE_PATH, failing_source, set_back_to_draft_and_retitle
from tests.support.graphql import Client
from tests.support.publisher import publisher
from tracker.db import Database
from tracker.models import PlanStatus
from tracker.web.security_headers import PAGE_POLICY


async def test_the_feed_is_valid_atom_with_newest_entries_first(client: Client, db: Database) -> None:
    await ait_melloul(db)
    response = await client.http.get("/feeds/ait-melloul.atom?lang=fr")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.title == "Aït Melloul"
    assert len(parsed.entries) == 50
    updated = [entry.updated for entry in parsed.entries]
    assert updated == sorted(updated, reverse=True)


async def test_after_loading_the_demo_the_feed_starts_with_what_happened_in_time_order(
    client: Client, db: Database
) -> None:
    loaded_at = datetime.now(UTC)
    await ait_melloul(db)
    parsed = feedparser.parse((await client.http.get("/feeds/ait-melloul.atom?lang=fr")).content)
    terms = [entry.tags[0].term for entry in parsed.entries]
    published = [datetime.fromisoformat(entry.published) for entry in parsed.entries]
    assert published == sorted(published, reverse=True)
    # The seeded discussion (two comments, an assessment) is the only news of the load itself.
    assert sum(moment >= loaded_at for moment in published) == 3
    assert not any(term.endswith(".created") and term != "comment.created" for term in terms)
    assert "commitment.progress_changed" not in terms
    assert {"milestone.completed", "indicator.measured"} <= set(terms[3:])
    assert published[3] < datetime(2026, 1, 1, tzinfo=UTC)


async def test_entries_speak_the_readers_language(client: Client, db: Database) -> None:
    await ait_melloul(db)
    arabic = feedparser.parse((await client.http.get("/feeds/ait-melloul.atom?lang=ar")).content)
    french = feedparser.parse(
        (await client.http.get("/feeds/ait-melloul.atom", headers={"Accept-Language": "fr"})).content
    )
    assert any("\u0600" <= character <= "\u06ff" for character in arabic.entries[0].title)
    assert arabic.entries[0].title != french.entries[0].title
    assert arabic.feed.language == "ar"


async def test_pages_link_to_older_entries_without_overlap(client: Client, db: Database) -> None:
    await ait_melloul(db)
    first = feedparser.parse((await client.http.get("/feeds/ait-melloul.atom")).content)
    next_url = next(link.href for link in first.feed.links if link.rel == "next")
    second = feedparser.parse((await client.http.get(next_url.replace("http://127.0.0.1:8000", ""))).content)
    assert second.entries
    assert not {entry.id for entry in first.entries} & {entry.id for entry in second.entries}


async def test_an_unchanged_feed_answers_304(client: Client, db: Database) -> None:
    await ait_melloul(db)
    first = await client.http.get("/feeds/ait-melloul.atom")
    again = await client.http.get("/feeds/ait-melloul.atom", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


async def test_a_feed_etag_made_weak_by_a_proxy_still_answers_304(client: Client, db: Database) -> None:
    await ait_melloul(db)
    etag = (await client.http.get("/feeds/ait-melloul.atom")).headers["etag"]
    again = await client.http.get("/feeds/ait-melloul.atom", headers={"If-None-Match": f'"other", W/{etag}'})
    assert again.status_code == 304


async def test_draft_plans_stay_out_of_the_feed(client: Client, db: Database) -> None:
    place = await place_with_body(db, status=PlanStatus.DRAFT)
    parsed = feedparser.parse((await client.http.get(f"/feeds/{place.slug}.atom")).content)
    assert {tag.term for entry in parsed.entries for tag in entry.tags} == {"collectivity.created", "body.created"}


async def test_a_plan_has_its_own_feed(client: Client, db: Database) -> None:
    await ait_melloul(db)
    data = await client.data('{ collectivity(slug: "ait-melloul") { currentPlan { id } } }')
    plan_id = data["collectivity"]["currentPlan"]["id"]
    parsed = feedparser.parse((await client.http.get(f"/feeds/ait-melloul/{plan_id}.atom")).content)
    assert parsed.entries
    assert "collectivity.created" not in {tag.term for entry in parsed.entries for tag in entry.tags}


async def test_unknown_collectivities_and_bad_parameters_are_client_errors(client: Client, db: Database) -> None:
    await ait_melloul(db)
    assert (await client.http.get("/feeds/nowhere.atom")).status_code == 404
    assert (await client.http.get("/feeds/ait-melloul/nope.atom")).status_code == 404
    assert (await client.http.get("/feeds/ait-melloul.atom?lang=!!")).status_code == 400
    assert (await client.http.get("/feeds/ait-melloul.atom?before=abc")).status_code == 400


async def test_a_plan_set_back_to_draft_takes_its_entries_and_draft_title_out_of_the_feed(
    client: Client, db: Database
) -> None:
    place = await place_with_body(db)
    await set_back_to_draft_and_retitle(db, place.slug)
    response = await client.http.get(f"/feeds/{place.slug}.atom?lang=fr")
    parsed = feedparser.parse(response.content)
    assert DRAFT_TITLE not in response.text
    assert {tag.term for entry in parsed.entries for tag in entry.tags} == {"collectivity.created", "body.created"}


async def test_source_failures_stay_out_of_the_feed(client: Client, db: Database) -> None:
    place = await place_with_body(db)
    with publisher() as site:
        await failing_source(client, site, place.commitment_id)
    response = await client.http.get(f"/feeds/{place.slug}.atom")
    assert "source.failed" not in response.text
    assert INTERNAL_SOURCE_PATH not in response.text


@pytest.mark.parametrize(
    "before",
    ["99999999999999999999999", "9223372036854775808", "-1", "0", "1e3", "\u00b2", "\uff11\uff12", " 7", "", "%00"],
)
async def test_a_before_out_of_range_is_a_400_with_a_message(client: Client, db: Database, before: str) -> None:
    await place_with_body(db)
    response = await client.http.get(f"/feeds/tiznit.atom?before={before}")
    assert response.status_code == 400
    assert "before" in response.text


@pytest.mark.parametrize("path", ["/feeds/%00x.atom", "/feeds/tiznit%00.atom", "/feeds/%C3%A9%00.atom"])
async def test_a_path_with_a_nul_byte_is_refused_at_the_edge(client: Client, db: Database, path: str) -> None:
    await place_with_body(db)
    response = await client.http.get(path)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize("path", ["/feeds/x%20y.atom", "/feeds/%C3%A9t%C3%A9.atom", "/feeds/" + "a" * 200 + ".atom"])
async def test_a_slug_that_cannot_be_a_collectivity_is_not_found(client: Client, db: Database, path: str) -> None:
    await place_with_body(db)
    response = await client.http.get(path)
    assert response.status_code == 404
    assert "collectivity" in response.text


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {name: value or "" for name, value in attrs}))


def _elements(html: str) -> list[tuple[str, dict[str, str]]]:
    """Every start tag of a page with its attributes, in document order."""
    parser = _Elements()
    parser.feed(html)
    return parser.found


BROWSER = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
    "Sec-Fetch-Dest": "document",
}


async def test_a_browser_navigating_to_the_feed_gets_a_page_in_the_feeds_language(client: Client, db: Database) -> None:
    await ait_melloul(db)
    response = await client.http.get("/feeds/ait-melloul.atom?lang=ar", headers=BROWSER)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    elements = _elements(response.text)
    html = next(attributes for tag, attributes in elements if tag == "html")
    assert (html["lang"], html["dir"]) == ("ar", "rtl")
    assert sum("data-event-type" in attributes for tag, attributes in elements if tag == "li") == 50
    address = next(attributes for _, attributes in elements if attributes.get("id") == "feed-url")
    assert address["value"] == "http://127.0.0.1:8000/feeds/ait-melloul.atom?lang=ar"
    assert "قارئ الخلاصات" in response.text


async def test_the_feed_page_keeps_the_dashboards_security_headers(client: Client, db: Database) -> None:
    await ait_melloul(db)
    response = await client.http.get("/feeds/ait-melloul.atom", headers=BROWSER)
    assert response.headers["content-security-policy"] == PAGE_POLICY
    assert response.headers["x-frame-options"] == "DENY"


async def test_accept_preferring_html_gets_the_page_without_fetch_metadata(client: Client, db: Database) -> None:
    await ait_melloul(db)
    response = await client.http.get("/feeds/ait-melloul.atom", headers={"Accept": "text/html"})
    assert response.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Accept": "*/*"},
        {"Accept": "application/atom+xml"},
        {"Accept": "application/atom+xml, text/html;q=0.5", "Sec-Fetch-Dest": "document"},
        {"Accept": "application/atom+xml,text/html;q=0.1", "Sec-Fetch-Dest": "empty"},
    ],
)
async def test_feed_readers_still_get_atom(client: Client, db: Database, headers: dict[str, str]) -> None:
    await ait_melloul(db)
    response = await client.http.get("/feeds/ait-melloul.atom", headers=headers)
    assert response.headers["content-type"].startswith("application/atom+xml")
    assert feedparser.parse(response.content).version == "atom10"


async def test_both_answers_vary_on_accept_and_fetch_metadata(client: Client, db: Database) -> None:
    await ait_melloul(db)
    for headers in ({}, BROWSER):
        response = await client.http.get("/feeds/ait-melloul.atom", headers=headers)
        vary = {name.strip().lower() for name in response.headers["vary"].split(",")}
        assert {"accept", "sec-fetch-dest"} <= vary


async def test_the_page_and_the_atom_feed_have_different_etags(client: Client, db: Database) -> None:
    await ait_melloul(db)
    atom = await client.http.get("/feeds/ait-melloul.atom")
    page = await client.http.get("/feeds/ait-melloul.atom", headers=BROWSER)
    assert atom.headers["etag"] != page.headers["etag"]
    again = await client.http.get("/feeds/ait-melloul.atom", headers={**BROWSER, "If-None-Match": atom.headers["etag"]})
    assert again.status_code == 200


async def test_a_tamazight_feed_marks_the_texts_that_fell_back(client: Client, db: Database) -> None:
    place = await place_with_body(db)  # named in French and Arabic only
    body = (await client.http.get(f"/feeds/{place.slug}.atom?lang=zgh")).text
    assert 'xml:lang="zgh"' in body
    assert '<title xml:lang="ar">تيزنيت</title>' in body
    # Entry sentences are worded in French until a Tamazight wording is reviewed.
    assert '<title xml:lang="fr">' in body
    assert '<content xml:lang="fr" type="text">' in body or '<content type="text" xml:lang="fr">' in body


async def test_the_tamazight_feed_page_gives_fallback_texts_their_lang_and_dir(client: Client, db: Database) -> None:
    place = await place_with_body(db)
    response = await client.http.get(f"/feeds/{place.slug}.atom?lang=zgh", headers=BROWSER)
    elements = _elements(response.text)
    assert ("bdi", {"lang": "ar", "dir": "rtl"}) in elements
    entries = [attributes for tag, attributes in elements if tag in ("a", "span") and "lang" in attributes]
    assert {"lang": "fr", "dir": "ltr"}.items() <= entries[-1].items()
