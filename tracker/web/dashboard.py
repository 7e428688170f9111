"""The public dashboard (`GET /`): the network, or one collectivity's plan, in ar, fr, en or zgh.

It reads through the GraphQL schema itself, with the reader's (anonymous) rights: the page shows
exactly what the API would show them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from tracker import i18n, progress
from tracker.access import ANONYMOUS
from tracker.api.context import Context
from tracker.errors import ErrorCode
from tracker.services.collectivities import SLUG
from tracker.web.unavailable import RETRY_AFTER_SECONDS, database_answers, has_code

# As long as a collectivity's slug may be (its column's length).
MAX_SLUG_LENGTH = 80

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _number(value: float | int | None) -> str:
    """12.0 reads 12; 12.5 stays 12.5."""
    return "" if value is None else f"{value:g}"


TEMPLATES.filters["number"] = _number
# Whole percentages of the API's progress, by the progress rule's rounding (halves up, where
# Jinja's `round` would take Python's halves to even: 12.5 would show 12).
TEMPLATES.filters["percent"] = progress.whole


def direction(lang: str) -> str:
    return "rtl" if lang in i18n.RTL_LANGUAGES else "ltr"


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


LABELS: dict[str, dict[str, str]] = {
    "title": {"ar": "متابعة خطط الانفتاح", "fr": "Suivi des plans d'ouverture", "en": "Openness plans tracker"},
    "network": {"ar": "الشبكة", "fr": "Le réseau", "en": "The network"},
    "collectivities": {
        "ar": "الجماعات الترابية",
        "fr": "Collectivités territoriales",
        "en": "Territorial collectivities",
    },
    "plans": {"ar": "الخطط", "fr": "Plans", "en": "Plans"},
    "commitments": {"ar": "الالتزامات", "fr": "Engagements", "en": "Commitments"},
    "milestones": {"ar": "المراحل", "fr": "Étapes", "en": "Milestones"},
    "overdue": {"ar": "متأخرة", "fr": "En retard", "en": "Overdue"},
    "progress": {"ar": "نسبة الإنجاز", "fr": "Avancement", "en": "Progress"},
    "due": {"ar": "الأجل", "fr": "Échéance", "en": "Due"},
    "no_plan": {"ar": "لا توجد خطة منشورة", "fr": "Aucun plan publié", "en": "No published plan"},
    "feed": {"ar": "خلاصة الأحداث (Atom)", "fr": "Flux des événements (Atom)", "en": "Event feed (Atom)"},
    "back": {"ar": "كل الجماعات", "fr": "Toutes les collectivités", "en": "All collectivities"},
    "not_found": {"ar": "هذه الجماعة غير موجودة", "fr": "Collectivité inconnue", "en": "Unknown collectivity"},
    "indicators": {"ar": "المؤشرات", "fr": "Indicateurs", "en": "Indicators"},
    # The page a browser gets for a feed (tracker/web/feeds.py).
    "feed_intro": {
        "ar": "هذه خلاصة أحداث بصيغة Atom. للاشتراك فيها، انسخ عنوانها أدناه والصقه في قارئ الخلاصات لديك.",
        "fr": "Ceci est un flux d'événements au format Atom. Pour vous y abonner, copiez son adresse "
        "ci-dessous et collez-la dans votre lecteur de flux.",
        "en": "This is an event feed in the Atom format. To subscribe, copy its address below and paste "
        "it into your feed reader.",
    },
    "feed_address": {"ar": "عنوان الخلاصة", "fr": "Adresse du flux", "en": "Feed address"},
    "latest_events": {"ar": "آخر الأحداث", "fr": "Derniers événements", "en": "Latest events"},
    "no_events": {"ar": "لا توجد أحداث بعد.", "fr": "Aucun événement pour l'instant.", "en": "No events yet."},
    "older": {"ar": "أحداث أقدم", "fr": "Événements plus anciens", "en": "Older events"},
    "dashboard": {"ar": "لوحة التتبع", "fr": "Tableau de bord", "en": "Dashboard"},
}
STATUS: dict[str, dict[str, str]] = {
    "NOT_STARTED": {"ar": "لم يبدأ", "fr": "Non commencé", "en": "Not started"},
    "IN_PROGRESS": {"ar": "قيد الإنجاز", "fr": "En cours", "en": "In progress"},
    "COMPLETED": {"ar": "منجز", "fr": "Réalisé", "en": "Completed"},
    "DELAYED": {"ar": "متأخر", "fr": "Retardé", "en": "Delayed"},
    "CANCELLED": {"ar": "ملغى", "fr": "Annulé", "en": "Cancelled"},
}
# UI words have no checked Tamazight translation yet: Tamazight readers get French words around
# the plans' own Tamazight texts.
UI_FALLBACK = {"zgh": "fr"}
LANGUAGE_NAMES = {"ar": "العربية", "fr": "Français", "en": "English", "zgh": "ⵜⴰⵎⴰⵣⵉⵖⵜ"}

NETWORK = """
query Dashboard($lang: String) {
  network { collectivityCount planCount commitmentCount milestoneCount overdueMilestoneCount meanProgress }
  collectivities(first: 100) {
    totalCount
    edges { node { slug kind name(lang: $lang) currentPlan { title(lang: $lang) progress } } }
  }
}
"""
PLAN = """
query Plan($slug: String!, $lang: String) {
  collectivity(slug: $slug) {
    slug name(lang: $lang)
    currentPlan {
      title(lang: $lang) progress period { start end }
      commitments(first: 100) { edges { node {
        reference title(lang: $lang) status progress
        milestones(first: 100) { edges { node { title(lang: $lang) dueOn status isOverdue } } }
        indicators(first: 20) { edges { node { name(lang: $lang) unit baseline target progress latest { value } } } }
      } } }
    }
  }
}
"""


def words(lang: str) -> dict[str, str]:
    """The interface's words in `lang` (zgh: French, see UI_FALLBACK)."""
    return _words(lang)


