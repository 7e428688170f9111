"""People's pages: accepting an invitation (`/invitations/{token}`), signing in and out, and the
account page (`/account`). Every form carries the session's CSRF token; a POST without it is
refused with 403 before anything is read or changed."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from integrations.wording import N_
from tracker.errors import NotFound
from tracker.models import Person
from tracker.services import people
from tracker.web.auth import principal_of
from tracker.web.clients import client_address
from tracker.web.pages.rendering import error_page, reader_language, render
from tracker.web.sessions import CSRF_FIELD, csrf_ok, csrf_token, sign_in, signed_in_person

# Forms and what they hold are the reader's own: never kept by a cache on the way.
PRIVATE = {"Cache-Control": "no-store"}
UNKNOWN_INVITATION = N_("This invitation is unknown, expired or already used")
NO_CSRF = N_("This form is out of date: reload the page and send it again")
# Longer values are cut before anything reads them (the fields' own limits in the forms).
MAX_FIELD = 1000


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value[:MAX_FIELD] if isinstance(value, str) else ""


def _page(
    template: str,
    request: Request,
    lang: str,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **values: Any,
) -> Response:
    response = render(
        template, lang, status_code=status_code, csrf=csrf_token(request), csrf_field=CSRF_FIELD, **values
    )
    response.headers.update({**PRIVATE, **(headers or {})})
    return response


def _to(path: str, lang: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?lang={lang}", status_code=303, headers=PRIVATE)


async def _checked_form(request: Request, lang: str) -> FormData | Response:
    form = await request.form()
    if not csrf_ok(request, form.get(CSRF_FIELD)):
        return error_page(lang, NO_CSRF, 403, PRIVATE)
    return form


async def invitation_page(request: Request) -> Response:
    lang = reader_language(request)
    token = request.path_params["token"][:MAX_FIELD]
    db = request.app.state.db
    try:
        async with db.reader() as session:
            invitation = await people.open_invitation(session, token)
    except NotFound:
        return error_page(lang, UNKNOWN_INVITATION, 404, PRIVATE)
    values: dict[str, Any] = {"email": invitation.email, "display_name": "", "errors": {}}
    if request.method == "GET":
        return _page("invitation.html", request, lang, **values, minimum=people.MIN_PASSWORD_LENGTH)
    form = await _checked_form(request, lang)
    if isinstance(form, Response):
        return form
    name, password, confirmation = _field(form, "display_name"), _field(form, "password"), _field(form, "confirmation")
    errors = people.name_errors(name) | people.password_errors(password, confirmation)
    if errors:
        values.update(display_name=name, errors=errors)
        return _page("invitation.html", request, lang, status_code=400, **values, minimum=people.MIN_PASSWORD_LENGTH)
    try:
        async with db.transaction() as session:
            invitation = await people.open_invitation(session, token)
            person = await people.accept(
                session, invitation, display_name=name, password=password, confirmation=confirmation
            )
    except NotFound:  # accepted meanwhile, in another request
        return error_page(lang, UNKNOWN_INVITATION, 404, PRIVATE)
    sign_in(request, person.id, person.session_version)
    return _to("/account", lang)


async def sign_in_page(request: Request) -> Response:
    lang = reader_language(request)
    if request.method == "GET":
        return _page("sign_in.html", request, lang, email="", failed=False)
    form = await _checked_form(request, lang)
    if isinstance(form, Response):
        return form
    email = _field(form, "email")
    wait = await request.app.state.sign_in_limits.refused(client_address(request.scope))
    if wait is not None:
        headers = {"Retry-After": str(wait)}
        return _page(
            "sign_in.html", request, lang, status_code=429, headers=headers, email=email, failed=False, wait=wait
        )
    async with request.app.state.db.reader() as session:
        person = await people.authenticate(session, email=email, password=_field(form, "password"))
    if person is None:
        return _page("sign_in.html", request, lang, status_code=400, email=email, failed=True)
    sign_in(request, person.id, person.session_version)
    return _to("/account", lang)


async def sign_out(request: Request) -> Response:
    lang = reader_language(request)
    form = await _checked_form(request, lang)
    if isinstance(form, Response):
        return form
    signed_in = signed_in_person(request)
    if signed_in is not None:
        async with request.app.state.db.transaction() as session:
            await people.end_sessions(session, signed_in[0])
    request.session.clear()
    return _to("/sign-in", lang)


async def account_page(request: Request) -> Response:
    lang = reader_language(request)
    signed_in = signed_in_person(request)
    if signed_in is None or not principal_of(request).is_authenticated:
        return _to("/sign-in", lang)
    async with request.app.state.db.reader() as session:
        person = await session.get(Person, signed_in[0])
        roles = await people.roles_of(session, signed_in[0])
    if person is None:
        return _to("/sign-in", lang)
    return _page("account.html", request, lang, person=person, roles=roles)
