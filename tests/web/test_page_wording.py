"""The pages, the feeds and chat messages word a thing the same way in a language (the catalogs)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import feedparser
import pytest

from integrations.envelope import Envelope
from integrations.webhooks.formats import RENDERERS
from tests.support.builders import ait_melloul, small_plan
from tests.support.graphql import Client
from tests.support.pages import plan_path
from tests.support.webhooks import complete_every_milestone
from tracker.db import Database

_ISOLATES = dict.fromkeys(map(ord, "\u2068\u2069\u200e\u200f"))


def _text(value: str) -> str:
    return html.unescape(value).translate(_ISOLATES).replace("\u00a0", " ")


@pytest.mark.parametrize("lang", ["ar", "fr", "en", "zgh"])
async def test_a_status_reads_the_same_on_the_page_in_the_feed_and_in_chat(
    client: Client, db: Database, lang: str
) -> None:
    await small_plan(db)
    await complete_every_milestone(db)  # small_plan's one milestone
    page = (await client.http.get(f"{await plan_path(client, 'tiznit')}?lang={lang}")).text
    word = _text(re.findall(r'<span class="status COMPLETED">([^<]+)</span>', page)[0])
    assert (lang == "en") == (word == "Completed")  # translated in ar, fr and (as French) zgh

    feed = feedparser.parse((await client.http.get(f"/feeds/tiznit.atom?lang={lang}")).content)
    changed = [entry for entry in feed.entries if entry.tags[0].term == "milestone.status_changed"]
    assert word in _text(changed[0].title)

    envelope = Envelope(
        id="0b7e4a9e-5a86-4c1f-9a40-0d1f1a0c2b3d",
        type="milestone.status_changed",
        occurred_at=datetime(2024, 6, 1, tzinfo=UTC),
        subject_type="Milestone",
        subject_id="TWlsZXN0b25lOjE=",
        data={"status": {"before": "NOT_STARTED", "after": "COMPLETED"}},
        subject_title={"fr": "Étape"},
    )
    assert word in _text(RENDERERS["SLACK"](envelope, lang).body.decode())


async def test_a_commitment_whose_milestones_are_all_completed_says_it_awaits_confirmation(
    client: Client, db: Database
) -> None:
    await small_plan(db)
    await complete_every_milestone(db)  # small_plan's one milestone
    page = _text((await client.http.get(f"{await plan_path(client, 'tiznit')}?lang=fr")).text)
    assert 'Non démarré</span> · <span class="status awaiting">Tous les jalons sont réalisés' in page
    assert "Avancement : 100 %" in page


async def test_a_commitment_in_progress_says_nothing_of_confirmation(client: Client, db: Database) -> None:
    await small_plan(db)
    page = (await client.http.get(f"{await plan_path(client, 'tiznit')}?lang=fr")).text
    assert "awaiting" not in page


async def test_a_lower_is_better_indicator_says_its_target_is_a_maximum(client: Client, db: Database) -> None:
    await ait_melloul(db)
    french = _text((await client.http.get(f"{await plan_path(client, 'ait-melloul')}?lang=fr")).text)
    arabic = _text((await client.http.get(f"{await plan_path(client, 'ait-melloul')}?lang=ar")).text)
    # The median answer time: 18 days at baseline, 10 at most wanted, days in the reader's language.
    assert re.search(r"\d+ jours, cible : au plus 10 jours", french)
    assert re.search(r"\d+ يوما، الهدف: 10 أيام على الأكثر", arabic)


async def test_dates_on_the_plan_page_are_in_the_readers_language(client: Client, db: Database) -> None:
    await small_plan(db)
    french = (await client.http.get(f"{await plan_path(client, 'tiznit')}?lang=fr")).text
    arabic = (await client.http.get(f"{await plan_path(client, 'tiznit')}?lang=ar")).text
    assert '<bdi class="date">30 juin 2024</bdi>' in french
    assert '<bdi class="date">30 يونيو 2024</bdi>' in arabic


async def test_the_tamazight_page_marks_its_french_words(client: Client, db: Database) -> None:
    await small_plan(db)
    page = (await client.http.get(f"{await plan_path(client, 'tiznit')}?lang=zgh")).text
    assert '<a href="/?lang=zgh" lang="fr" dir="ltr">Toutes les collectivités</a>' in page
