"""Vietnamese query folding for the ``articles_folded_fts`` index (migration m004).

The index holds title and body with ``đ``→``d``; its tokenizer (``unicode61 remove_diacritics
2``) folds case, tones and vowel marks. :func:`fts_query` turns what a person typed into a safe
FTS5 expression folded the same way: NFC first (NFD typing works), ``đ``→``d``, every term
quoted (FTS operators, stray quotes and parentheses are searched as words, never a syntax
error), at most ``MAX_TERMS`` terms so a 10,000-character paste stays a cheap query.
:func:`exact_words` counts the query's words present with exactly the typed diacritics, for
ranking. Used by the Datasette plugin ``plugins/vn_search.py`` and by ``db/export.py``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

MAX_TERMS = 32
MAX_CHARS = 2000
_BITS = re.compile(r'\s+|(".*?")')
_WORDS = re.compile(r"\w+")
_FIND_WORDS = 8  # up to this many query words, look each up; beyond, split the text once


def fold(text: str) -> str:
    """NFC text with đ/Đ as d/D (what the index holds before the tokenizer's own folding)."""
    return unicodedata.normalize("NFC", text).replace("đ", "d").replace("Đ", "D")


def fts_query(query: str | None) -> str:
    """A safe FTS5 expression for a typed query: folded terms, each quoted, ANDed."""
    # FTS5 reads a query as a C string: a NUL (%00 in a URL) would end it inside a quote.
    query = fold(query or "").replace("\x00", " ")[:MAX_CHARS]
    if query.count('"') % 2:
        query += '"'
    terms = []
    for bit in _BITS.split(query):
        if not bit or bit == '""':
            continue
        inner = bit[1:-1] if bit.startswith('"') and bit.endswith('"') else bit
        terms.append('"' + inner.replace('"', '""') + '"')
    # '""' matches nothing instead of failing: an empty or all-quotes query finds no rows.
    return " ".join(terms[:MAX_TERMS]) or '""'


@lru_cache(maxsize=64)
def _wanted(query: str) -> frozenset[str]:
    return frozenset(_WORDS.findall(unicodedata.normalize("NFC", query).casefold()[:MAX_CHARS]))


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"  # exactly what \w matches in a str pattern


def _has_word(text: str, word: str) -> bool:
    """``word`` occurs in ``text`` as a whole run of word characters."""
    start = text.find(word)
    while start >= 0:
        end = start + len(word)
        if ((start == 0 or not _is_word_char(text[start - 1]))
                and (end == len(text) or not _is_word_char(text[end]))):
            return True
        start = text.find(word, start + 1)
    return False


def exact_words(query: str | None, text: str | None) -> int:
    """Count of the query's words found in ``text`` with the same letters and diacritics."""
    if not query or not text:
        return 0
    wanted = _wanted(query)
    text = unicodedata.normalize("NFC", text).casefold()
    if len(wanted) > _FIND_WORDS:
        return len(wanted & set(_WORDS.findall(text)))
    # The canned search calls this on each of its 500 articles' whole text: a few str.find
    # scans cost a tenth of splitting the text into words.
    return sum(_has_word(text, word) for word in wanted)
