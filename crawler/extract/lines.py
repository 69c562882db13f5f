"""The page as a list of text lines, the unit the text-anchor steps reason about.

FAMILIES.md describes the pages as text ("the title, then a bare timestamp line, the body, the
author as the last short line before *Gửi ý kiến phản hồi*"), so the fallback steps work on
that same view: every block element (and ``<br>``) ends a line; each ``Line`` keeps the
innermost block element it came from (to map text back to markup for ``body_html``) plus how
much of it was link text and bold text (to tell link lists and sapo paragraphs apart).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree

from .normalize import clean

BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details",
    "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form",
    "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "html", "legend", "li", "main", "nav",
    "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead",
    "tr", "ul",
})
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# Navigation menus never hold article fields and are the largest source of noise lines.
_SKIP_TAGS = frozenset({"nav", "button", "option", "head", "title", "iframe"})
_BOLD_TAGS = frozenset({"strong", "b"})


@dataclass(slots=True)
class Line:
    """One line of visible text."""

    idx: int
    text: str
    el: Any  # the innermost block element the text sits in
    chars: int  # len(text)
    link_chars: int  # how much of it is link text
    bold_chars: int  # how much of it is inside <strong>/<b>
    href: str | None  # the first link in the line

    @property
    def tag(self) -> str:
        return self.el.tag if isinstance(self.el.tag, str) else ""

    @property
    def is_link(self) -> bool:
        """Mostly link text: a menu entry, a related-news item, a share button."""
        return self.chars > 0 and self.link_chars >= 0.8 * self.chars

    @property
    def is_bold(self) -> bool:
        return self.chars > 0 and self.bold_chars >= 0.9 * self.chars

    @property
    def words(self) -> int:
        return len(self.text.split())


def linearize(body: Any) -> list[Line]:
    """Walk ``body`` once (iteratively: deep pages must not hit the recursion limit).

    The loop is inlined and whitespace-only text short-circuits: this runs on every page the
    fallback handles, and Liferay-style pages are mostly whitespace between tags.
    """
    lines: list[Line] = []
    buf: list[str] = []
    chars = link_chars = bold_chars = 0
    href: str | None = None
    stack: list[Any] = [body]
    in_a = in_b = 0

    def flush() -> None:
        nonlocal chars, link_chars, bold_chars, href
        if chars:
            text = clean("".join(buf))
            if text:
                # raw counts include whitespace runs inside text nodes: rescale to the
                # cleaned length, keeping the link/bold proportions
                n = len(text)
                lines.append(Line(len(lines), text, stack[-1], n, n * link_chars // chars,
                                  n * bold_chars // chars, href))
        buf.clear()
        chars = link_chars = bold_chars = 0
        href = None

    walker = etree.iterwalk(body, events=("start", "end"))
    for event, el in walker:
        tag = el.tag
        if not isinstance(tag, str):
            continue
        if event == "start":
            if tag in _SKIP_TAGS:
                walker.skip_subtree()
                continue
            if tag in BLOCK_TAGS or tag == "br":
                if buf:
                    flush()
                if tag != "br":
                    stack.append(el)
            elif tag == "a":
                in_a += 1
                if href is None:
                    href = el.get("href")
            elif tag in _BOLD_TAGS:
                in_b += 1
            text = el.text
        else:
            if tag in _SKIP_TAGS:
                pass  # its subtree was skipped and nothing was pushed for it
            elif tag in BLOCK_TAGS:
                if buf:
                    flush()
                if len(stack) > 1:
                    stack.pop()
            elif tag == "a":
                in_a = max(0, in_a - 1)
            elif tag in _BOLD_TAGS:
                in_b = max(0, in_b - 1)
            text = el.tail if el is not body else None
        if text:
            n = len(text.strip())
            if n:
                buf.append(text)
                chars += n
                if in_a:
                    link_chars += n
                if in_b:
                    bold_chars += n
            elif buf:
                buf.append(" ")  # keeps words apart across inline tags
    if buf:
        flush()
    return lines
