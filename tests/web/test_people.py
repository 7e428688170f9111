"""People: invited with `tracker invite`, they set a password, sign in, see their roles and sign
out; every form is refused without its CSRF token, and signing in is rate limited."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlmodel import select, update

from tests.support.builders import small_plan
from tests.support.graphql import Client
from tests.support.processes import run_tracker, tracker_command
from tracker.db import Database
from tracker.models import Invitation, Person
from tracker.models.base import utcnow
from tracker.settings import Settings
from tracker.web.sessions import COOKIE

BASE_URL = "http://tracker.test"
PASSWORD = "correct horse battery staple"
EMAIL = "Amina@Example.org"


@pytest.fixture
async def pages(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """A reader's browser on the application: it keeps cookies, and follows no redirect by itself."""
    client = Client(settings.model_copy(update={"base_url": BASE_URL, "rate_limit_sign_in": "4/minute"}), db)
    await client.start()
    try:
        yield client.http
    finally:
        await client.close()


@pytest.fixture
async def tiznit(db: Database) -> str:
    await small_plan(db, slug="tiznit")
    return "tiznit"


def invite(db: Database, *args: str) -> str:
    """The invitation's path, as `tracker invite` prints it."""
    printed = tracker_command(
        "invite", *args, env={"TRACKER_DATABASE_URL": db.url, "TRACKER_BASE_URL": BASE_URL}
    ).strip()
    assert printed.startswith(f"{BASE_URL}/invitations/")
    return printed.removeprefix(BASE_URL)


def csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None, page.text
    return found.group(1)


async def post_form(pages: httpx.AsyncClient, path: str, **fields: str) -> httpx.Response:
    """Fill in the form `path` shows and send it, with the CSRF token the page carries."""
    page = await pages.get(path)
    return await pages.post(path, data={"csrf_token": csrf(page), **fields})


async def accept(pages: httpx.AsyncClient, path: str, password: str = PASSWORD) -> httpx.Response:
    return await post_form(pages, path, display_name="Amina", password=password, confirmation=password)


