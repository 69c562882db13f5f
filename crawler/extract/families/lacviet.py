"""Lạc Việt SharePoint 2010 portals (daksong.daknong.gov.vn and other district sites).

URLs
    articles ``[/<site>]/Lists/Posts/Post.aspx?ID=<n>`` (path and parameter case vary; a
    print view adds ``&print=1``); listings ``/Lists/Posts/AllPosts.aspx?CategoryId=<n>``
    (or ``Category.aspx``), older items through the date-based "Xem tiếp" link
    ``…&PublishedDate=<ISO>``; home ``/default.aspx``.

Profile (SharePoint blog post markup)
    title ``.ms-PostTitle``; date ``td.Time`` ``08/11/2019`` (date only, recorded with day
    precision); body ``.ms-PostBody``, whose bold first paragraph is the sapo; the author is
    the last right-aligned ``<p>`` (``Bài, ảnh: Đức Hùng``). The per-article view count is
    filled by JavaScript from another host, so the HTML never has it (``final``).
"""

from __future__ import annotations

import re
from typing import Any

from ..dates import find_date
from ..page import text_of
from ..step import StepResult
from ._markup import marked, own_lines
from .base import Family, bare_host, fill_body, query_param, split

_ARTICLE = re.compile(r"^(?P<site>(?:/[^/]+)*?)/lists/posts/post\.aspx$", re.I)
_LISTING = re.compile(r"^(?:/[^/]+)*?/lists/posts/(?:allposts|category|date)\.aspx$", re.I)
_NO_FOLLOW = re.compile(r"/_layouts/|/_vti_bin/|/_catalogs/|/forms/", re.I)
_POST_LINK = re.compile(r"lists/posts/post\.aspx\?id=\d", re.I)
_CLASSES = ("ms-PostTitle", "Time", "ms-PostBody")


class LacvietFamily(Family):
    name = "lacviet"
    priority = 50

    def detect(self, url: str, html: str | None = None) -> list[str]:
        reasons = []
        if self.article_id(url):
            reasons.append("url: /Lists/Posts/Post.aspx?ID= (SharePoint 2010 blog post)")
        elif self.is_listing(url):
            reasons.append("url: /Lists/Posts/AllPosts.aspx (SharePoint 2010 blog listing)")
        if html and _POST_LINK.search(html):
            reasons.append("dom: links to Lists/Posts/Post.aspx?ID= (SharePoint 2010 blog)")
        return reasons

    def article_id(self, url: str) -> str | None:
        m = _ARTICLE.match(split(url).path)
        if not m:
            return None
        value = (query_param(url, "ID") or "").strip()
        if not value.isdigit():
            return None
        site = m.group("site").lower().strip("/")
        return f"{site}/{int(value)}" if site else str(int(value))

    def is_listing(self, url: str) -> bool:
        return bool(_LISTING.match(split(url).path))

    def canonical_url(self, url: str) -> str:
        parts = split(url)
        m = _ARTICLE.match(parts.path)
        aid = self.article_id(url)
        if not m or aid is None or not parts.netloc:
            return super().canonical_url(url)
        number = aid.rsplit("/", 1)[-1]
        return (f"{(parts.scheme or 'http').lower()}://{bare_host(parts.netloc)}"
                f"{m.group('site')}/Lists/Posts/Post.aspx?ID={number}")

    def identity(self, url: str) -> str:
        aid = self.article_id(url)
        return f"{bare_host(split(url).netloc)}/posts/{aid}" if aid else super().identity(url)

    def should_follow(self, url: str) -> bool:
        return self.follows_navigation(url, _NO_FOLLOW, skip_print=True)

    # -- profile -----------------------------------------------------------------------

    def extract(self, page: Any) -> StepResult:
        result = StepResult(self.name)
        if page.body is None:
            return result
        found = marked(page.body, _CLASSES, "h1", "h2", "h3", "td", "div")
        if "ms-PostTitle" not in found or "ms-PostBody" not in found:
            result.failures["title"] = "no .ms-PostTitle with .ms-PostBody (not a post)"
            return result
        result.title = text_of(found["ms-PostTitle"]) or None
        if "Time" in found:
            result.date = find_date(text_of(found["Time"]))
        result.final.add("view_count")
        result.failures["view_count"] = "filled by JavaScript from another host: not in the HTML"
        content = found["ms-PostBody"]
        lines = own_lines(content)
        kept = list(lines)
        if kept and kept[0].is_bold and kept[0].words >= 8:
            result.summary = kept[0].text
            kept = kept[1:]
        else:
            result.absent.add("summary")
        fill_body(result, content, kept, lines)
        if result.body is None:
            result.final |= {"body", "author"}
            result.failures["body"] = "the post body has no text besides its sapo"
        elif result.author is None:
            result.final.add("author")
            result.failures["author"] = "no right-aligned byline at the end of the post"
        return result


FAMILY = LacvietFamily()
