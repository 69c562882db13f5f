"""The generic family: URL heuristics for portals of no known family.

It has no profile step (extraction is entirely the generic text-anchor fallback). Article
ids are the number a URL ends with (``…/slug-12345.html``, ``/12345``), starts its last
segment with (``/12345-slug.html``) or an ``id``-like query parameter; listings are guessed
from paging parameters and category words; every http(s) link is followed.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from .base import Family, split

# a number ending the last path segment (slug-123, slug123, 123) or starting it (123-slug)
_LAST_SEGMENT_ID = re.compile(r"(\d{2,12})$|^(\d{2,12})[-_]")
_PAGE_SEGMENT = re.compile(r"^(?:page|trang|p)[-_]?\d+$", re.I)
_EXTENSION = re.compile(r"\.(?:html?|aspx?|php|jsp|cfm)$", re.I)
_ID_PARAMS = re.compile(r"^(?:n?id|\w*_?id|p|newsid|articleid|itemid|tinid)$", re.I)
# (not "p": WordPress uses ?p=<post id>)
_PAGING = re.compile(r"^(?:page|pageindex|paged|pagenumber|cur|trang|start|offset)$|_cur$|_page$",
                     re.I)
_LISTING_PATH = re.compile(
    r"/(?:chuyen-muc|danh-muc|category|categories|tin-tuc|tin-tuc-su-kien|news|page-\d+|"
    r"tag|tags|archive)(?:/|$|\.)|/page/\d+|/page-\d+", re.I)


class GenericFamily(Family):
    name = "generic"
    priority = 10_000
    url_is_authoritative = False  # a trailing number is only a hint that a URL is an article

    def article_id(self, url: str) -> str | None:
        parts = split(url)
        segment = _EXTENSION.sub("", parts.path.rstrip("/").rsplit("/", 1)[-1])
        m = None if _PAGE_SEGMENT.match(segment) else _LAST_SEGMENT_ID.search(segment)
        if m:
            return m.group(1) or m.group(2)
        for key, value in parse_qsl(parts.query):
            if _ID_PARAMS.match(key) and not _PAGING.match(key) and value.isdigit():
                return value
        return None

    def is_listing(self, url: str) -> bool:
        parts = split(url)
        if any(_PAGING.search(key) for key, _ in parse_qsl(parts.query)):
            return True
        return bool(_LISTING_PATH.search(parts.path)) and self.article_id(url) is None


FAMILY = GenericFamily()