async def sign_in(pages: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await post_form(pages, "/sign-in?lang=en", email=email, password=password)


async def test_an_invited_editor_sets_a_password_signs_in_sees_the_role_and_signs_out(
    pages: httpx.AsyncClient, db: Database, tiznit: str
) -> None:
    path = invite(db, "--email", EMAIL, "--role", "EDITOR", "--collectivity", tiznit)
    assert (await accept(pages, path)).headers["location"] == "/account?lang=ar"
    pages.cookies.clear()

    signed_in = await sign_in(pages, "amina@example.org", PASSWORD)
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/account?lang=en"
    account = await pages.get("/account?lang=en")
    assert account.status_code == 200
    assert 'data-role="EDITOR"' in account.text
    assert "Editor of tiznit" in account.text

    signed_out = await pages.post("/sign-out?lang=en", data={"csrf_token": csrf(account)})
    assert signed_out.headers["location"] == "/sign-in?lang=en"
    after = await pages.get("/account?lang=en")
    assert after.status_code == 303
    assert after.headers["location"] == "/sign-in?lang=en"


async def test_a_session_cookie_kept_from_before_signing_out_is_no_longer_accepted(
    pages: httpx.AsyncClient, db: Database, tiznit: str
) -> None:
    await accept(pages, invite(db, "--email", EMAIL, "--role", "EDITOR", "--collectivity", tiznit))
    kept = pages.cookies[COOKIE]
    account = await pages.get("/account")
    await pages.post("/sign-out", data={"csrf_token": csrf(account)})

    pages.cookies.set(COOKIE, kept)
    assert (await pages.get("/account")).headers["location"].startswith("/sign-in")


async def test_the_session_cookie_is_httponly_and_samesite_lax(pages: httpx.AsyncClient) -> None:
    page = await pages.get("/sign-in")
    cookie = page.headers["set-cookie"].lower()
    assert f"{COOKIE}=" in cookie
    assert "httponly" in cookie
    assert "samesite=lax" in cookie


async def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(
    pages: httpx.AsyncClient, db: Database, tiznit: str
) -> None:
    await accept(pages, invite(db, "--email", EMAIL, "--role", "EDITOR", "--collectivity", tiznit))
    pages.cookies.clear()

    wrong = await sign_in(pages, EMAIL, "not the password at all")
    unknown = await sign_in(pages, "nobody@example.org", "not the password at all")
    assert wrong.status_code == unknown.status_code == 400
    assert "The email or the password is wrong." in wrong.text
    assert wrong.text.replace(EMAIL, "") == unknown.text.replace("nobody@example.org", "")


@pytest.mark.parametrize("path", ["/sign-in", "/sign-out", "/invitations/{token}"])
async def test_a_form_posted_without_its_csrf_token_is_refused(
    pages: httpx.AsyncClient, db: Database, tiznit: str, path: str
) -> None:
    invitation = invite(db, "--email", EMAIL, "--role", "EDITOR", "--collectivity", tiznit)
    target = path.replace("/invitations/{token}", invitation)
    await pages.get(target if path != "/sign-out" else "/sign-in")
    fields = {"email": EMAIL, "display_name": "Amina", "password": PASSWORD, "confirmation": PASSWORD}

    refused = await pages.post(target + "?lang=en", data=fields)
    assert refused.status_code == 403
    assert "This form is out of date: reload the page and send it again" in refused.text
    async with db.reader() as session:
        assert (await session.exec(select(Person))).all() == []


async def test_an_expired_invitation_is_refused(pages: httpx.AsyncClient, db: Database, tiznit: str) -> None:
    path = invite(db, "--email", EMAIL, "--role", "EDITOR", "--collectivity", tiznit)
    async with db.transaction() as session:
        await session.exec(update(Invitation).values(expires_at=utcnow() - timedelta(minutes=1)))

    page = await pages.get(path + "?lang=en")
    assert page.status_code == 404
    assert "This invitation is unknown, expired or already used" in page.text


async def test_an_invitation_works_once(pages: httpx.AsyncClient, db: Database, tiznit: str) -> None:
    path = invite(db, "--email", EMAIL, "--role", "EDITOR", "--collectivity", tiznit)
    page = await pages.get(path)
    assert (await accept(pages, path)).status_code == 303

    again = await pages.post(
        path, data={"csrf_token": csrf(page), "display_name": "X", "password": "x" * 20, "confirmation": "x" * 20}
    )
    assert again.status_code == 404
    assert (await pages.get(path)).status_code == 404


async def test_an_unknown_invitation_is_not_found(pages: httpx.AsyncClient) -> None:
    assert (await pages.get("/invitations/made-up-token")).status_code == 404


async def test_a_short_password_is_refused_by_field_and_changes_nothing(
    pages: httpx.AsyncClient, db: Database, tiznit: str
) -> None:
    path = invite(db, "--email", EMAIL, "--role", "EDITOR", "--collectivity", tiznit)
    short = await post_form(pages, path + "?lang=en", display_name="Amina", password="short", confirmation="short")
    assert short.status_code == 400
    assert 'id="password-error"' in short.text
    assert "This password is too short: use at least 12 characters." in short.text
    assert 'value="Amina"' in short.text
    differ = await post_form(pages, path + "?lang=en", display_name="Amina", password=PASSWORD, confirmation="other")
    assert 'id="confirmation-error"' in differ.text
    async with db.reader() as session:
        assert (await session.exec(select(Person))).all() == []
        assert (await session.exec(select(Invitation.used_at))).all() == [None]


async def test_sign_in_attempts_beyond_the_limit_are_refused_with_429(pages: httpx.AsyncClient) -> None:
    answers = [(await sign_in(pages, "nobody@example.org", "guess number one")).status_code for _ in range(5)]
    assert answers == [400, 400, 400, 400, 429]
    refused = await sign_in(pages, "nobody@example.org", "guess number one")
    assert int(refused.headers["retry-after"]) >= 1


async def test_the_password_is_stored_as_an_argon2_hash(pages: httpx.AsyncClient, db: Database, tiznit: str) -> None:
    await accept(pages, invite(db, "--email", EMAIL, "--role", "EDITOR", "--collectivity", tiznit))
    async with db.reader() as session:
        person = (await session.exec(select(Person))).one()
    assert person.email == "amina@example.org"
    assert person.password_hash is not None
    assert person.password_hash.startswith("$argon2id$")
    assert PASSWORD not in person.password_hash


def test_inviting_an_editor_of_an_unknown_collectivity_names_the_field(db: Database) -> None:
    result = run_tracker(
        "invite",
        "--email",
        EMAIL,
        "--role",
        "EDITOR",
        "--collectivity",
        "nowhere",
        env={"TRACKER_DATABASE_URL": db.url},
    )
    assert result.returncode == 1
    assert "collectivity: no collectivity 'nowhere'" in result.stderr


def test_serve_refuses_to_start_without_a_secret_key() -> None:
    result = run_tracker(
        "serve", "--port", "1", env={"TRACKER_SECRET_KEY": "", "TRACKER_DATABASE_URL": "sqlite:///:memory:"}
    )
    assert result.returncode == 1
    assert "TRACKER_SECRET_KEY is not set" in result.stderr


@pytest.mark.parametrize(("lang", "words"), [("fr", "Se connecter"), ("ar", "تسجيل الدخول")])
async def test_the_sign_in_page_speaks_the_readers_language(pages: httpx.AsyncClient, lang: str, words: str) -> None:
    page = await pages.get(f"/sign-in?lang={lang}")
    assert f'<html lang="{lang}"' in page.text
    assert words in page.text
    assert page.headers["cache-control"] == "no-store"


async def test_the_api_ignores_a_signed_in_persons_cookie(pages: httpx.AsyncClient, db: Database, tiznit: str) -> None:
    await accept(pages, invite(db, "--email", EMAIL, "--role", "EDITOR", "--collectivity", tiznit))
    assert (await pages.get("/account")).status_code == 200

    answer = await pages.post("/graphql", json={"query": "{ viewer { role } }"})
    assert answer.json()["data"]["viewer"]["role"] == "ANONYMOUS"
