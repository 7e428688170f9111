"""oEmbed (`GET /oembed?url=...`, https://oembed.com, version 1.0): for the address of a
commitment's or a collectivity's page (or of its card), the "rich" answer whose `html` is an
iframe of the card, so that a site's editor (WordPress, Drupal, Discourse...) embeds it by
pasting the page's address. Pages name this endpoint in a discovery link (`rendering.oembed_link`).

Refusals follow the spec: 404 for an address that is not one of ours, or names nothing an
anonymous reader may see; 501 for a format other than JSON; 400, naming the parameter, for a
missing address or a size that is not a positive whole number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import SplitResult, parse_qs, quote, urlsplit

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from integrations import wording
from tracker import i18n
from tracker.errors import ErrorCode
from tracker.web.json_errors import error_response
from tracker.web.pages.embeds import read_collectivity, read_commitment
from tracker.web.pages.rendering import reader_language

# The card's size when the consumer sets no bound: room for its lines at a phone's width.
SIZES = {"commitment": (480, 360), "collectivity": (480, 360)}
_PATHS = (
    ("commitment", re.compile(r"/(?:embed/)?commitments/([^/]+)")),
    ("collectivity", re.compile(r"/(?:embed/)?c/([^/]+)")),
)
MAX_URL_LENGTH = 2000
# The pages' own heading (base.html), in the catalogs from there.
PROVIDER = "Openness plans tracker"


@dataclass(frozen=True)
class Target:
    """What an address names: a commitment or a collectivity, by its id or slug, and the
    language the address asks for, if any."""

    kind: str
    key: str
    lang: str | None


def target_of(url: str, base_url: str) -> Target | None:
    """The page `url` names on the tracker published at `base_url`, or None."""
    try:
        parts, base = urlsplit(url), urlsplit(base_url)
        same_site = (parts.scheme in ("http", "https") and parts.hostname, _port(parts)) == (base.hostname, _port(base))
    except ValueError:  # a port that is not a number
        return None
    prefix = base.path.rstrip("/")
    if not same_site or not parts.path.startswith(prefix + "/"):
        return None
    path = parts.path[len(prefix) :]
    lang = parse_qs(parts.query).get("lang", [None])[-1]
    for kind, pattern in _PATHS:
        if match := pattern.fullmatch(path):
            return Target(kind, match.group(1), lang if lang and i18n.is_valid_tag(lang) else None)
    return None


def _port(parts: SplitResult) -> int:
    return int(parts.port or (443 if parts.scheme == "https" else 80))


def _size(request: Request, name: str) -> int | Response | None:
    value = request.query_params.get(name)
    if value is None or value == "":
        return None
    if not value.isdecimal() or int(value) < 1:
        return error_response(
            400, f"{name} must be a positive whole number of pixels", ErrorCode.BAD_USER_INPUT.value, field=name
        )
    return int(value)


async def oembed(request: Request) -> Response:
    url = request.query_params.get("url", "").strip()
    if not url:
        return error_response(
            400,
            "url is required: the address of a commitment's or a collectivity's page",
            ErrorCode.BAD_USER_INPUT.value,
            field="url",
        )
    answer_format = request.query_params.get("format", "json")
    if answer_format != "json":
        return error_response(501, "format: only json is answered", ErrorCode.BAD_USER_INPUT.value, field="format")
    max_width, max_height = _size(request, "maxwidth"), _size(request, "maxheight")
    if isinstance(max_width, Response):
        return max_width
    if isinstance(max_height, Response):
        return max_height
    base_url: str = request.app.state.settings.base_url.rstrip("/")
    target = target_of(url, base_url) if len(url) <= MAX_URL_LENGTH else None
    if target is None:
        return _not_found("url is not the address of a commitment's or a collectivity's page here")
    lang = i18n.preference(target.lang)[0] if target.lang else reader_language(request)
    if target.kind == "commitment":
        read = await read_commitment(request, target.key, lang)
    else:
        read = await read_collectivity(request, target.key, lang)
    if isinstance(read, Response):
        return read
    if read is None:
        return _not_found(f"no published {target.kind} has this address")
    if target.kind == "commitment":
        title = f"{read['reference']} · {read['title']}"
        place = read["plan"]["collectivity"]
        path = f"/embed/commitments/{quote(read['id'], safe='')}"
    else:
        title, place, path = read["name"], read, f"/embed/c/{read['slug']}"
    width, height = SIZES[target.kind]
    width, height = min(width, max_width or width), min(height, max_height or height)
    source = base_url + path + (f"?lang={target.lang}" if target.lang else "")
    html = Markup(
        '<iframe src="{}" width="{}" height="{}" title="{}" loading="lazy" referrerpolicy="no-referrer" '
        'style="border: 0; max-width: 100%;"></iframe>'
    ).format(source, width, height, title)
    return JSONResponse(
        {
            "version": "1.0",
            "type": "rich",
            "title": title,
            "html": str(html),
            "width": width,
            "height": height,
            "author_name": place["name"],
            "author_url": f"{base_url}/c/{place['slug']}",
            "provider_name": wording.for_language(lang).gettext(PROVIDER),
            "provider_url": f"{base_url}/",
        }
    )


def _not_found(message: str) -> Response:
    return error_response(404, message, ErrorCode.NOT_FOUND.value, field="url")
