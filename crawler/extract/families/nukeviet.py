"""NukeViet 4 eGovernment: many commune and district sites (Đồng Nai, Tây Ninh, Bình Phước).

URLs
    articles ``/[vi/]news/<cat>/<slug>-<id>.html``; twins ``/news/print/…`` and
    ``/news/savefile/…`` and the legacy path without the language all carry the same id;
    listings ``/[vi/]news/<cat>/`` paged by ``/page-N``; home ``/``. RSS and ``sitemap.xml``
    exist but the HTML listings reach every article.

Profile (the theme's ``detail.tpl``)
    title ``h1[itemprop=headline]``; date: the visible ``Thứ ba - 01/02/2022 18:11``
    (``span.h5`` / ``em.time``), else the hidden schema.org ``datePublished``; sapo
    ``#hometext``; body ``#news-bodyhtml``; author: the ``Tác giả bài viết:`` line below the
    body. When that line is missing there is no author: the hidden schema.org ``author``
    then names the site, so metadata is not asked (``final``). ``Nguồn tin:`` credits a
    source, never an author. ``Lượt xem`` (``,`` thousands) is the view count.
"""

from __future__ import annotations

import re
from typing import Any

from ..anchors import explicit_byline
from ..counters import find_view_count
from ..dates import find_date, parse_date
from ..page import text_of
from ..step import StepResult
from ._markup import lines_after, marked, own_lines
from .base import Family, bare_host, fill_body, split

_ARTICLE = re.compile(r"^(?P<lang>/[a-z]{2})?/(?P<mod>news|tin-tuc)/(?:(?P<twin>print|savefile)/)?"
                      r"(?P<rest>(?:[^/]+/)*[^/]*?-(?P<id>\d+)\.html?)$", re.I)
_LISTING = re.compile(r"^(?:/[a-z]{2})?/(?:news|tin-tuc)(?:/[^/.]+)*/?(?:page-\d+/?)?$", re.I)
_NO_FOLLOW = re.compile(r"/(?:print|savefile|admin|rss|users|sendmail|feeds)/|/rss$", re.I)
_NAMES = ("headline", "datePublished", "h5", "time", "hometext", "news-bodyhtml")


class NukevietFamily(Family):
    name = "nukeviet"
    priority = 40

    def detect(self, url: str, html: str | None = None) -> list[str]:
        reasons = []
        if self.article_id(url):
            reasons.append("url: /news/<cat>/<slug>-<id>.html (NukeViet news module)")
        if html and ("NukeViet" in html[:20000] or "nv_open_browse" in html):
            reasons.append("dom: NukeViet generator/scripts")
        if html and 'id="news-bodyhtml"' in html:
            reasons.append("dom: #news-bodyhtml (NukeViet news detail)")
        return reasons

    def article_id(self, url: str) -> str | None:
        m = _ARTICLE.match(split(url).path)
        return m.group("id") if m else None

    def is_listing(self, url: str) -> bool:
        path = split(url).path
        return not _ARTICLE.match(path) and bool(_LISTING.match(path)) and path != "/"

    def canonical_url(self, url: str) -> str:
        """Print and savefile twins collapse onto the article (language and category kept)."""
        parts = split(url)
        m = _ARTICLE.match(parts.path)
        if not m or not parts.netloc:
            return super().canonical_url(url)
        return (f"{(parts.scheme or 'http').lower()}://{bare_host(parts.netloc)}"
                f"{(m.group('lang') or '').lower()}/{m.group('mod').lower()}/{m.group('rest')}")

    def identity(self, url: str) -> str:
        aid = self.article_id(url)
        return f"{bare_host(split(url).netloc)}/news/{aid}" if aid else super().identity(url)

    def should_follow(self, url: str) -> bool:
        return self.follows_navigation(url, _NO_FOLLOW)

    # -- profile -----------------------------------------------------------------------

    def extract(self, page: Any) -> StepResult:
        result = StepResult(self.name)
        if page.body is None:
            return result
        found = marked(page.body, _NAMES, "h1", "span", "em", "div")
        title = found.get("headline")
        if title is None or "news-bodyhtml" not in found:
            result.failures["title"] = "no h1[itemprop=headline] with #news-bodyhtml"
            return result
        result.title = text_of(title) or None
        shown = found.get("h5") if found.get("h5") is not None else found.get("time")
        if shown is not None:
            result.date = find_date(text_of(shown))
        if (result.date is None or result.date.value is None) and "datePublished" in found:
            result.date = parse_date(text_of(found["datePublished"])) or result.date
        if (sapo := found.get("hometext")) is not None:
            result.summary = text_of(sapo) or None
        content = found["news-bodyhtml"]
        lines = own_lines(content)
        fill_body(result, content, lines, lines)
        after = lines_after(page, content, 6)
        if result.author is None:
            for line in after:
                result.author = explicit_byline(line)
                if result.author is not None:
                    break
        if result.author is None:
            result.final.add("author")
            result.failures["author"] = "no 'Tác giả bài viết:' line below the body"
        if result.body is None:
            result.final.add("body")
            result.failures["body"] = "#news-bodyhtml is empty"
        result.view_count = find_view_count([line.text for line in after])
        if result.view_count is None:
            result.failures["view_count"] = "no 'Lượt xem' below the body"
        return result


FAMILY = NukevietFamily()
