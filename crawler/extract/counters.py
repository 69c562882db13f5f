"""Site-wide visit counters (``Thống kê truy cập``) and per-article view counts.

Counters are read from text nodes, so markup does not matter:
``<span class="label">Hôm nay:</span> <span class="value">323</span>``,
``Đang truy cập: <b>28</b>`` and ``<li>Hôm nay: 323</li>`` all give the same pair. The scan
starts from the few short text nodes that hold a number and looks at the text node right
before each (after a cheap gate on the whole page text). A pair counts only when

- the label token is exactly one of the known labels (optionally with ``:``), the value is
  the label's own remainder or the very next token, and it is a well-formed integer, and
- it sits in a visit-counter widget (after a heading such as ``Thống kê truy cập`` or
  ``Số lượng truy cập``, or inside an element whose class/id says counter/thongke/visitor),
  or at least outside the article body.

So numbers in article prose (``Hôm nay, 323 hộ dân…``) never become counters. The first
occurrence of each metric wins (responsive templates often render the widget twice).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from lxml import etree

from .anchors import VIEW_RE
from .normalize import clean, mentions, parse_int
from .record import VisitCounter

LABELS = {
    "hôm nay": "visits_today",
    "hôm qua": "visits_yesterday",
    "tuần này": "visits_week",
    "tháng hiện tại": "visits_month",
    "tháng này": "visits_month",
    "đã truy cập": "visits_total",
    "tổng": "visits_total",
    "tổng lượt truy cập": "visits_total",
    "tổng số lượt truy cập": "visits_total",
    "lượt truy cập": "visits_total",
    "đang truy cập": "online_now",
    "đang online": "online_now",
    "trực tuyến": "online_now",
}
_LABEL_RE = re.compile(
    r"^(?P<label>" + "|".join(sorted(map(re.escape, LABELS), key=len, reverse=True)) + r")"
    r"\s*:?\s*(?P<value>\d[\d.,\s]*)?$",
    re.I,
)
_DIGIT = re.compile(r"\d")
# Matched against lowercased text without re.I: case-insensitive alternations of non-ASCII
# literals defeat the regex engine's first-character scan and cost ~6x more.
COUNTER_GATE = re.compile(
    r"(?:" + "|".join(sorted(map(re.escape, LABELS), key=len, reverse=True)) + r")\s*:?\s*\d"
)
_VALUE_RE = re.compile(r"^\d{1,3}(?:[.,\s]\d{3})+$|^\d+$")
_WIDGET_HEADINGS = re.compile(
    r"^(?:thống kê (?:lượt )?truy cập|số (?:lượng|lượt) truy cập|thống kê|lượt truy cập|"
    r"bộ đếm(?: truy cập)?|visitors?(?: counter)?|thống kê website)\s*:?$",
    re.I,
)
_WIDGET_CLASS = ("counter", "thongke", "visitor", "truycap", "statistic", "tracking")
_WIDGET_SPAN = 12  # text nodes before a label that may hold the widget heading


def _subtree_reversed(el: Any) -> Iterator[str | None]:
    """Texts inside ``el`` (not its tail), last first. Iterative: pages can nest deeper
    than Python's recursion limit."""
    stack: list[Any] = [el]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
            continue
        if item.text:
            stack.append(item.text)
        for child in item:
            if isinstance(child.tag, str):
                stack.append(child)
            if child.tail:
                stack.append(child.tail)


def _texts_before(el: Any, is_tail: bool) -> Iterator[str]:
    """Non-empty text nodes before ``el.text`` (or before ``el.tail``), nearest first.

    A hand-written reverse document-order walk: XPath's ``preceding::`` axis materializes
    every earlier node of the page and costs milliseconds.
    """
    if is_tail:
        yield from (t for t in _subtree_reversed(el) if t and not t.isspace())
    cur = el
    while cur is not None:
        prev = cur.getprevious()
        while prev is not None:
            if prev.tail and not prev.tail.isspace():
                yield prev.tail
            if isinstance(prev.tag, str):
                yield from (t for t in _subtree_reversed(prev) if t and not t.isspace())
            prev = prev.getprevious()
        cur = cur.getparent()
        if cur is not None and cur.text and not cur.text.isspace():
            yield cur.text


def _anchored(el: Any, is_tail: bool) -> bool:
    """In a counter widget: a counter-like class/id up the tree, or a widget heading among
    the few text nodes before the label."""
    cur = el
    for _ in range(6):
        if cur is None:
            break
        attrs = ((cur.get("class") or "") + " " + (cur.get("id") or "")).lower()
        if any(h in attrs for h in _WIDGET_CLASS):
            return True
        cur = cur.getparent()
    for n, text in enumerate(_texts_before(el, is_tail)):
        if n >= _WIDGET_SPAN:
            break
        if _WIDGET_HEADINGS.match(clean(text)):
            return True
    return False


def _outside(el: Any, excluded: Any) -> bool:
    if excluded is None:
        return True
    while el is not None:
        if el is excluded:
            return False
        el = el.getparent()
    return True


def _numeric_texts(root: Any) -> Iterator[tuple[str, Any, bool]]:
    """(text, element, is_tail) for short text nodes containing a digit.

    Every counter value is such a node and there are few of them, so labels are looked up
    backwards from the numbers instead of walking all text (``iter()`` runs in C; this keeps
    counters well under a millisecond on a 90 KB page).
    """
    search = _DIGIT.search
    for el in root.iter():
        text = el.text
        if text and len(text) <= 200 and search(text):
            yield text, el, False
        text = el.tail
        if text and len(text) <= 200 and search(text):
            yield text, el, True


def find_counters(root: Any, exclude: Any = None, flat_text: str | None = None
                  ) -> list[VisitCounter]:
    """Visit counters on the page; ``exclude`` is the article body element (never read).

    ``flat_text``: the page text, lowercased (``Page.flat_text``), if the caller has it.
    """
    if root is None:
        return []
    # Cheap gate: the serialized text (built in C) must show a label next to a number at all.
    if flat_text is None:
        flat_text = etree.tostring(root, method="text", encoding="unicode",
                                   with_tail=False).lower()
    if not mentions(flat_text, COUNTER_GATE):
        return []
    found: dict[str, VisitCounter] = {}
    for raw, el, is_tail in _numeric_texts(root):
        text = clean(raw)
        m = _LABEL_RE.match(text)
        if m and m.group("value"):
            label, value_raw = m.group("label"), m.group("value").strip()
        elif _VALUE_RE.match(text):
            before = next(_texts_before(el, is_tail), "")
            prev = _LABEL_RE.match(clean(before).rstrip(": ").strip())
            if not prev or prev.group("value"):
                continue
            label, value_raw = prev.group("label"), text
        else:
            continue
        metric = LABELS[label.casefold()]
        value = parse_int(value_raw)
        if value is None or metric in found or not _VALUE_RE.match(value_raw):
            continue
        holder = el.getparent() if is_tail else el
        if _anchored(el, is_tail) or _outside(holder, exclude):
            found[metric] = VisitCounter(metric, value, clean(label), value_raw)
    return list(found.values())


def find_view_count(texts: list[str]) -> tuple[str, int] | None:
    """The first ``Lượt xem: 400`` / ``View count: 865`` in the given lines: (raw, value)."""
    for text in texts:
        if not text or len(text) > 200:
            continue
        m = VIEW_RE.search(text)
        if m:
            value = parse_int(m.group("value"))
            if value is not None:
                return clean(m.group(0)), value
    return None
