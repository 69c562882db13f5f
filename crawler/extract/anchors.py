"""Text anchors shared by the family profiles and the generic fallback.

These encode what FAMILIES.md says about the *text* of the pages, independent of markup:
the title is the heading that starts ``<title>``; the date is a short date line right after
it; the body ends at ``Gửi ý kiến phản hồi``, a related-news heading (``TIN ĐÃ ĐƯA``,
``Tin khác``…) or the share/print links; the author is the last short name-like line of the
body (or a ``Tác giả:`` line); font-size widgets (``100%``) and share buttons are noise.
"""

from __future__ import annotations

import re
from typing import Any

from .dates import DateResult, find_date
from .lines import HEADINGS, Line
from .normalize import clean
from .step import Author

_STOP_PHRASES = (
    "gửi ý kiến phản hồi", "ý kiến phản hồi", "gửi phản hồi", "gửi ý kiến", "các tin đã đưa",
    "tin đã đưa", "các tin khác", "tin khác", "các tin liên quan", "tin liên quan",
    "bài viết liên quan", "các bài viết khác", "bài viết khác", "tin cùng chuyên mục",
    "tin bài khác", "tin mới hơn", "tin cũ hơn", "xem thêm", "in bài viết", "in trang", "in bài",
    "bản in", "gửi mail", "gửi email", "gửi bài viết", "chia sẻ bài viết", "chia sẻ",
    "lên đầu trang", "về đầu trang", "quay lại", "trở về", "bình luận", "ý kiến bạn đọc",
    "related news", "other news", "print", "share", "back",
)
_NOISE_PHRASES = (
    "cỡ chữ", "font size", "kích thước chữ", "tweet", "like", "facebook", "zalo", "email",
    "twitter", "lượt thích", "đọc bài", "nghe bài", "nghe đọc", "in", "a", "a-", "a+", "-a", "+a",
)


def _phrase_re(phrases: tuple[str, ...]) -> re.Pattern[str]:
    alternation = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
    return re.compile(r"(?<!\w)(?:" + alternation + r")(?!\w)")


_STOP_RE = _phrase_re(_STOP_PHRASES)
_NOISE_RE = _phrase_re(_NOISE_PHRASES + _STOP_PHRASES)
_LEFTOVER = re.compile(r"\w")
_FONT_WIDGET = re.compile(r"^(?:\d{2,3}\s*%|[-+]?\s*a\s*[-+]?|[|/•·:,\s])+$", re.I)
VIEW_RE = re.compile(
    r"(?<!\w)(?P<label>lượt xem|lượt đọc|số lượt xem|số lượt đọc|số lần xem|đã xem|"
    r"lượt truy cập bài viết|"
    r"view count|views?|hits?)\s*:?\s*(?P<value>\d{1,3}(?:[.,]\d{3})+|\d+)(?!\d)",
    re.I,
)

# A loose gate for the same labels on lowercased text, written to match NFC and NFD alike
# (the label endings "xem", "đọc", "viết"), so the whole page never needs NFC just to learn
# that it shows no view count. No re.I: much faster on a whole page.
VIEW_GATE = re.compile("(?:xem|\u0111\u1ecdc|\u0111o\u0323c|vi\u1ebft|vie\u0302\u0301t|"
                       "view count|views?|hits?)\\s*:?\\s*\\d")


_EDGE = " |•·-–:/()[]"
_NOISE_STARTS = _NOISE_PHRASES + _STOP_PHRASES


def is_stop(text: str) -> bool:
    """A short line made only of end-of-article markers (feedback, related news, share)."""
    if len(text) > 60:
        return False
    folded = text.casefold().strip(_EDGE)
    # the line must start with a marker: a C-level startswith() spares the regexes on
    # almost every line
    if not folded.startswith(_NOISE_STARTS):
        return False
    return bool(_STOP_RE.search(folded)) and not _LEFTOVER.search(_NOISE_RE.sub("", folded))


def is_noise(text: str) -> bool:
    """Widget text inside the content column: font size ``100%``, share/print buttons, view
    counts, lone separators."""
    if len(text) > 60:
        return False
    folded = text.casefold().strip(_EDGE)
    if not folded or _FONT_WIDGET.match(folded):
        return True
    if VIEW_RE.fullmatch(folded):
        return True
    if not folded.startswith(_NOISE_STARTS):
        return False
    return not _LEFTOVER.search(_NOISE_RE.sub("", folded))


# -- class-name conventions (generic web conventions, not one CMS's names) --------------

_SEPARATOR_CHARS = str.maketrans("", "", " -_.:\t\n")


def class_key(el: Any) -> str:
    """``class`` + ``id`` lowercased with separators removed (``news-title`` → ``newstitle``)."""
    if el is None or not isinstance(getattr(el, "tag", None), str):
        return ""
    raw = (el.get("class") or "") + (el.get("id") or "")
    return raw.lower().translate(_SEPARATOR_CHARS) if raw else ""


