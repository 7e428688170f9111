"""Lists a page shows in part (a province's communes, a commitment's comments and history, a
plan's events): which page of each the address asks for (`?page=`, `?comments=`...), the API's
cursor that starts it, and where the page is in the list ("101-128 of 128") with links to the
pages beside it (`rel="prev"`, `rel="next"`), as the network page pages its collectivities.

A page number that is not one is refused (400, naming the parameter); a page past the end of a
list answers 404 with a link to its first page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from integrations import wording
from tracker.api.core.relay import cursor_of
from tracker.web.pages.rendering import error_page

# Page numbers beyond this are refused rather than turned into huge offsets.
MAX_PAGE = 10**6


class BadPage(Exception):
    """`?<parameter>=` is not a page number."""

    def __init__(self, parameter: str) -> None:
        super().__init__(parameter)
        self.parameter = parameter


def page_number(request: Request, parameter: str) -> int:
    """The page of a list the address asks for (1 when it does not say); BadPage otherwise."""
    given = request.query_params.get(parameter)
    if given is None:
        return 1
    if not given.isdigit() or not 0 < int(given) <= MAX_PAGE:
        raise BadPage(parameter)
    return int(given)


def bad_page(lang: str, error: BadPage) -> Response:
    words = wording.for_language(lang)
    message = words.gettext("The parameter %(parameter)s must be a page number from 1 to %(last)s.") % {
        "parameter": error.parameter,
        "last": words.format_number(MAX_PAGE),
    }
    return error_page(lang, message, 400)


def after(number: int, size: int) -> str | None:
    """The API's `after` cursor that starts page `number` of `size` items (none for the first)."""
    start = (number - 1) * size
    return cursor_of(start - 1) if start else None


@dataclass(frozen=True)
class Window:
    """Page `number` of a list of `total` items, `size` a page, `shown` of them on this one."""

    parameter: str
    number: int
    size: int
    total: int
    shown: int
    # The address's other parameters (the language, the other lists' pages), kept by the links.
    kept: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, request: Request, parameter: str, number: int, size: int, listed: dict[str, Any]) -> Window:
        """The window of `listed`, the API's connection (its totalCount and its edges or nodes)."""
        kept = tuple((name, value) for name, value in request.query_params.multi_items() if name != parameter)
        shown = len(listed["edges"] if "edges" in listed else listed["nodes"])
        return cls(parameter, number, size, listed["totalCount"], shown, kept)

    @property
    def first(self) -> int:
        return (self.number - 1) * self.size + 1

    @property
    def last(self) -> int:
        return self.first + self.shown - 1

    @property
    def beyond(self) -> bool:
        """Past the end of the list: nothing to show on a page after the first."""
        return self.shown == 0 and self.number > 1

    @property
    def status_code(self) -> int:
        """What the page answers: 404 past the end of its list."""
        return 404 if self.beyond else 200

    @property
    def paged(self) -> bool:
        """Whether the list needs more than one page (or this one is past its end)."""
        return self.total > self.size or self.number > 1

    def link(self, number: int) -> str:
        pairs = [*self.kept, *([(self.parameter, str(number))] if number > 1 else [])]
        return "?" + urlencode(pairs) if pairs else "?"

    @property
    def previous(self) -> str | None:
        return self.link(self.number - 1) if self.number > 1 and not self.beyond else None

    @property
    def next(self) -> str | None:
        return self.link(self.number + 1) if self.last < self.total and not self.beyond else None

    @property
    def first_page(self) -> str:
        return self.link(1)
