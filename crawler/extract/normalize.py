"""Text normalization applied to every extracted text field.

Order matters: entities are decoded first (lxml does it while parsing; ``unescape_text`` does it
for strings that never went through the parser), *then* NFC. Doing NFC first would leave
``tr&ocirc;̀ng`` (an entity followed by a combining grave accent) as ``trô`` + U+0300 instead of
the single code point in ``trồng``. Then every unicode space becomes a plain space, zero-width
characters and controls are dropped, whitespace runs collapse, and the ends are stripped.

Spelling variants (``uỷ``/``ủy``, ``Đăk``/``Đắk``) are deliberately left alone: this is an
archive, and search-time folding belongs to the database layer.
"""

from __future__ import annotations

import html
import re
import unicodedata

# Zero-width characters, the soft hyphen, BOM and C0/C1 controls (except whitespace) vanish.
_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_ENTITY = re.compile(r"&(?:#\d{1,7}|#x[0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def nfc(text: str) -> str:
    """NFC, skipping the (cheap) call for pure ASCII."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", text)


def clean(text: str | None) -> str:
    """Normalize one text value: NFC, unicode spaces to space, collapse, strip."""
    if not text:
        return ""
    if _INVISIBLE.search(text):
        text = _INVISIBLE.sub("", text)
    # str.split() splits on every character str.isspace() accepts, which covers \xa0 and all
    # other unicode spaces; it is several times faster than a regex on whitespace-heavy pages.
    return " ".join(nfc(text).split())


def clean_or_none(text: str | None) -> str | None:
    """``clean`` that maps the empty result to None (record fields use None for "absent")."""
    value = clean(text)
    return value or None


def unescape_text(text: str | None) -> str:
    """Decode leftover entities (only if some are present) and then ``clean``.

    For strings that did not come from the HTML parser, e.g. JSON-LD values.
    """
    if not text:
        return ""
    if "&" in text and _ENTITY.search(text):
        text = html.unescape(text)
    return clean(text)


def clean_paragraphs(paragraphs: list[str]) -> list[str]:
    """Clean each paragraph and drop those that end up empty."""
    out = []
    for para in paragraphs:
        value = clean(para)
        if value:
            out.append(value)
    return out


def casefold_key(text: str) -> str:
    """Comparison key: cleaned and casefolded (used to match headings against <title>)."""
    return clean(text).casefold()


_COMBINING = re.compile("[\u0300-\u036f]")


def mentions(flat: str, pattern: re.Pattern[str]) -> bool:
    """``pattern.search`` on lowercased text, retried on its NFC form only if the text has
    combining marks (NFC costs ~30 ns a character on decomposed text; entities are already
    decoded by the parser, so NFD is the only other spelling left)."""
    if pattern.search(flat):
        return True
    return bool(_COMBINING.search(flat)) and bool(pattern.search(nfc(flat)))


def parse_int(text: str | None) -> int | None:
    """Parse a displayed integer with ``.``/``,``/space thousands separators.

    Only well-formed groupings are accepted (``4.798.819``, ``1,234,567``, ``2481457``), so a
    decimal like ``4.5`` or a date fragment never turns into a count.
    """
    if not text:
        return None
    value = clean(text)
    if _PLAIN_INT.fullmatch(value):
        return int(value)
    if _GROUPED_INT.fullmatch(value):
        return int(re.sub(r"[.,\s]", "", value))
    return None


_PLAIN_INT = re.compile(r"\d{1,15}")
_GROUPED_INT = re.compile(r"\d{1,3}(?:([.,\s])\d{3})(?:\1\d{3}){0,4}")
