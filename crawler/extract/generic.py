"""The generic fallback: text anchors that work on layouts never seen before.

Runs on the page as lines (``lines.py``), for whichever fields the family profile left
empty, each computed lazily:

title
    The line that best matches og:title/``<title>`` ("article - section - site"), scored
    up for h1/h2 or a ``*title*`` class and for a date line right below it, down for links
    and chrome (menus, footers, sidebars). Without any match, a heading followed by a date
    line. A template ``<title>`` that names another page (FAMILIES.md gotcha 3) therefore
    matches nothing and the heading+date rule decides.
date
    The first short date line within a few lines after the title (else just above it).
body
    After the date (or title), up to the first end marker (``Gửi ý kiến phản hồi``,
    ``TIN ĐÃ ĐƯA``, share/print links) that follows some text: the element holding the most
    paragraph text (paragraphs count towards their parent, half towards the grandparent).
    Widget lines (``100%``, share buttons, view counts) are skipped.
author
    The byline at the end of the body (``anchors.find_byline``), removed from the body.
summary
    A ``sapo``/``summary``-classed line, else a bold paragraph between the date and the body.
category
    The last item of a breadcrumb: an element classed ``breadcrumb``, else the block around
    a ``Trang chủ`` link (not a lone menu entry, not page chrome) read as lines.
view count
    ``Lượt xem``/``View count``/``Lượt đọc`` near the title, date or end of the body.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from .anchors import (
    SAPO_HINTS,
    TITLE_HINTS,
    VIEW_GATE,
    date_line,
    explicit_byline,
    find_byline,
    has_class_hint,
    has_separator,
    in_chrome,
    is_noise,
    is_stop,
    is_within,
    paragraph_container,
    title_match_folded,
    title_refs,
)
from .breadcrumbs import breadcrumb_items
from .counters import find_view_count
from .dates import DateResult, find_date
from .lines import Line
from .normalize import casefold_key, clean
from .step import Body, StepResult

_HEADING_BONUS = {"h1": 1.5, "h2": 1.0, "h3": 0.5, "h4": 0.25, "h5": 0.25, "h6": 0.25}
PARA_CHARS = 25  # a line this long and not a link counts as paragraph text


def is_para(line: Line) -> bool:
    return line.chars >= PARA_CHARS and not line.is_link


class Generic:
    """Lazy text-anchor extraction over one page; ``known_title`` anchors on a title that an
    earlier cascade step already found."""

    def __init__(self, page: Any, known_title: str | None = None) -> None:
        self.page = page
        self.known_title = known_title
        self._dates: dict[int, DateResult | None] = {}

    @cached_property
    def lines(self) -> list[Line]:
        return self.page.lines

    # -- title ---------------------------------------------------------------------------

    @cached_property
    def title(self) -> tuple[int | None, str | None]:
        """(line index, reason when not found)."""
        lines = self.lines
        if not lines:
            return None, "no text in the page"
        if self.known_title:
            key = casefold_key(self.known_title)
            for line in lines:
                if line.text.casefold() == key and not line.is_link:
                    return line.idx, None
        refs = title_refs(self.page)
        # A <title> without any separator is as often the bare site name as the article
        # title, so matching it whole is weaker evidence than "article - section - site".
        folded = [(ref.casefold(), 2.0 if ref == self.page.title_tag and not has_separator(ref)
                   else 3.0) for ref in refs]
        best: tuple[float, int] | None = None
        for line in lines[:2000]:
            if not 4 <= line.chars <= 250 or line.words > 40:
                continue
            key = line.text.casefold()
            match = max((min(cap, title_match_folded(key, ref)) for ref, cap in folded),
                        default=0.0)
            tag = _HEADING_BONUS.get(line.tag, 0.0)
            cls = 1.0 if has_class_hint(line.el, TITLE_HINTS) else 0.0
            if match == 0 and tag + cls < 1:
                continue
            dated = self._date_bonus(line.idx)
            # without a <title> match only a prominent heading counts: h1/h2, or a
            # non-heading element with a title class (h3-h6 are mostly widget headings)
            prominent = tag >= 1 or (cls and not tag)
            if match < 2 and not (prominent and dated >= 1):
                continue
            if in_chrome(line.el):
                continue  # the site name in a footer or banner can equal <title> exactly
            score = match + tag + cls + dated + (0.5 if line.words >= 5 else 0.0)
            if line.is_link:
                score -= 1.5
            if best is None or score > best[0]:
                best = (score, line.idx)
        if best is None:
            return None, "no heading matches <title>/og:title and none is followed by a date"
        return best[1], None

    def _date_bonus(self, idx: int) -> float:
        for k, bonus in ((1, 2.0), (2, 1.0), (3, 0.5)):
            if idx + k < len(self.lines) and self.date_at(idx + k) is not None:
                return bonus
        return 0.0

    def date_at(self, idx: int) -> DateResult | None:
        """``date_line`` of line ``idx``, memoized (title scoring, the date search and the
        listing evidence all ask about the same few lines)."""
        if idx not in self._dates:
            self._dates[idx] = date_line(self.lines[idx])
        return self._dates[idx]

    # -- date ----------------------------------------------------------------------------

    @cached_property
    def date(self) -> tuple[int | None, DateResult | None, str | None]:
        """(line index, date, reason when not found)."""
        tidx, _ = self.title
        if tidx is None:
            return None, None, "no title line to anchor the date on"
        lines = self.lines
        for i in range(tidx + 1, min(len(lines), tidx + 7)):
            found = self.date_at(i)
            if found is not None:
                return i, found, None
            if is_para(lines[i]) and lines[i].chars > 150:
                break  # the body has started
        for i in range(tidx - 1, max(-1, tidx - 4), -1):
            found = self.date_at(i)
            if found is not None:
                return i, found, None
        return None, None, "no date line next to the title"

    # -- body ----------------------------------------------------------------------------

    @cached_property
    def anchor(self) -> int:
        """Index of the last header line (title or date); the body starts after it."""
        tidx, _ = self.title
        didx = self.date[0]
        marks = [i for i in (tidx, didx) if i is not None]
        return max(marks) if marks else -1

    @cached_property
    def region(self) -> tuple[int, int]:
        """[start, stop) of the lines between the header and the first end marker."""
        lines = self.lines
        start = self.anchor + 1
        seen_text = False
        for i in range(start, len(lines)):
            line = lines[i]
            if is_para(line):
                seen_text = True
            elif seen_text and is_stop(line.text):
                return start, i
        return start, len(lines)

    @cached_property
    def container(self) -> Any:
        start, stop = self.region
        scores: dict[int, float] = {}
        elements: dict[int, Any] = {}
        for line in self.lines[start:stop]:
            if not is_para(line):
                continue
            parent = paragraph_container(line)
            for el, weight in ((parent, 1.0), (parent.getparent(), 0.5)):
                if el is not None:
                    scores[id(el)] = scores.get(id(el), 0.0) + weight * line.chars
                    elements[id(el)] = el
        if not scores:
            return None
        return elements[max(scores, key=scores.__getitem__)]

    @cached_property
    def body_parts(self) -> tuple[Body | None, Any, str | None]:
        """(body, author or None, reason when there is no body)."""
        container = self.container
        if container is None:
            return None, None, "no paragraph text after the title"
        start, stop = self.region
        kept: list[Line] = []
        for line in self.lines[start:stop]:
            if is_within(line.el, container) and not is_noise(line.text):
                kept.append(line)
        summary_line = self.summary_line
        kept = [line for line in kept if line is not summary_line]
        author = None
        found = find_byline(kept)
        if found is not None:
            pos, author = found
            kept = kept[:pos] + kept[pos + 1:]
        elif kept:
            # NukeViet-style "Tác giả bài viết: …" just below the body container
            for line in self.lines[kept[-1].idx + 1:min(stop, kept[-1].idx + 5)]:
                author = explicit_byline(line)
                if author is not None:
                    break
        if not kept:
            return None, author, "no body paragraphs between the title and the end markers"
        keep_ids = {id(line) for line in kept}
        excluded = [line for line in self.lines
                    if id(line) not in keep_ids and is_within(line.el, container)]
        return Body(container, kept, excluded), author, None

    # -- summary -----------------------------------------------------------------------

    @cached_property
    def summary_line(self) -> Line | None:
        start, stop = self.region
        candidates = self.lines[max(0, start):min(stop, start + 6)]
        for line in candidates:
            if line.chars >= 20 and has_class_hint(line.el, SAPO_HINTS):
                return line
        for line in candidates:
            if is_para(line) and line.is_bold and line.words >= 8:
                # a bold lead paragraph (the Vietnamese "sapo") that is not the whole text
                later = [x for x in self.lines[line.idx + 1:stop] if is_para(x)]
                return line if later else None
            if is_para(line):
                break
        return None

    # -- category and view count ---------------------------------------------------------

    @cached_property
    def category(self) -> tuple[str | None, str | None]:
        crumbs = breadcrumb_items(self.page.body)
        if len(crumbs) > 1 and crumbs[-1].casefold() == self._title_key():
            crumbs.pop()  # an article breadcrumb ending with the article's own title
        if crumbs:
            return crumbs[-1], None
        return None, "no breadcrumb"

    def _title_key(self) -> str:
        if self.known_title:
            return casefold_key(self.known_title)
        tidx = self.title[0]
        return self.lines[tidx].text.casefold() if tidx is not None else ""

    @cached_property
    def view_count(self) -> tuple[tuple[str, int] | None, str | None]:
        if not VIEW_GATE.search(self.page.flat_text):
            return None, "no view count label (Lượt xem/View count) on the page"
        lines = self.lines
        tidx = self.title[0]
        near: list[str] = []
        if tidx is not None:
            near = [line.text for line in lines[max(0, tidx - 2):self.anchor + 3]]
        body, _, _ = self.body_parts
        if body is not None and body.lines:
            end = body.lines[-1].idx
            near += [line.text for line in lines[end + 1:end + 4]]
        found = find_view_count(near)
        return found, None if found else "no view count (Lượt xem/View count) near the article"

    # -- page type evidence -----------------------------------------------------------

    @cached_property
    def listing_evidence(self) -> tuple[int, int]:
        """(dated link items after the title, paragraph chars before the first of them)."""
        lines = self.lines
        tidx = self.title[0]
        start = tidx + 1 if tidx is not None else 0
        items, first = 0, None
        for i in range(start, min(len(lines), start + 400)):
            line = lines[i]
            if not line.is_link or line.chars < 15:
                continue
            dated = find_date(line.text) is not None or any(
                i + k < len(lines) and not lines[i + k].is_link
                and find_date(lines[i + k].text) is not None and lines[i + k].chars <= 80
                for k in (1, 2)
            )
            if dated:
                items += 1
                first = i if first is None else first
        stop = first if first is not None else len(lines)
        para = sum(line.chars for line in lines[self.anchor + 1:stop] if is_para(line))
        return items, para


def generic_step(page: Any, wanted: set[str], known_title: str | None = None,
                 extractor: Generic | None = None) -> StepResult:
    """The fallback step for the ``wanted`` fields."""
    g = extractor or Generic(page, known_title)
    result = StepResult("generic")
    if "title" in wanted:
        idx, reason = g.title
        if idx is not None:
            result.title = g.lines[idx].text
        else:
            result.failures["title"] = reason or "not found"
    if "date" in wanted:
        _, found, reason = g.date
        result.date = found
        if found is None:
            result.failures["date"] = reason or "not found"
    if wanted & {"body", "author"}:
        body, author, reason = g.body_parts
        if "body" in wanted:
            result.body = body
            if body is None:
                result.failures["body"] = reason or "not found"
        if "author" in wanted:
            result.author = author
            if author is None:
                result.failures["author"] = "no byline at the end of the body"
    if "summary" in wanted:
        line = g.summary_line
        if line is not None:
            result.summary = clean(line.text)
        else:
            result.failures["summary"] = "no sapo (lead paragraph) before the body"
    if "category" in wanted:
        result.category, reason = g.category
        if result.category is None:
            result.failures["category"] = reason or "not found"
    if "view_count" in wanted:
        result.view_count, reason = g.view_count
        if result.view_count is None:
            result.failures["view_count"] = reason or "not found"
    return result
