"""People's sessions: a signed cookie (Starlette's SessionMiddleware, itsdangerous) holding the
person's id, their session version and the session's CSRF token.

The cookie is HttpOnly and SameSite=Lax, Secure when the tracker is served over https. A session
holds no role: the person's principal is read from the database with each request
(`SessionPeople`), so that a role taken away or a session ended (the version moved) applies at
once. Every form carries the session's CSRF token in a hidden field, checked on POST.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import uuid

from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import HTTPConnection

from tracker.access import Principal
from tracker.db import Database
from tracker.services import people
from tracker.settings import Settings

log = logging.getLogger("tracker.sessions")

COOKIE = "tracker_session"
MAX_AGE_SECONDS = 14 * 24 * 3600
CSRF_FIELD = "csrf_token"


def session_middleware(settings: Settings) -> Middleware:
    if settings.secret_key is not None:
        key = settings.secret_key.get_secret_value()
    else:
        # Only `--demo` and tests come here (`tracker serve` refuses to start without a key):
        # sessions then last as long as the process.
        key = secrets.token_urlsafe(32)
        log.warning("TRACKER_SECRET_KEY is not set: sessions are signed with a key made for this process")
    return Middleware(
        SessionMiddleware,
        secret_key=key,
        session_cookie=COOKIE,
        max_age=MAX_AGE_SECONDS,
        same_site="lax",
        https_only=settings.base_url.startswith("https://"),
    )


def sign_in(conn: HTTPConnection, person_id: uuid.UUID, session_version: int) -> None:
    # A new CSRF token with the new session: one learnt before signing in is worth nothing after.
    conn.session.clear()
    conn.session.update({"person": str(person_id), "version": session_version, "csrf": secrets.token_urlsafe(32)})


def signed_in_person(conn: HTTPConnection) -> tuple[uuid.UUID, int] | None:
    if "session" not in conn.scope:
        return None
    person, version = conn.session.get("person"), conn.session.get("version")
    if not isinstance(person, str) or not isinstance(version, int):
        return None
    try:
        return uuid.UUID(person), version
    except ValueError:
        return None


def csrf_token(conn: HTTPConnection) -> str:
    """The session's CSRF token, made on first use (a visitor's session holds only this)."""
    token = conn.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        conn.session["csrf"] = token
    return token


def csrf_ok(conn: HTTPConnection, presented: object) -> bool:
    expected = conn.session.get("csrf") if "session" in conn.scope else None
    if not isinstance(expected, str) or not isinstance(presented, str):
        return False
    return hmac.compare_digest(expected.encode(), presented.encode())


class SessionPeople:
    """The principal of the person a request's session cookie names, if it is still valid."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def principal(self, conn: HTTPConnection) -> Principal | None:
        signed_in = signed_in_person(conn)
        if signed_in is None:
            return None
        async with self.db.reader() as session:
            return await people.principal_of(session, *signed_in)