def words_language(lang: str) -> str:
    """The language the interface's words are in for `lang`, for a `lang` attribute around them."""
    return UI_FALLBACK.get(lang, lang)


def _words(lang: str) -> dict[str, str]:
    ui = UI_FALLBACK.get(lang, lang)
    return {key: texts.get(ui) or texts["fr"] for key, texts in LABELS.items()}


def _statuses(lang: str) -> dict[str, str]:
    ui = UI_FALLBACK.get(lang, lang)
    return {key: texts.get(ui) or texts["fr"] for key, texts in STATUS.items()}


def _known_form(slug: str) -> bool:
    """Whether `slug` could name a collectivity; any other value is unknown without asking."""
    return len(slug) <= MAX_SLUG_LENGTH and SLUG.match(slug) is not None


async def dashboard(request: Request) -> Response:
    settings = request.app.state.settings
    requested = request.query_params.get("lang")
    if requested is not None and not i18n.is_valid_tag(requested):
        requested = None
    lang = i18n.preference(requested, i18n.parse_accept_language(request.headers.get("accept-language")))[0]
    slug = request.query_params.get("collectivity")
    data: dict[str, Any] = {}
    if not slug or _known_form(slug):
        context = Context(db=request.app.state.db, settings=settings, principal=ANONYMOUS, accept_languages=(lang,))
        document, variables = (PLAN, {"slug": slug, "lang": lang}) if slug else (NETWORK, {"lang": lang})
        try:
            result = await request.app.state.schema.execute(document, variable_values=variables, context_value=context)
        finally:
            await context.close()
        if result.errors:
            busy = has_code(result.errors, ErrorCode.UNAVAILABLE)
            if not busy and await database_answers(request.app.state.db):
                return HTMLResponse("<h1>Internal error</h1>", status_code=500)
            retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
            return HTMLResponse("<h1>Service unavailable</h1>", status_code=503, headers=retry)
        data = result.data or {}
    status_code = 404 if slug and data.get("collectivity") is None else 200
    html = TEMPLATES.get_template("dashboard.html").render(
        lang=lang,
        direction="rtl" if lang in i18n.RTL_LANGUAGES else "ltr",
        words=_words(lang),
        statuses=_statuses(lang),
        languages=LANGUAGE_NAMES,
        # A slug of no known form is shown as the not-found page, cut short and URL-quoted.
        slug=slug if not slug or _known_form(slug) else quote(slug[:MAX_SLUG_LENGTH], safe=""),
        data=data,
    )
    return HTMLResponse(html, status_code=status_code)
