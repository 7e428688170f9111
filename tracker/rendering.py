"""Comment text: stored as written, shown as a safe subset of Markdown.

Raw HTML is escaped, images are off (no tracking pixels), links keep only http, https and mailto
and open with rel="nofollow ugc noopener".
"""

from __future__ import annotations

from collections.abc import Sequence

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

SAFE_SCHEMES = ("http://", "https://", "mailto:")


def _safe_link(url: str) -> bool:
    return url.strip().lower().startswith(SAFE_SCHEMES)


def _link_open(renderer: RendererHTML, tokens: Sequence[Token], index: int, options: OptionsDict, env: EnvType) -> str:
    tokens[index].attrSet("rel", "nofollow ugc noopener")
    return renderer.renderToken(tokens, index, options, env)


def _build() -> MarkdownIt:
    markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    markdown.disable(["image", "html_block", "html_inline"])
    markdown.validateLink = _safe_link  # type: ignore[method-assign]
    markdown.add_render_rule("link_open", _link_open)
    return markdown


_MARKDOWN = _build()


def render(text: str) -> str:
    html: str = _MARKDOWN.render(text)
    return html
