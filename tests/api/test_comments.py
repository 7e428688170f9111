"""Comments: monitors speak, editors answer, moderators hide with a reason that stays visible."""

from __future__ import annotations

from typing import Any

from tests.support.accountability import place_with_body
from tests.support.graphql import Client, error_codes
from tracker.db import Database

POST = """
mutation($input: PostCommentInput!) {
  postComment(input: $input) { comment { id body bodyHtml authorRole authorBody { slug } replyToId } }
}
"""
HIDE = """
mutation($input: HideCommentInput!) {
  hideComment(input: $input) { comment { id body moderation { reason byRole } } }
}
"""
THREADS = """
query($id: ID!) {
  node(id: $id) {
    ... on Commitment {
      comments {
        totalCount
        edges { node { id body moderation { reason } replies { edges { node { body authorRole } } } } }
      }
    }
  }
}
"""


async def _post(client: Client, token: str, subject: str, text: str, reply_to: str | None = None) -> dict[str, Any]:
    variables = {"input": {"subjectId": subject, "body": text, "replyToId": reply_to}}
    comment: dict[str, Any] = (await client.data(POST, variables, headers=client.bearer(token)))["postComment"][
        "comment"
    ]
    return comment


async def test_a_monitor_comments_and_an_editor_answers_in_the_thread(client: Client, db: Database) -> None:
    place = await place_with_body(db)
    question = (
        await client.data(
            POST,
            {"input": {"subjectId": place.commitment_id, "body": "Où sont les **données**?"}},
            headers=client.bearer(place.monitor),
        )
    )["postComment"]["comment"]
    assert question["authorRole"] == "MONITOR"
    assert question["authorBody"] == {"slug": "tiznit-equality"}
    assert question["bodyHtml"] == "<p>Où sont les <strong>données</strong>?</p>\n"
    await client.data(
        POST,
        {"input": {"subjectId": place.commitment_id, "body": "En ligne.", "replyToId": question["id"]}},
        headers=client.bearer(place.editor),
    )
    threads = (await client.data(THREADS, {"id": place.commitment_id}))["node"]["comments"]
    assert threads["totalCount"] == 1
    replies = threads["edges"][0]["node"]["replies"]["edges"]
    assert [reply["node"] for reply in replies] == [{"body": "En ligne.", "authorRole": "EDITOR"}]


async def test_comments_on_a_milestone_stay_on_the_milestone(client: Client, db: Database) -> None:
    place = await place_with_body(db)
    await _post(client, place.monitor, place.milestone_id, "Retard?")
    query = "query($id: ID!) { node(id: $id) { ... on Milestone { comments { totalCount } } } }"
    assert (await client.data(query, {"id": place.milestone_id}))["node"]["comments"]["totalCount"] == 1
    assert (await client.data(THREADS, {"id": place.commitment_id}))["node"]["comments"]["totalCount"] == 0


async def test_raw_html_is_escaped_and_unsafe_links_are_not_links(client: Client, db: Database) -> None:
    place = await place_with_body(db)
    text = "<img src=x onerror=alert(1)> [clic](javascript:alert(1)) [site](https://data.gov.ma)"
    comment = (
        await client.data(
            POST, {"input": {"subjectId": place.commitment_id, "body": text}}, headers=client.bearer(place.monitor)
        )
    )["postComment"]["comment"]
    assert comment["body"] == text
    html = comment["bodyHtml"]
    assert "<img" not in html
    assert 'href="javascript' not in html
    assert '<a href="https://data.gov.ma" rel="nofollow ugc noopener">site</a>' in html


async def test_a_comment_over_the_limit_names_the_field(client: Client, db: Database) -> None:
    place = await place_with_body(db)
    body = await client.execute(
        POST, {"input": {"subjectId": place.commitment_id, "body": "x" * 5001}}, headers=client.bearer(place.monitor)
    )
    assert error_codes(body) == [("BAD_USER_INPUT", "body")]


async def test_anonymous_readers_cannot_comment(client: Client, db: Database) -> None:
    place = await place_with_body(db)
    body = await client.execute(POST, {"input": {"subjectId": place.commitment_id, "body": "Bonjour"}})
    assert error_codes(body) == [("UNAUTHENTICATED", None)]


async def test_monitors_of_another_collectivity_cannot_comment(client: Client, db: Database) -> None:
    place = await place_with_body(db)
    other = await place_with_body(db, slug="agadir")
    body = await client.execute(
        POST, {"input": {"subjectId": place.commitment_id, "body": "Bonjour"}}, headers=client.bearer(other.monitor)
    )
    assert error_codes(body) == [("FORBIDDEN", None)]


async def test_a_hidden_comment_keeps_its_reason_and_loses_its_text(client: Client, db: Database) -> None:
    place = await place_with_body(db)
    comment = (
        await client.data(
            POST,
            {"input": {"subjectId": place.commitment_id, "body": "hors sujet"}},
            headers=client.bearer(place.monitor),
        )
    )["postComment"]["comment"]
    hidden = (
        await client.data(
            HIDE, {"input": {"id": comment["id"], "reason": "Propos personnels"}}, headers=client.bearer(place.editor)
        )
    )["hideComment"]["comment"]
    assert hidden["moderation"] == {"reason": "Propos personnels", "byRole": "EDITOR"}
    thread = (await client.data(THREADS, {"id": place.commitment_id}))["node"]["comments"]["edges"][0]["node"]
    assert thread["body"] is None
    assert thread["moderation"] == {"reason": "Propos personnels"}


async def test_monitors_cannot_hide_comments(client: Client, db: Database) -> None:
    place = await place_with_body(db)
    comment = (
        await client.data(
            POST, {"input": {"subjectId": place.commitment_id, "body": "texte"}}, headers=client.bearer(place.monitor)
        )
    )["postComment"]["comment"]
    body = await client.execute(
        HIDE, {"input": {"id": comment["id"], "reason": "non"}}, headers=client.bearer(place.monitor)
    )
    assert error_codes(body) == [("FORBIDDEN", None)]
