"""A `lang` given where a query enters the graph reaches every translated text below it.

Each query runs on both read paths: strawberry's resolvers (SQLite and PostgreSQL) and, on
PostgreSQL, the read planner and then the path without strawberry (the same text sent again),
which must all answer alike. The README's first query is run from README.md itself over HTTP.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest
import yaml

from tests.support.builders import ait_melloul
from tests.support.loopback import serve
from tests.support.planner import Paths
from tracker.app import create_app
from tracker.db import Database
from tracker.demo import AIT_MELLOUL
from tracker.ids import encode_id
from tracker.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"
# What Chromium sends with an en-US locale.
BROWSER_EN_US = "en-US,en;q=0.9"
MISSING = encode_id("Collectivity", uuid.UUID(int=0))


class Ask(Protocol):
    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, *, languages: tuple[str, ...] = ()
    ) -> dict[str, Any]: ...


@pytest.fixture
async def ask(db: Database) -> AsyncIterator[Ask]:
    """The answer to a query, the same from every read path of this database."""
    await ait_melloul(db)
    paths = Paths(db)

    async def answer(
        query: str, variables: dict[str, Any] | None = None, *, languages: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        planned, resolved = await paths.both(query, variables, languages=languages)
        assert planned == resolved
        if db.dialect == "postgresql" and "errors" not in planned:
            # Answered whole by the planner, so answered again without strawberry, alike.
            assert await paths.ready(query, variables, languages=languages) == planned
        return resolved

    yield answer
    assert not paths.plans.answers["failed"], paths.plans.answers


def _demo_texts(lang: str) -> set[str]:
    """Every text of the demo plan in `lang`."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if isinstance(value.get(lang), str):
                found.add(value[lang].strip())
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(yaml.safe_load(AIT_MELLOUL.read_text(encoding="utf-8")))
    return found


def _texts(data: Any, keys: frozenset[str] = frozenset({"name", "title"})) -> Iterator[str]:
    """The translated texts of an answer (its `name` and `title` values)."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key in keys and isinstance(value, str):
                yield value
            else:
                yield from _texts(value, keys)
    elif isinstance(data, list):
        for item in data:
            yield from _texts(item, keys)


def _languages_of(data: Any) -> set[str]:
    by_language = {lang: _demo_texts(lang) for lang in ("ar", "fr", "en", "zgh")}
    languages = set()
    for text in _texts(data):
        written = {lang for lang, texts in by_language.items() if text in texts}
        assert written, f"not a text of the demo: {text!r}"
        # A text alike in two languages (a proper name) says nothing.
        if len(written) == 1:
            languages |= written
    return languages


PLAN = """query ($lang: String) { collectivity(slug: "ait-melloul", lang: $lang) {
    name parent { name }
    currentPlan { title commitments(first: 3) { nodes { title
        milestones(first: 2) { nodes { title } } indicators(first: 2) { nodes { name } } } } } } }"""


async def test_a_lang_on_collectivity_reaches_every_translated_text_below_it(ask: Ask) -> None:
    answer = await ask(PLAN, {"lang": "fr"}, languages=("en",))
    assert "errors" not in answer
    assert _languages_of(answer["data"]) == {"fr"}


async def test_without_any_lang_the_accept_language_decides_everywhere(ask: Ask) -> None:
    answer = await ask(PLAN, {"lang": None}, languages=("en",))
    assert _languages_of(answer["data"]) == {"en"}


async def test_a_regional_tag_given_above_falls_back_to_its_language(ask: Ask) -> None:
    answer = await ask(PLAN, {"lang": "ar-MA"}, languages=("fr",))
    assert _languages_of(answer["data"]) == {"ar"}


async def test_a_field_giving_its_own_lang_overrides_the_enclosing_one(ask: Ask) -> None:
    answer = await ask(
        """{ collectivity(slug: "ait-melloul", lang: "fr") {
            own: name(lang: "ar") name
            currentPlan { title(lang: "en") commitments(first: 1) { nodes { title } } } } }""",
        languages=("zgh",),
    )
    place = answer["data"]["collectivity"]
    assert _languages_of({"name": place["own"]}) == {"ar"}
    assert _languages_of({"name": place["name"]}) == {"fr"}
    assert _languages_of({"title": place["currentPlan"]["title"]}) == {"en"}
    assert _languages_of(place["currentPlan"]["commitments"]) == {"fr"}


async def test_a_lang_on_node_reaches_through_fragments(ask: Ask) -> None:
    place = await ask('{ collectivity(slug: "ait-melloul") { currentPlan { id } } }')
    plan_id = place["data"]["collectivity"]["currentPlan"]["id"]
    answer = await ask(
        """query ($id: ID!) { node(id: $id, lang: "en") { ...Plan } }
        fragment Plan on ActionPlan { title commitments(first: 2) { nodes { ... on Commitment { title } } } }""",
        {"id": plan_id},
        languages=("ar",),
    )
    assert _languages_of(answer["data"]) == {"en"}


async def test_a_lang_on_collectivities_and_milestones_reaches_below(ask: Ask) -> None:
    answer = await ask(
        """{ collectivities(lang: "fr") { nodes { name } }
            milestones(first: 3, lang: "fr") { nodes { title } } }""",
        languages=("ar",),
    )
    assert _languages_of(answer["data"]) == {"fr"}


async def test_a_lang_on_nodes_reaches_each_of_them(ask: Ask) -> None:
    place = await ask('{ collectivity(slug: "ait-melloul") { id currentPlan { id } } }')
    ids = [place["data"]["collectivity"]["id"], place["data"]["collectivity"]["currentPlan"]["id"], MISSING]
    answer = await ask(
        """query ($ids: [ID!]!) { nodes(ids: $ids, lang: "zgh") {
            ... on Collectivity { name } ... on ActionPlan { title(lang: "fr") } } }""",
        {"ids": ids},
        languages=("en",),
    )
    first, second, missing = answer["data"]["nodes"]
    assert _languages_of(first) == {"zgh"}
    # The plan has no Tamazight title: it would fall back to the header's English, but says fr.
    assert _languages_of(second) == {"fr"}
    assert missing is None


async def test_a_bad_tag_is_refused_where_it_is_given(ask: Ask) -> None:
    answer = await ask('{ collectivity(slug: "ait-melloul", lang: "not a tag") { slug } }')
    assert answer["data"] == {"collectivity": None}
    [error] = answer["errors"]
    assert error["path"] == ["collectivity"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "lang"


def _readme_first_query() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## A first query", 1)[1]
    found = re.search(r"```graphql\n(.*?)```", section, re.DOTALL)
    assert found is not None, "the README's first query"
    return found.group(1)


async def test_the_readmes_first_query_answers_in_one_language_to_a_browser_sending_en_us(
    settings: Settings, db: Database
) -> None:
    await ait_melloul(db)
    query = _readme_first_query()
    with serve(create_app(settings.model_copy(update={"scheduler_enabled": False})), lifespan="on") as base_url:
        async with httpx.AsyncClient(base_url=base_url) as http:
            # Twice: on PostgreSQL the second is answered without strawberry.
            answers = [
                (await http.post("/graphql", json={"query": query}, headers={"Accept-Language": BROWSER_EN_US})).json()
                for _ in range(2)
            ]
    assert answers[0] == answers[1]
    assert "errors" not in answers[0], answers[0]
    data = answers[0]["data"]
    assert data["collectivity"]["currentPlan"]["commitments"]["totalCount"] == 7
    assert _languages_of(data) == {"en"}
