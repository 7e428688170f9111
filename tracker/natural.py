"""Natural order of names: "Commune 2" before "Commune 10", in Arabic as in French.

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


def _padded(number: re.Match[str]) -> str:
    # Arabic-Indic digits (U+0660 to U+0669) are digits too: their value, written in ASCII, is what is compared.
    value = "".join(str(unicodedata.digit(char)) for char in number.group())
    return value.lstrip("0").rjust(DIGITS, "0") if len(value) <= DIGITS else value


def natural_key(text: str) -> str:
    """The key ordering `text` among names: accents, case and Arabic diacritics set aside (an accented
    letter is its letter, an Arabic alef with hamza is an alef), numbers by value."""
    decomposed = unicodedata.normalize("NFKD", text)
    letters = "".join(char for char in decomposed if not unicodedata.combining(char) and char != _TATWEEL).casefold()
    return _NUMBER.sub(_padded, _SPACES.sub(" ", letters).strip())


def name_keys(name: Mapping[str, str] | None) -> dict[str, str]:
    """The sort key of a translated name for each reader's language: the key of the text that
    reader is shown (its language, else the fallback order)."""
    return {lang: natural_key(i18n.pick(name, i18n.preference(lang)) or "") for lang in i18n.LANGUAGES}
