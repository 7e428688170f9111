"""Natural order of names ("Commune 2" before "Commune 10", in Arabic as in French), and the
folded text a name is searched by.

A name's sort key is computed once, when the name is written, and kept beside it
(`Collectivity.name_key`, one key a language): both databases then order by comparing the keys'
code points (SQLite's BINARY collation, PostgreSQL's "C"), so that a list is in the same order
whichever database answers and whichever path (the planner or the resolvers) reads it. No SQL
expression both databases spell pads the numbers inside a text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from tracker import i18n

# Wide enough for any number a name carries; a longer run keeps its digits (still ordered among
# its own length).
DIGITS = 12
_NUMBER = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")
# Tatweel stretches Arabic letters on screen; it is no letter to sort by.
_TATWEEL = "\u0640"


def _ascii_digits(number: re.Match[str]) -> str:
    # Arabic-Indic digits (U+0660 to U+0669) are digits too: their value is written in ASCII.
    return "".join(str(unicodedata.digit(char)) for char in number.group())


def _padded(number: re.Match[str]) -> str:
    value = _ascii_digits(number)
    return value.lstrip("0").rjust(DIGITS, "0") if len(value) <= DIGITS else value


def _folded(text: str) -> str:
    # Accents, case and Arabic diacritics set aside: an accented letter is its letter, an Arabic
    # alef with hamza is an alef; runs of spaces are one space.
    decomposed = unicodedata.normalize("NFKD", text)
    letters = "".join(char for char in decomposed if not unicodedata.combining(char) and char != _TATWEEL).casefold()
    return _SPACES.sub(" ", letters).strip()


def natural_key(text: str) -> str:
    """The key ordering `text` among names: letters folded (accents, case, Arabic diacritics set
    aside), numbers by value."""
    return _NUMBER.sub(_padded, _folded(text))


def search_folded(text: str) -> str:
    """`text` as a search compares it: letters folded as for ordering, digits in ASCII (so that
    "2" finds "جماعة ٢"). A search and the text it looks into are both folded by this."""
    return _NUMBER.sub(_ascii_digits, _folded(text))


def search_text(slug: str | None, name: Mapping[str, str] | None) -> str:
    """What a collectivity is searched in, kept beside it (`Collectivity.search_text`): its slug and
    its name in every language, folded, one a line. The name's values, not its JSON: a search
    for "fr" or "ar" finds no name that does not hold it."""
    # By language, so that the text does not depend on the order a database keeps JSON keys in.
    texts = [slug or "", *(value for _, value in sorted((name or {}).items()) if isinstance(value, str))]
    return "\n".join(search_folded(text) for text in texts)


def like_pattern(search: str) -> str | None:
    """The LIKE pattern (escape character backslash) finding `search` inside a `search_text`;
    `None` when the search is blank. `%` and `_` typed by a reader are letters, not wildcards."""
    needle = search_folded(search)
    if not needle:
        return None
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def name_keys(name: Mapping[str, str] | None) -> dict[str, str]:
    """The sort key of a translated name for each reader's language: the key of the text that
    reader is shown (its language, else the fallback order)."""
    return {lang: natural_key(i18n.pick(name, i18n.preference(lang)) or "") for lang in i18n.LANGUAGES}