def has_class_hint(el: Any, hints: tuple[str, ...], levels: int = 1) -> bool:
    """Whether ``el`` (or one of its first ``levels`` ancestors) has a class/id containing a
    hint."""
    for _ in range(levels + 1):
        if el is None:
            return False
        key = class_key(el)
        if key and any(h in key for h in hints):
            return True
        el = el.getparent()
    return False


TITLE_HINTS = ("title", "tieude", "headline", "heading")
AUTHOR_HINTS = ("author", "tacgia", "byline", "nguoiviet")
SAPO_HINTS = ("sapo", "summary", "tomtat", "chapeau", "description", "intro", "mota")
CHROME_HINTS = ("menu", "nav", "footer", "sidebar", "banner", "logo", "breadcrumb", "topbar",
                "widget", "colright", "rightcol", "cotphai", "colleft", "leftcol", "cottrai")
CHROME_TAGS = frozenset({"footer", "aside", "nav", "menu"})  # not <header>: articles use it


def in_chrome(el: Any, levels: int = 10) -> bool:
    """Inside page chrome (footer/aside or a menu/sidebar/banner-classed block)."""
    for _ in range(levels):
        if el is None:
            return False
        if el.tag in CHROME_TAGS:
            return True
        key = class_key(el)
        if key and any(h in key for h in CHROME_HINTS):
            return True
        el = el.getparent()
    return False

# -- title ------------------------------------------------------------------------------


_SEPARATORS = (" - ", " | ", " – ", " — ", " :: ", " » ", ": ", " / ")


def has_separator(text: str) -> bool:
    return any(sep in text for sep in _SEPARATORS)


def title_match(candidate: str, ref: str) -> float:
    """How well a visible line matches a reference title (``<title>``, og:title), 0..3.

    ``<title>`` is usually "article - section - site": a candidate that *starts* it and is
    followed by a separator is a strong match; a site-name prefix is not (it would need the
    rest to be a separator too).
    """
    return title_match_folded(candidate.casefold(), ref.casefold())


def title_match_folded(cand: str, ref: str) -> float:
    """``title_match`` on already casefolded strings (the title scan folds each once)."""
    if not cand or not ref or len(cand) < 4:
        return 0.0
    if cand == ref:
        return 3.0
    if ref.startswith(cand) and ref[len(cand):].startswith(_SEPARATORS):
        return 3.0
    if ref.endswith(cand) and ref[: -len(cand)].endswith(_SEPARATORS):
        return 2.5
    if len(ref) >= 20 and cand.startswith(ref.rstrip(" .…")):
        return 2.0  # the <title> is a truncated copy of the heading
    return 0.0


def title_refs(page: Any) -> list[str]:
    meta = page.meta
    refs = [meta.get(k) for k in ("og:title", "twitter:title", "ld:headline",
                                  "itemprop:headline")]
    refs.append(page.title_tag)
    return [r for r in refs if r]


# -- dates --------------------------------------------------------------------------------

def date_line(line: Line, bare: bool = False) -> DateResult | None:
    """The date shown by a short, non-link line, if it is a date line.

    ``bare``: the line must be nothing but the date (the QNP ``27/01/2022 10:16`` line).
    """
    if line.chars > 120 or line.link_chars > 0.3 * line.chars:
        return None  # long text, or a linked item with its date (a news list entry)
    found = find_date(line.text)
    if found is None:
        return None
    rest = line.text.replace(found.raw, " ").strip(" |,-–()")
    if bare and rest:
        return None
    # Other text around the date (labels, view counts) is fine; a sentence is not.
    if len(rest) > 40 or rest.endswith("."):
        return None
    return found


# -- author ----------------------------------------------------------------------------------

_ROLE = re.compile(
    r"^(?:tác giả bài viết|tác giả|bài\s*(?:,|và)\s*ảnh|tin\s*(?:,|và)\s*ảnh|bài|ảnh|tin|"
    r"người viết|phóng viên|nhóm phóng viên|pv|ctv|thực hiện|biên tập)\s*:\s*",
    re.I,
)
_SOURCE = re.compile(r"^(?:nguồn(?: tin)?|theo|source)\b", re.I)
_TRAILING_NOTE = re.compile(r"\s*\((?:[^()]{1,30})\)\s*$")
_INITIALS = re.compile(r"^(?:[A-ZĐ]\.){1,4}[A-ZĐ]?\.?$")
_CONNECTORS = frozenset({"và", "-", "–", ",", "&"})
_PLACEHOLDERS = frozenset({"admin", "admin admin", "administrator", "webmaster", "test",
                           "root", "user", "editor", "quản trị", "quản trị viên", "anonymous"})


