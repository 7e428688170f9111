"""DOCUMENT against a loopback commune site: pages that change, a PDF, an Arabic decision."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from integrations.sources.base import OptionError, SourceConfig, SourceError
from integrations.sources.documents import DocumentAdapter, read_page
from tests.integrations.sources import client, fixture, impatient_client, recorded, server_error, slow
from tests.support.loopback import serve

PDF = (
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
    b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R /Size 4 >>\n%%EOF\n"
)
PDF_LAST_MODIFIED = "Tue, 31 Oct 2023 16:00:00 GMT"
LIVE = {"page": "page__success.html"}  # what /live serves now; tests change it between polls


async def page(request: Request) -> Response:
    return recorded(request, fixture(f"documents/{request.path_params['name']}.html"), "text/html; charset=utf-8")


async def live(_request: Request) -> Response:
    """A page served without validators: every poll reads it again."""
    return Response(fixture(f"documents/{LIVE['page']}"), headers={"Content-Type": "text/html; charset=utf-8"})


async def decision(_request: Request) -> Response:
    """Windows-1256 HTML whose charset is only declared in a <meta> of the page."""
    return Response(fixture("documents/decision__arabic.html"), headers={"Content-Type": "text/html"})


async def plan_pdf(request: Request) -> Response:
    headers = {"Last-Modified": PDF_LAST_MODIFIED}
    if request.headers.get("if-modified-since") == PDF_LAST_MODIFIED:
        return Response(status_code=304, headers=headers)
    headers["Content-Disposition"] = 'attachment; filename="plan-ouverture-2024-2025.pdf"'
    return Response(PDF, headers={**headers, "Content-Type": "application/pdf"})


async def missing(_request: Request) -> Response:
    return Response(b"<h1>Page introuvable</h1>", status_code=404, headers={"Content-Type": "text/html"})


APP = Starlette(
    routes=[
        Route("/pages/{name}", page),
        Route("/live", live),
        Route("/decision", decision),
        Route("/sites/default/files/download", plan_pdf),
        Route("/missing", missing),
        Route("/slow", slow),
        Route("/down", server_error),
    ]
)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serve(APP) as base_url:
        yield base_url


@pytest.fixture
def live_page() -> Iterator[dict[str, str]]:
    LIVE["page"] = "page__success.html"
    yield LIVE
    LIVE["page"] = "page__success.html"


def config(url: str, **options: object) -> SourceConfig:
    return SourceConfig(url=url, options=dict(options))


def test_the_text_of_a_page_leaves_out_scripts_styles_and_tags() -> None:
    html = (
        b"<html><head><title>Plan</title><style>p { color: red }</style><script>track()</script></head>"
        b"<body><p>Huit   <b>engagements</b></p><!-- build 42 --><noscript>Activez JavaScript</noscript></body></html>"
    )
    assert read_page(html, "utf-8").text == "Plan Huit engagements"


async def test_a_web_page_is_a_web_page_item_titled_by_its_title(server: str) -> None:
    async with client() as http:
        result = await DocumentAdapter().poll(http, config(f"{server}/pages/page__success"), {})
    [item] = result.items
    assert item.kind == "WEB_PAGE"
    assert item.url == f"{server}/pages/page__success"
    assert item.title == {"fr": "Plan d'ouverture de la commune d'Aït Melloul 2024-2025 | Commune d'Aït Melloul"}
    assert item.fingerprint == result.state["fingerprint"]


async def test_a_page_fingerprint_is_the_sha256_of_its_text(server: str) -> None:
    body = fixture("documents/page__success.html")
    async with client() as http:
        result = await DocumentAdapter().poll(http, config(f"{server}/pages/page__success"), {})
    assert result.items[0].fingerprint == hashlib.sha256(read_page(body, "utf-8").text.encode()).hexdigest()


async def test_a_change_of_markup_scripts_or_styles_keeps_the_fingerprint(
    server: str, live_page: dict[str, str]
) -> None:
    async with client() as http:
        first = await DocumentAdapter().poll(http, config(f"{server}/live"), {})
        live_page["page"] = "page__markup_changed.html"
        second = await DocumentAdapter().poll(http, config(f"{server}/live"), first.state)
    assert second.items[0].fingerprint == first.items[0].fingerprint
    assert second.state["changed"] is False


async def test_a_change_of_text_changes_the_fingerprint_and_is_reported(server: str, live_page: dict[str, str]) -> None:
    async with client() as http:
        first = await DocumentAdapter().poll(http, config(f"{server}/live"), {})
        live_page["page"] = "page__text_changed.html"
        second = await DocumentAdapter().poll(http, config(f"{server}/live"), first.state)
    assert second.items[0].fingerprint != first.items[0].fingerprint
    assert second.state["changed"] is True
    assert second.warnings == ["the document changed since the last poll"]
    assert second.observations[0].note == "changed since the last poll"


async def test_an_unchanged_document_still_returns_its_item(server: str, live_page: dict[str, str]) -> None:
    async with client() as http:
        first = await DocumentAdapter().poll(http, config(f"{server}/live"), {})
        second = await DocumentAdapter().poll(http, config(f"{server}/live"), first.state)
    assert second.items == first.items
    assert second.state["changed"] is False
    assert second.warnings == []
    assert second.observations[0].note == "unchanged"


async def test_a_first_poll_counts_as_a_change_without_a_warning(server: str) -> None:
    async with client() as http:
        result = await DocumentAdapter().poll(http, config(f"{server}/pages/page__success"), {})
    assert result.state["changed"] is True
    assert result.warnings == []
    assert result.observations[0].note == "first poll"


async def test_availability_is_observed_as_one(server: str) -> None:
    async with client() as http:
        result = await DocumentAdapter().poll(http, config(f"{server}/pages/page__success"), {})
    assert [observation.value for observation in result.observations] == [1.0]


async def test_a_pdf_is_a_document_fingerprinted_by_its_bytes_and_named_by_its_file(server: str) -> None:
    async with client() as http:
        result = await DocumentAdapter().poll(http, config(f"{server}/sites/default/files/download"), {})
    [item] = result.items
    assert item.kind == "DOCUMENT"
    assert item.fingerprint == hashlib.sha256(PDF).hexdigest()
    assert item.title == {"fr": "plan-ouverture-2024-2025.pdf"}
    assert result.bytes_read == len(PDF)


async def test_the_charset_declared_inside_a_page_is_used(server: str) -> None:
    async with client() as http:
        result = await DocumentAdapter().poll(http, config(f"{server}/decision"), {})
    assert result.items[0].title == {"ar": "مقرر المجلس الجماعي رقم 12 بشأن المصادقة على مخطط الانفتاح"}


async def test_an_unchanged_file_is_not_modified_since_its_last_modified_date(server: str) -> None:
    async with client() as http:
        first = await DocumentAdapter().poll(http, config(f"{server}/sites/default/files/download"), {})
        second = await DocumentAdapter().poll(http, config(f"{server}/sites/default/files/download"), first.state)
    assert first.state["last_modified"] == PDF_LAST_MODIFIED
    assert second.not_modified
    assert second.http_status == 304
    assert second.state == first.state


async def test_an_unchanged_page_is_not_modified_by_its_etag(server: str) -> None:
    async with client() as http:
        first = await DocumentAdapter().poll(http, config(f"{server}/pages/page__success"), {})
        second = await DocumentAdapter().poll(http, config(f"{server}/pages/page__success"), first.state)
    assert second.not_modified
    assert second.items == []


async def test_a_missing_document_is_a_source_error_with_its_status(server: str) -> None:
    async with client() as http:
        with pytest.raises(SourceError) as caught:
            await DocumentAdapter().poll(http, config(f"{server}/missing"), {})
    assert caught.value.http_status == 404
    assert caught.value.message == f"{server}/missing answered HTTP 404 Not Found"


async def test_a_server_error_is_a_source_error_with_its_status(server: str) -> None:
    async with client() as http:
        with pytest.raises(SourceError) as caught:
            await DocumentAdapter().poll(http, config(f"{server}/down"), {})
    assert caught.value.http_status == 500


async def test_a_document_slower_than_the_timeout_is_a_source_error(server: str) -> None:
    async with impatient_client() as http:
        with pytest.raises(SourceError, match="timed out"):
            await DocumentAdapter().poll(http, config(f"{server}/slow"), {})


async def test_a_document_over_its_max_bytes_is_not_read(server: str) -> None:
    async with client() as http:
        with pytest.raises(SourceError, match="larger than 100 bytes"):
            await DocumentAdapter().poll(http, config(f"{server}/sites/default/files/download", maxBytes=100), {})


def test_max_bytes_must_be_a_positive_whole_number() -> None:
    with pytest.raises(OptionError) as caught:
        DocumentAdapter().validate(config("https://www.aitmelloul.ma/plan.pdf", maxBytes="10MB"))
    assert caught.value.option == "maxBytes"


def test_max_bytes_has_a_ceiling() -> None:
    with pytest.raises(OptionError) as caught:
        DocumentAdapter().validate(config("https://www.aitmelloul.ma/plan.pdf", maxBytes=1024**3))
    assert caught.value.option == "maxBytes"


def test_a_document_needs_an_http_url() -> None:
    with pytest.raises(OptionError) as caught:
        DocumentAdapter().validate(config("www.aitmelloul.ma/plan.pdf"))
    assert caught.value.option == "url"


def test_a_well_formed_document_source_passes_validation() -> None:
    DocumentAdapter().validate(config("https://www.aitmelloul.ma/plan.pdf", maxBytes=20 * 1024 * 1024))
