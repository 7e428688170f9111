"""A document is parsed and validated once; what depends on the request is still checked each time."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
import strawberry.schema.schema as strawberry_schema

from tests.api.test_query_limits import too_complex
from tests.support.graphql import Client
from tracker.db import Database


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times graphql-core validated a document."""
    calls: list[int] = []
    validate: Callable[..., Any] = strawberry_schema.validate

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return validate(*args, **kwargs)

    monkeypatch.setattr(strawberry_schema, "validate", counting)
    return calls


def unique(document: str) -> str:
    """The document with a comment of its own: no earlier test cached this text."""
    return f"# {uuid.uuid4()}\n{document}"


async def test_the_same_document_twice_is_validated_once(client: Client, db: Database, validations: list[int]) -> None:
    document = unique("query Count { network { planCount } }")
    first = await client.execute(document)
    second = await client.execute(document)
    assert first == second
    assert "errors" not in first
    assert len(validations) == 1


async def test_an_invalid_document_sent_again_gets_the_same_errors(client: Client, db: Database) -> None:
    document = unique("{ network { noSuchField } }")
    first = await client.execute(document)
    second = await client.execute(document)
    assert first["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert second == first


async def test_a_cached_document_is_still_measured_with_each_requests_variables(client: Client, db: Database) -> None:
    document = unique(
        "query Pages($plans: Int!) { collectivities(first: 100) { nodes { plans(first: $plans) { nodes {"
        " commitments(first: 100) { nodes { id } } } } } } }"
    )
    assert "errors" not in await client.execute(document, {"plans": 1})
    too_complex(await client.execute(document, {"plans": 100}))


async def test_a_syntax_error_sent_again_is_reported_the_same_way(client: Client, db: Database) -> None:
    document = unique("{ network { planCount }")
    first = await client.execute(document)
    second = await client.execute(document)
    assert first["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert second == first
