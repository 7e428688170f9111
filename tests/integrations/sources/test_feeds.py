"""FEED against loopback servers serving a commune's RSS and a ministry's Atom feed."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from integrations.sources.base import OptionError, SourceConfig, SourceError
from integrations.sources.feeds import FeedAdapter
from tests.integrations.sources import client, fixture, impatient_client, recorded, server_error, slow
from tests.support.loopback import serve

CONTENT_TYPES = {"rss": "application/rss+xml; charset=utf-8", "atom": "application/atom+xml; charset=utf-8"}


async def feed(request: Request) -> Response:
    name = request.path_params["name"]
    return recorded(request, fixture(f"feeds/{name}.xml"), CONTENT_TYPES[name.split("__", 1)[0]])


async def feed_without_validators(request: Request) -> Response:
    name = request.path_params["name"]
    return Response(fixture(f"feeds/{name}.xml"), headers={"Content-Type": CONTENT_TYPES[name.split("__", 1)[0]]})


async def web_page(request: Request) -> Response:
    return recorded(request, fixture("documents/page__success.html"), "text/html; charset=utf-8")


async def endless(_request: Request) -> Response:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'<?xml version="1.0"?><rss version="2.0"><channel><title>Archives</title>'
        for number in range(200):
            yield f"<item><title>Communiqu\u00e9 {number}</title><guid>{number}</guid></item>".encode()
        yield b"</channel></rss>"

    return StreamingResponse(chunks(), media_type="application/rss+xml")


APP = Starlette(
    routes=[
        Route("/feeds/{name}", feed),
        Route("/plain/{name}", feed_without_validators),
        Route("/page", web_page),
        Route("/endless", endless),
        Route("/slow", slow),
        Route("/down", server_error),
    ]
)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serve(APP) as base_url:
        yield base_url


def config(url: str, **options: object) -> SourceConfig:
    return SourceConfig(url=url, options=dict(options))


async def test_each_entry_becomes_a_news_item(server: str) -> None:
    async with client() as http:
        result = await FeedAdapter().poll(http, config(f"{server}/feeds/rss__success"), {})
    assert [item.url for item in result.items] == [
        "https://www.aitmelloul.ma/fr/actualites/session-ordinaire-mars-2024",
        "https://www.aitmelloul.ma/ar/actualites/open-data-budget",
        "https://www.aitmelloul.ma/fr/actualites/consultation-gouvernement-ouvert",
        "https://www.aitmelloul.ma/fr/actualites/fermeture-marche-municipal",
    ]
    assert {item.kind for item in result.items} == {"NEWS"}
    assert result.warnings == []
    assert result.bytes_read == len(fixture("feeds/rss__success.xml"))


async def test_fingerprints_are_the_sha256_of_the_entry_id(server: str) -> None:
    async with client() as http:
        result = await FeedAdapter().poll(http, config(f"{server}/feeds/rss__success"), {})
    assert result.items[0].fingerprint == hashlib.sha256(b"aitmelloul-news-1482").hexdigest()


async def test_titles_are_filed_under_the_feed_language_or_their_script(server: str) -> None:
    async with client() as http:
        result = await FeedAdapter().poll(http, config(f"{server}/feeds/rss__success"), {})
    assert result.items[0].title == {
        "fr": "Session ordinaire de mars : le conseil communal adopte le budget modificatif"
    }
    assert result.items[1].title == {"ar": "نشر معطيات الميزانية الجماعية على بوابة البيانات المفتوحة"}


async def test_atom_entries_are_filed_under_their_declared_language(server: str) -> None:
    async with client() as http:
        result = await FeedAdapter().poll(http, config(f"{server}/feeds/atom__success"), {})
    assert [list(item.title) for item in result.items] == [["ar"], ["fr"], ["zgh"]]


async def test_relative_atom_links_are_resolved_against_the_feed_url(server: str) -> None:
    async with client() as http:
        result = await FeedAdapter().poll(http, config(f"{server}/feeds/atom__success"), {})
    assert result.items[1].url == f"{server}/fr/news/reseau-collectivites-ouvertes"


async def test_entry_dates_are_utc(server: str) -> None:
    async with client() as http:
        result = await FeedAdapter().poll(http, config(f"{server}/feeds/atom__success"), {})
    assert [item.published_at for item in result.items] == [datetime(2024, 3, 8, 9, 0, tzinfo=UTC)] * 3


async def test_keywords_match_titles_case_insensitively(server: str) -> None:
    async with client() as http:
        result = await FeedAdapter().poll(http, config(f"{server}/feeds/rss__success", keywords=["GOUVERNEMENT"]), {})
    assert [item.url.rsplit("/", 1)[1] for item in result.items] == ["consultation-gouvernement-ouvert"]


async def test_keywords_match_the_text_of_html_summaries(server: str) -> None:
    source = config(f"{server}/feeds/atom__success", keywords=["Gouvernement Ouvert"])
    async with client() as http:
        result = await FeedAdapter().poll(http, source, {})
    assert [item.title for item in result.items] == [
        {"fr": "Lancement du réseau des collectivités territoriales ouvertes"}
    ]


async def test_an_arabic_keyword_matches_arabic_entries(server: str) -> None:
    async with client() as http:
        result = await FeedAdapter().poll(http, config(f"{server}/feeds/rss__success", keywords=["الميزانية"]), {})
    assert [item.url.rsplit("/", 1)[1] for item in result.items] == ["open-data-budget"]


async def test_an_entry_matching_any_keyword_is_kept(server: str) -> None:
    source = config(f"{server}/feeds/rss__success", keywords=["budget", "marché municipal"])
    async with client() as http:
        result = await FeedAdapter().poll(http, source, {})
    assert [item.url.rsplit("/", 1)[1] for item in result.items] == [
        "session-ordinaire-mars-2024",
        "fermeture-marche-municipal",
    ]


async def test_the_observation_counts_the_matching_entries(server: str) -> None:
    source = config(f"{server}/feeds/rss__success", keywords=["budget", "الميزانية"])
    async with client() as http:
        result = await FeedAdapter().poll(http, source, {})
    [observation] = result.observations
    assert observation.value == 2.0
    assert (datetime.now(UTC) - observation.observed_at).total_seconds() < 60


async def test_entries_older_than_since_are_skipped(server: str) -> None:
    async with client() as http:
        result = await FeedAdapter().poll(http, config(f"{server}/feeds/rss__success", since="2024-03-01"), {})
    assert [item.published_at for item in result.items] == [
        datetime(2024, 3, 11, 8, 30, tzinfo=UTC),
        datetime(2024, 3, 5, 10, 0, tzinfo=UTC),
    ]


async def test_an_empty_feed_gives_no_items_and_a_zero_observation(server: str) -> None:
    async with client() as http:
        result = await FeedAdapter().poll(http, config(f"{server}/feeds/rss__empty"), {})
    assert result.items == []
    assert [observation.value for observation in result.observations] == [0.0]
    assert result.warnings == []


async def test_a_feed_not_well_formed_but_with_entries_is_read_with_a_warning(server: str) -> None:
    async with client() as http:
        result = await FeedAdapter().poll(http, config(f"{server}/feeds/rss__not_well_formed"), {})
    assert [item.fingerprint for item in result.items] == [hashlib.sha256(b"souss-massa-3307").hexdigest()]
    [warning] = result.warnings
    assert "not well-formed" in warning
    assert "1 entries were read anyway" in warning


async def test_a_truncated_feed_without_entries_is_a_source_error(server: str) -> None:
    async with client() as http:
        with pytest.raises(SourceError, match="not a readable RSS or Atom feed"):
            await FeedAdapter().poll(http, config(f"{server}/feeds/rss__truncated"), {})


async def test_a_web_page_is_not_a_feed(server: str) -> None:
    async with client() as http:
        with pytest.raises(SourceError, match="RSS or Atom feed"):
            await FeedAdapter().poll(http, config(f"{server}/page"), {})


async def test_an_unchanged_feed_is_not_modified(server: str) -> None:
    async with client() as http:
        first = await FeedAdapter().poll(http, config(f"{server}/feeds/rss__success"), {})
        second = await FeedAdapter().poll(http, config(f"{server}/feeds/rss__success"), first.state)
    assert second.not_modified
    assert second.http_status == 304
    assert second.state == first.state
    assert second.items == []


async def test_the_same_feed_without_validators_is_nothing_new(server: str) -> None:
    async with client() as http:
        first = await FeedAdapter().poll(http, config(f"{server}/plain/rss__success"), {})
        second = await FeedAdapter().poll(http, config(f"{server}/plain/rss__success"), first.state)
    assert first.items
    assert second.not_modified
    assert second.http_status == 200
    assert second.items == []
    assert second.state == first.state


async def test_a_server_error_is_a_source_error_with_its_status(server: str) -> None:
    async with client() as http:
        with pytest.raises(SourceError) as caught:
            await FeedAdapter().poll(http, config(f"{server}/down"), {})
    assert caught.value.http_status == 500


async def test_a_feed_slower_than_the_timeout_is_a_source_error(server: str) -> None:
    async with impatient_client() as http:
        with pytest.raises(SourceError, match="timed out"):
            await FeedAdapter().poll(http, config(f"{server}/slow"), {})


async def test_a_streamed_feed_over_the_size_cap_is_not_read(server: str) -> None:
    async with client() as http:
        with pytest.raises(SourceError, match="larger than 4 KiB"):
            await FeedAdapter(max_bytes=4096).poll(http, config(f"{server}/endless"), {})


def test_keywords_must_be_a_list_of_strings() -> None:
    with pytest.raises(OptionError) as caught:
        FeedAdapter().validate(config("https://www.aitmelloul.ma/fr/rss.xml", keywords="budget"))
    assert caught.value.option == "keywords"


def test_keywords_may_not_be_blank() -> None:
    with pytest.raises(OptionError) as caught:
        FeedAdapter().validate(config("https://www.aitmelloul.ma/fr/rss.xml", keywords=["budget", "  "]))
    assert caught.value.option == "keywords"


def test_since_must_be_an_iso_date() -> None:
    with pytest.raises(OptionError) as caught:
        FeedAdapter().validate(config("https://www.aitmelloul.ma/fr/rss.xml", since="01/03/2024"))
    assert caught.value.option == "since"


def test_a_feed_needs_an_http_url() -> None:
    with pytest.raises(OptionError) as caught:
        FeedAdapter().validate(config("file:///etc/passwd"))
    assert caught.value.option == "url"


def test_a_well_formed_feed_source_passes_validation() -> None:
    FeedAdapter().validate(
        config("https://www.aitmelloul.ma/fr/rss.xml", keywords=["budget", "ميزانية"], since="2024-01-01T00:00:00Z")
    )
