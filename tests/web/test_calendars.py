"""Deadline calendars: iCalendar that calendar applications subscribe to, one all-day event per
milestone of the collectivity's public plans, in the reader's language, cacheable."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import icalendar
import pytest
from sqlmodel import select

from tests.support.accountability import place_with_body
from tests.support.builders import ait_melloul, small_plan
from tests.support.graphql import Client
from tracker.access import SYSTEM
from tracker.db import Database
from tracker.models import Collectivity, PlanStatus
from tracker.services import commitments, milestones, plans
from tracker.web.calendars import UID_DOMAIN

MOVE = "mutation ($id: ID!, $due: Date!) { updateMilestone(input: {id: $id, dueOn: $due}) { milestone { id } } }"


async def _calendar(client: Client, path: str, **headers: str) -> icalendar.Calendar:
    response = await client.http.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return icalendar.Calendar.from_ical(response.content)


def _events(calendar: icalendar.Calendar) -> list[icalendar.Event]:
    return list(calendar.walk("VEVENT"))


def _event_of(calendar: icalendar.Calendar, milestone_id: str) -> icalendar.Event:
    return next(event for event in _events(calendar) if event["uid"] == f"{milestone_id}@{UID_DOMAIN}")


async def _public_milestone_ids(client: Client, slug: str) -> set[str]:
    """Every milestone the API lists for anonymous readers, page after page."""
    found: set[str] = set()
    after: str | None = None
    while True:
        data = await client.data(
            "query ($slug: String!, $after: String) { milestones(collectivitySlug: $slug, first: 100, after: $after)"
            " { pageInfo { hasNextPage endCursor } nodes { id } } }",
            {"slug": slug, "after": after},
        )
        page: dict[str, Any] = data["milestones"]
        found |= {node["id"] for node in page["nodes"]}
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


async def test_the_calendar_is_icalendar_for_subscriptions(client: Client, db: Database) -> None:
    await ait_melloul(db)
    response = await client.http.get("/feeds/ait-melloul.ics?lang=fr")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["cache-control"] == "public, max-age=60"
    calendar = icalendar.Calendar.from_ical(response.content)
    assert calendar["version"] == "2.0"
    assert calendar["prodid"].startswith("-//")
    assert calendar["x-wr-calname"] == "Échéances - Aït Melloul"
    assert calendar["x-wr-timezone"] == "Africa/Casablanca"
    assert calendar["refresh-interval"].params["VALUE"] == "DURATION"
    assert calendar.decoded("refresh-interval") == timedelta(hours=1)
    assert calendar["x-published-ttl"] == "PT1H"


async def test_the_calendar_holds_every_milestone_of_the_public_plan(client: Client, db: Database) -> None:
    await ait_melloul(db)
    calendar = await _calendar(client, "/feeds/ait-melloul.ics")
    expected = await _public_milestone_ids(client, "ait-melloul")
    assert expected
    assert {str(event["uid"]) for event in _events(calendar)} == {f"{id}@{UID_DOMAIN}" for id in expected}


async def test_each_milestone_is_an_all_day_event_on_its_due_date(client: Client, db: Database) -> None:
    place = await place_with_body(db)
    event = _event_of(await _calendar(client, f"/feeds/{place.slug}.ics?lang=fr"), place.milestone_id)
    assert event.decoded("dtstart") == date(2024, 6, 30)
    assert event.decoded("dtend") == date(2024, 7, 1)
    assert event["dtstart"].params["VALUE"] == "DATE"
    assert event["summary"] == "T-1 · Étape"
    plan = await client.data(
        "query($id: ID!) { node(id: $id) { ... on Commitment { plan { id } } } }", {"id": place.commitment_id}
    )
    assert event["url"] == f"http://127.0.0.1:8000/c/{place.slug}/plans/{plan['node']['plan']['id']}?lang=fr"
    assert "dtstamp" in event


async def test_more_than_a_page_of_milestones_is_all_there(client: Client, db: Database) -> None:
    await small_plan(db, slug="agadir", commitments_count=130)
    calendar = await _calendar(client, "/feeds/agadir.ics")
    assert len({event["uid"] for event in _events(calendar)}) == 130


async def test_draft_plans_stay_out_of_the_calendar(client: Client, db: Database) -> None:
    place = await place_with_body(db)
    await _draft_plan_with_a_milestone(db, place.slug)
    calendar = await _calendar(client, f"/feeds/{place.slug}.ics?lang=fr")
    assert [event["uid"] for event in _events(calendar)] == [f"{place.milestone_id}@{UID_DOMAIN}"]


async def _draft_plan_with_a_milestone(db: Database, slug: str) -> None:
    """A second plan of the collectivity, still a draft, with a milestone of its own."""
    async with db.reader() as session:
        place = (await session.exec(select(Collectivity).where(Collectivity.slug == slug))).one()
    async with db.transaction() as session:
        plan = await plans.create_plan(
            session,
            actor=SYSTEM,
            collectivity_id=place.id,
            title={"fr": "Plan en préparation"},
            period_start=date(2026, 1, 1),
            period_end=date(2027, 12, 31),
            status=PlanStatus.DRAFT,
        )
        commitment = await commitments.create_commitment(
            session, actor=SYSTEM, plan_id=plan.id, reference="D-1", title={"fr": "Brouillon"}
        )
        await milestones.create_milestone(
            session, actor=SYSTEM, commitment_id=commitment.id, title={"fr": "Secrète"}, due_on=date(2026, 6, 30)
        )


async def test_a_moved_milestone_moves_in_the_calendar(client: Client, db: Database) -> None:
    place = await place_with_body(db)
    path = f"/feeds/{place.slug}.ics"
    before = _event_of(await _calendar(client, path), place.milestone_id)
    await client.data(MOVE, {"id": place.milestone_id, "due": "2024-09-30"}, admin=True)
    after = _event_of(await _calendar(client, path), place.milestone_id)
    assert after.decoded("dtstart") == date(2024, 9, 30)
    assert after.decoded("dtend") == date(2024, 10, 1)
    assert after.decoded("dtstamp") >= before.decoded("dtstamp")  # seconds: the move may share the second


async def test_a_moved_milestone_changes_the_etag(client: Client, db: Database) -> None:
    place = await place_with_body(db)
    path = f"/feeds/{place.slug}.ics"
    first = await client.http.get(path)
    await client.data(MOVE, {"id": place.milestone_id, "due": "2024-09-30"}, admin=True)
    second = await client.http.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert second.status_code == 200
    assert second.headers["etag"] != first.headers["etag"]


async def test_an_unchanged_calendar_answers_304(client: Client, db: Database) -> None:
    await ait_melloul(db)
    first = await client.http.get("/feeds/ait-melloul.ics")
    again = await client.http.get("/feeds/ait-melloul.ics", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == first.headers["etag"]


async def test_a_weak_etag_from_a_compressing_proxy_still_answers_304(client: Client, db: Database) -> None:
    place = await place_with_body(db)
    first = await client.http.get(f"/feeds/{place.slug}.ics")
    weak = f"W/{first.headers['etag']}"
    again = await client.http.get(f"/feeds/{place.slug}.ics", headers={"If-None-Match": weak})
    assert again.status_code == 304


async def test_a_cancelled_milestone_is_a_cancelled_event(client: Client, db: Database) -> None:
    place = await place_with_body(db)
    await client.data(
        "mutation ($id: ID!) { updateMilestone(input: {id: $id, status: CANCELLED}) { milestone { id } } }",
        {"id": place.milestone_id},
        admin=True,
    )
    event = _event_of(await _calendar(client, f"/feeds/{place.slug}.ics?lang=en"), place.milestone_id)
    assert event["status"] == "CANCELLED"
    assert "Status: Cancelled" in event["description"]


async def test_descriptions_say_when_a_milestone_was_completed_or_that_it_is_overdue(
    client: Client, db: Database
) -> None:
    await ait_melloul(db)
    calendar = await _calendar(client, "/feeds/ait-melloul.ics?lang=fr")
    descriptions = [str(event["description"]) for event in _events(calendar)]
    # The pages' wording, French spacing included (a no-break space before the colon).
    assert any(text.startswith("Statut\u00a0: Réalisé le ") for text in descriptions)
    assert any(" · En retard\n" in text for text in descriptions)
    overdue = [event for event in _events(calendar) if " · En retard\n" in event["description"]]
    assert all("En retard" in event["categories"].cats for event in overdue)


async def test_arabic_readers_get_arabic_summaries(client: Client, db: Database) -> None:
    await ait_melloul(db)
    calendar = await _calendar(client, "/feeds/ait-melloul.ics?lang=ar")
    assert calendar["x-wr-calname"] == "آجال أيت ملول"
    summaries = [str(event["summary"]) for event in _events(calendar)]
    assert summaries
    assert all(_has_arabic(summary) for summary in summaries)


async def test_an_arabic_summary_reads_right_to_left_from_its_reference(client: Client, db: Database) -> None:
    place = await place_with_body(db)
    await client.data(
        "mutation ($id: ID!, $title: TranslatedTextInput!) "
        "{ updateMilestone(input: {id: $id, title: $title}) { milestone { id } } }",
        {"id": place.milestone_id, "title": {"ar": "مرحلة", "fr": "Étape"}},
        admin=True,
    )
    arabic = _event_of(await _calendar(client, f"/feeds/{place.slug}.ics?lang=ar"), place.milestone_id)
    french = _event_of(await _calendar(client, f"/feeds/{place.slug}.ics?lang=fr"), place.milestone_id)
    assert arabic["summary"] == "\u200fT-1 · مرحلة"
    assert french["summary"] == "T-1 · Étape"


async def test_accept_language_chooses_the_language_without_lang(client: Client, db: Database) -> None:
    await ait_melloul(db)
    calendar = await _calendar(client, "/feeds/ait-melloul.ics", **{"Accept-Language": "en-GB,en;q=0.9"})
    assert str(calendar["x-wr-calname"]).startswith("Deadlines - ")


async def test_a_malformed_lang_is_ignored(client: Client, db: Database) -> None:
    await ait_melloul(db)
    calendar = await _calendar(client, "/feeds/ait-melloul.ics?lang=!!", **{"Accept-Language": "fr"})
    assert str(calendar["x-wr-calname"]).startswith("Échéances - ")


def _has_arabic(text: str) -> bool:
    return any("\u0600" <= character <= "\u06ff" for character in text)


async def test_an_unknown_collectivity_is_a_404(client: Client, db: Database) -> None:
    await ait_melloul(db)
    response = await client.http.get("/feeds/nowhere.ics")
    assert response.status_code == 404


@pytest.mark.parametrize(
    "slug",
    ["a" * 81, "a" * 4000, "été", "أيت-ملول", "ait.melloul", "ait-melloul.atom", "..", "AIT-MELLOUL", "-", "a%20b"],
)
async def test_an_odd_slug_is_a_404(client: Client, db: Database, slug: str) -> None:
    await place_with_body(db, slug="ait-melloul")
    response = await client.http.get(f"/feeds/{slug}.ics")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/plain")