def looks_like_name(text: str) -> bool:
    """Short, capitalized words without sentence punctuation or digits (``Bùi Thị Quỳnh``)."""
    if not text or len(text) > 60 or any(c.isdigit() for c in text):
        return False
    words = text.replace(",", " , ").split()
    names = [w for w in words if w.casefold() not in _CONNECTORS]
    if not 1 <= len(names) <= 6:
        return False
    for word in names:
        if _INITIALS.match(word):
            continue
        if not word[0].isupper() or any(c in word for c in ".!?;:\"“”"):
            return False
    return True


def looks_like_credit(text: str) -> bool:
    """An organisation credit set as a byline (``Trung tâm TT-VH huyện``): short, starts with
    a capital, no digits, not a sentence."""
    words = text.split()
    return (0 < len(words) <= 8 and len(text) <= 60 and text[0].isupper()
            and not any(c.isdigit() for c in text) and text[-1] not in ".!?;:")


def is_right_aligned(el: Any) -> bool:
    """``align=right`` or ``text-align: right`` on the element or its parent."""
    for node in (el, el.getparent()):
        if node is None:
            continue
        style = (node.get("style") or "").replace(" ", "").lower()
        if (node.get("align") or "").lower() == "right" or "text-align:right" in style:
            return True
    return False


def parse_byline(text: str, hinted: bool = False, styled: bool = False) -> Author | None:
    """A byline from a line of text.

    ``hinted``: markup says it is the author element (an ``author`` class); ``styled``: it is
    set like a byline (right-aligned or bold, at the end of the body), which lets an
    organisation credit count as well as a person's name. Role words (``Bài, ảnh:``), a
    trailing note in parentheses and a `` - unit`` suffix are stripped from the name.
    """
    raw = clean(text)
    if not raw or _SOURCE.match(raw):
        return None  # "Nguồn: …" credits a source, not an author
    role = _ROLE.match(raw)
    name = raw[role.end():] if role else raw
    name = _TRAILING_NOTE.sub("", name).strip(" -–,.")
    if " - " in name:  # "Thu Hằng - TTTT": the name, then the unit
        name = name.split(" - ", 1)[0].strip()
    if not name or (not (role or hinted) and len(raw) > 60):
        return None
    if name.casefold() in _PLACEHOLDERS:
        return Author(raw, None, f"byline {raw!r} is a placeholder, not a name")
    if looks_like_name(name) or ((role or styled) and looks_like_credit(name)):
        return Author(raw, name)
    if role or hinted:
        return Author(raw, None, f"byline {raw!r} does not read as a name")
    return None


def explicit_byline(line: Line) -> Author | None:
    """A line that says it is the byline: a role prefix (``Tác giả bài viết:``) or an
    author-classed element. Used after the body, where a bare name would be a guess."""
    if line.chars > 120:
        return None
    hinted = has_class_hint(line.el, AUTHOR_HINTS)
    if hinted or _ROLE.match(line.text):
        return parse_byline(line.text, hinted=True)
    return None


def find_byline(lines: list[Line]) -> tuple[int, Author] | None:
    """The byline among the last lines of a body: position in ``lines`` and the author.

    The last line counts if it reads as a name (one trailing ``Nguồn:`` credit is stepped
    over); above a normal paragraph only an explicit byline (an author-classed element or a
    role prefix such as ``Bài, ảnh:``) counts, since a lone name there is more likely a
    caption or a sub-heading.
    """
    skipped_source = False
    plain_allowed = True
    for pos in range(len(lines) - 1, max(-1, len(lines) - 5), -1):
        line = lines[pos]
        if not skipped_source and line.chars <= 150 and _SOURCE.match(line.text):
            skipped_source = True
            continue
        if line.chars <= 80:
            hinted = has_class_hint(line.el, AUTHOR_HINTS)
            if plain_allowed or hinted or _ROLE.match(line.text):
                styled = plain_allowed and (line.is_bold or is_right_aligned(line.el))
                author = parse_byline(line.text, hinted, styled)
                if author is not None:
                    return pos, author
        plain_allowed = False
    return None


# -- tree helpers --------------------------------------------------------------------------

def common_ancestor(elements: list[Any]) -> Any:
    """Lowest common ancestor of the elements (None for an empty list)."""
    if not elements:
        return None
    chain = [elements[0], *elements[0].iterancestors()]
    positions = {id(el): i for i, el in enumerate(chain)}
    best = 0
    for el in elements[1:]:
        cur = el
        while cur is not None and id(cur) not in positions:
            cur = cur.getparent()
        if cur is None:
            return chain[-1]
        best = max(best, positions[id(cur)])
    return chain[best]


def is_within(el: Any, container: Any) -> bool:
    while el is not None:
        if el is container:
            return True
        el = el.getparent()
    return False


def paragraph_container(line: Line) -> Any:
    """The element a paragraph-like line counts towards when looking for the densest block."""
    el = line.el
    if el.tag in ("p", "li", "blockquote", "figcaption", "pre", "dd") or el.tag in HEADINGS:
        parent = el.getparent()
        return parent if parent is not None else el
    return el
