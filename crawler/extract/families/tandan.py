"""Tân Dân "portal/Pages": the SharePoint portals of Hà Tĩnh (and its communes), Điện Biên,
Nam Định, Ninh Thuận, Thanh Hóa.

URLs
    articles ``/portal/Pages/YYYY-M-D/<Slug><id>.aspx`` (the case of ``Pages`` varies; a print
    view adds ``?print=1``); the article id is the date folder plus the file name, lowercased
    (the slug and the number run together, so the number alone cannot be cut out reliably);
    listings ``/portal/Pages/<Category>.aspx`` paged by ``?PageIndex=N``; home
    ``/portal/Pages/default.aspx``.

Profile
    ``Đăng ngày 17 - 05 - 2024`` (date only, recorded with day precision) then
    ``Lượt xem: 400``; the title is the heading above that date line; the body runs to the
    related list (``Các tin khác``); the author is the trailing paragraph. The class names of
    the replica (``td-title``, ``td-date``, ``td-sapo``, ``td-content``) are a fast path; other
    markups get the text anchors (title above ``Đăng ngày``) and then the generic fallback.
"""

from __future__ import annotations

import re
from typing import Any

from ..counters import find_view_count
from ..dates import find_date
from ..lines import HEADINGS
from ..page import text_of
from ..step import StepResult
from ._markup import marked, own_lines
from .base import Family, bare_host, fill_body, query_param, split

_ARTICLE = re.compile(r"^(?P<site>(?:/[^/]+)*?)/portal/pages/(?P<day>\d{4}-\d{1,2}-\d{1,2})/"
                      r"(?P<file>[^/]+)\.aspx$", re.I)
_LISTING = re.compile(r"^(?:/[^/]+)*?/portal/pages/(?P<name>[^/]+)\.aspx$", re.I)
_HOME = re.compile(r"^(?:/[^/]+)*?/portal(?:/pages/default\.aspx|/?)$", re.I)
_NO_FOLLOW = re.compile(r"/_layouts/|/_vti_bin/|/_catalogs/|/forms/|/lists/", re.I)
_ARTICLE_LINK = re.compile(r"/portal/pages/\d{4}-\d{1,2}-\d{1,2}/[^\"'/]+\.aspx", re.I)
_POSTED = re.compile(r"đăng\s+ngày", re.I)
_CLASSES = ("td-news-detail", "td-title", "td-date", "td-sapo", "td-content")


class TandanFamily(Family):
    name = "tandan"
    priority = 30

    def detect(self, url: str, html: str | None = None) -> list[str]:
        reasons = []
        path = split(url).path
        if _ARTICLE.match(path):
            reasons.append("url: /portal/Pages/YYYY-M-D/<slug><id>.aspx (Tân Dân article)")
        elif _LISTING.match(path):
            reasons.append("url: /portal/Pages/<name>.aspx (Tân Dân page)")
        if html and _ARTICLE_LINK.search(html):
            reasons.append("dom: links to /portal/Pages/YYYY-M-D/<slug><id>.aspx articles")
        return reasons

    def article_id(self, url: str) -> str | None:
        m = _ARTICLE.match(split(url).path)
        if not m:
            return None
        return f"{m.group('site').lower()}/{m.group('day')}/{m.group('file').lower()}".lstrip("/")

    def is_listing(self, url: str) -> bool:
        path = split(url).path
        if _ARTICLE.match(path) or _HOME.match(path):
            return False
        return bool(_LISTING.match(path)) or query_param(url, "PageIndex") is not None

    def is_home(self, url: str) -> bool:
        parts = split(url)
        return (bool(_HOME.match(parts.path)) or parts.path in ("", "/")) and not parts.query

    def canonical_url(self, url: str) -> str:
        parts = split(url)
        m = _ARTICLE.match(parts.path)
        if not m or not parts.netloc:
            return super().canonical_url(url)
        return (f"{(parts.scheme or 'http').lower()}://{bare_host(parts.netloc)}"
                f"{m.group('site')}/portal/Pages/{m.group('day')}/{m.group('file')}.aspx")

    def identity(self, url: str) -> str:
        aid = self.article_id(url)
        return f"{bare_host(split(url).netloc)}/{aid}" if aid else super().identity(url)

    def should_follow(self, url: str) -> bool:
        return self.follows_navigation(url, _NO_FOLLOW, skip_print=True)

    # -- profile -----------------------------------------------------------------------

    def extract(self, page: Any) -> StepResult:
        result = StepResult(self.name)
        if page.body is None:
            return result
        found = marked(page.body, _CLASSES, "div", "h1", "h2")
        if "td-title" in found and "td-content" in found:
            self._classes(found, result)
        else:
            self._anchors(page, result)
        return result

    def _date_line(self, text: str, result: StepResult) -> None:
        result.date = find_date(text)
        result.view_count = find_view_count([text])
        if result.view_count is None:
            result.failures["view_count"] = "no 'Lượt xem' beside the date"

    def _classes(self, found: dict[str, Any], result: StepResult) -> None:
        result.title = text_of(found["td-title"]) or None
        if "td-date" in found:
            self._date_line(text_of(found["td-date"]), result)
        if "td-sapo" in found:
            result.summary = text_of(found["td-sapo"]) or None
        content = found["td-content"]
        lines = own_lines(content)
        fill_body(result, content, lines, lines)
        self._settle(result)

    def _anchors(self, page: Any, result: StepResult) -> None:
        """Unknown markup: the heading right above the ``Đăng ngày`` line is the title."""
        lines = page.lines
        for line in lines:
            if line.chars <= 120 and _POSTED.search(line.text) and find_date(line.text):
                above = [x for x in lines[max(0, line.idx - 3):line.idx]
                         if x.tag in HEADINGS and not x.is_link]
                if above:
                    result.title = above[-1].text
                    self._date_line(line.text, result)
                return
        result.failures["title"] = "no heading above an 'Đăng ngày' date line"

    @staticmethod
    def _settle(result: StepResult) -> None:
        if result.body is None:
            # an article whose body is empty: nothing else on the page is its body
            result.final |= {"body", "author"}
            result.failures["body"] = "the article's content element is empty"
        if result.author is None:
            result.absent.add("author")
            result.failures["author"] = "no trailing byline paragraph in the content"


FAMILY = TandanFamily()
