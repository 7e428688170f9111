"""What every public page shares: the templates, the reader's language, its words, and reading
through the GraphQL schema with the reader's (anonymous) rights, so that a page shows exactly what
the API would show them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context as TemplateContext
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from integrations import wording
from tracker import i18n, progress
from tracker.access import ANONYMOUS
from tracker.api.core.context import Context
from tracker.errors import ErrorCode
from tracker.services.collectivities import SLUG
from tracker.web.unavailable import RETRY_AFTER_SECONDS, database_answers, has_code

# As long as a collectivity's slug may be (its column's length).
MAX_SLUG_LENGTH = 80

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent.parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    # The words come from the catalogs (integrations.wording), through gettext callables passed
    # with each render (`render_context`), never installed on this shared environment.
    extensions=["jinja2.ext.i18n"],
)
# `{% trans %}` hands its variables to gettext, which escapes them (Jinja's newstyle gettext).
TEMPLATES.newstyle_gettext = True  # type: ignore[attr-defined]
# Whole percentages of the API's progress for machines (aria-valuenow), by the progress rule's
# rounding (halves up, where Jinja's `round` would take Python's halves to even: 12.5 would show 12).
TEMPLATES.filters["whole"] = progress.whole


def direction(lang: str) -> str:
    return wording.direction(lang)


def own_language(text_lang: str | None, page_lang: str) -> Markup:
    """` lang="…" dir="…"` for a text that is not in the page's language (a fallback), else nothing:
    an Arabic title on a Tamazight page reads right to left, and is read out as Arabic."""
    if text_lang is None or text_lang == page_lang or text_lang not in i18n.LANGUAGES:
        return Markup("")
    return Markup(' lang="{}" dir="{}"').format(text_lang, direction(text_lang))


def _own(text: str | None, page_lang: str) -> Markup:
    """`own_language` of a translated text the API answered for a reader of `page_lang`."""
    return own_language(i18n.written_language(text, i18n.preference(page_lang)), page_lang)


TEMPLATES.globals["own"] = _own

LANGUAGE_NAMES = {"ar": "العربية", "fr": "Français", "en": "English", "zgh": "ⵜⴰⵎⴰⵣⵉⵖⵜ"}


def render_context(lang: str) -> dict[str, Any]:
    """What every page template is rendered with for a reader of `lang`: the wording (`w`), its
    gettext callables for `{% trans %}` and `_()`, and the attributes (`ui`) that mark the
    interface's words when they fell back to another language (zgh: French)."""
    words = wording.for_language(lang)
    return {
        "lang": lang,
        "direction": direction(lang),
        "w": words,
        "ui": own_language(words.words_language, lang),
        **_gettext_callables(words),
    }


@functools.cache
def _gettext_callables(words: wording.Wording) -> dict[str, Callable[..., str]]:
    """Newstyle gettext for one language, as Jinja's i18n extension would install it: the
    message is formatted with its `%(name)s` variables, escaped when autoescaping."""

    def formatted(context: TemplateContext, text: str, variables: dict[str, object]) -> str:
        # Always a format string, as in Jinja's own newstyle gettext: a literal % is written %%.
        if context.eval_ctx.autoescape:
            return Markup(text) % variables
        return text % variables

    @pass_context
    def gettext(context: TemplateContext, message: str, **variables: object) -> str:
        return formatted(context, words.gettext(message), variables)

    @pass_context
    def ngettext(context: TemplateContext, singular: str, plural: str, n: int, **variables: object) -> str:
        variables.setdefault("num", n)
        return formatted(context, words.ngettext(singular, plural, n), variables)

    @pass_context
    def pgettext(context: TemplateContext, message_context: str, message: str, **variables: object) -> str:
        variables.setdefault("context", message_context)
        return formatted(context, words.pgettext(message_context, message), variables)

    @pass_context
    def npgettext(
        context: TemplateContext, message_context: str, singular: str, plural: str, n: int, **variables: object
    ) -> str:
        variables.setdefault("context", message_context)
        variables.setdefault("num", n)
        return formatted(context, words.npgettext(message_context, singular, plural, n), variables)

    return {"gettext": gettext, "_": gettext, "ngettext": ngettext, "pgettext": pgettext, "npgettext": npgettext}


def error_page(lang: str, message: str, status_code: int, headers: dict[str, str] | None = None) -> HTMLResponse:
    """A page that says only what went wrong, in the reader's language."""
    words = wording.for_language(lang)
    heading = Markup("<h1{}>{}</h1>").format(own_language(words.language_of(message), lang), words.gettext(message))
    return HTMLResponse(heading, status_code=status_code, headers=headers)


def known_slug(slug: str) -> bool:
    """Whether `slug` could name a collectivity; any other value is unknown without asking."""
    return len(slug) <= MAX_SLUG_LENGTH and SLUG.match(slug) is not None


def reader_language(request: Request) -> str:
    """`?lang=` when it is a well-formed tag, then Accept-Language, then the fallback order."""
    requested = request.query_params.get("lang")
    if requested is not None and not i18n.is_valid_tag(requested):
        requested = None
    return i18n.preference(requested, i18n.parse_accept_language(request.headers.get("accept-language")))[0]


async def read(request: Request, document: str, variables: dict[str, Any], lang: str) -> dict[str, Any] | Response:
    """The `data` of `document` for an anonymous reader, or the error page to answer instead: 503
    with Retry-After when the database is down or busy, 500 for anything else."""
    context = Context(
        db=request.app.state.db, settings=request.app.state.settings, principal=ANONYMOUS, accept_languages=(lang,)
    )
    try:
        result = await request.app.state.schema.execute(document, variable_values=variables, context_value=context)
    finally:
        await context.close()
    if result.errors:
        busy = has_code(result.errors, ErrorCode.UNAVAILABLE)
        if not busy and await database_answers(request.app.state.db):
            return error_page(lang, wording.N_("Internal error"), 500)
        return error_page(lang, wording.N_("Service unavailable"), 503, {"Retry-After": str(RETRY_AFTER_SECONDS)})
    return result.data or {}


def oembed_link(request: Request, path: str) -> str:
    """Where oEmbed consumers ask for the card of the page at `path` (its discovery link): the
    page's address without a language, so that the card speaks its own reader's."""
    base_url: str = request.app.state.settings.base_url.rstrip("/")
    return f"{base_url}/oembed?" + urlencode({"url": base_url + path, "format": "json"})


def render(template: str, lang: str, *, status_code: int = 200, **values: Any) -> HTMLResponse:
    html = TEMPLATES.get_template(template).render(**render_context(lang), languages=LANGUAGE_NAMES, **values)
    return HTMLResponse(html, status_code=status_code)
