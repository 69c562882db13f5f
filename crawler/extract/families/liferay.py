"""Liferay 6.x portals (sotttt.hanoi.gov.vn, moit.gov.vn): a small profile.

URLs
    articles ``/<lang>/<cat>/-/view_content/<id>-<slug>.html``, print twin
    ``/-/view_content/pop_up/<id>-<slug>.html?_101_viewMode=print`` (same id: one article);
    paging ``?p_p_id=101&…&_101_cur=N`` (or ``_101_INSTANCE_<x>_cur=N``). Category pages
    have plain friendly URLs that look like any other page, so listings are otherwise
    recognised from the DOM by the pipeline.

Profile (asset publisher portlet 101)
    ``div.asset-full-content-title``, ``div.assetPublishDate`` (``Ngày đăng 17/10/2014 |
    12:00 AM | View count: 865``), ``p.sapo``, the ``div.journal-content-article`` inside
    ``div.asset-content``, ``p.view-content-author`` (may be a placeholder like
    ``admin admin``). Pages without the title element (listings, home) get nothing from the
    profile and are left to the generic fallback.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from ..anchors import parse_byline
from ..counters import find_view_count
from ..dates import find_date
from ..lines import linearize
from ..page import text_of
from ..step import StepResult
from .base import ATTACHMENT_EXT, Family, bare_host, fill_body, is_web_url, query_param, split

_VIEW_CONTENT = re.compile(r"/-/view_content/(?P<popup>pop_up/)?(?P<id>\d+)-[^/?#]*", re.I)
_PAGER_KEY = re.compile(r"^_101_INSTANCE_\w+_(?:cur|delta)$", re.I)
_NO_FOLLOW = re.compile(r"/c/portal/(?:login|logout)|/login\b|p_p_lifecycle=1|"
                        r"_viewMode=print|/pop_up/", re.I)
_CLASSES = ("asset-full-content-title", "assetPublishDate", "asset-content", "sapo",
            "journal-content-article", "view-content-author")


def _classed(root: Any) -> dict[str, Any]:
    """First element per wanted class token, in document order."""
    found: dict[str, Any] = {}
    for el in root.iter("div", "p", "span", "h1", "h2", "h3"):
        cls = el.get("class")
        if cls:
            for token in cls.split():
                if token in _CLASSES and token not in found:
                    found[token] = el
    return found


class LiferayFamily(Family):
    name = "liferay"
    priority = 20

    def detect(self, url: str, html: str | None = None) -> list[str]:
        reasons = []
        if _VIEW_CONTENT.search(split(url).path):
            reasons.append("url: /-/view_content/<id>-<slug> (Liferay asset publisher)")
        if query_param(url, "p_p_id") is not None:
            reasons.append("url: p_p_id= (Liferay portlet parameters)")
        if html and "Liferay.ThemeDisplay" in html and "portlet-boundary" in html:
            reasons.append("dom: Liferay.ThemeDisplay + portlet-boundary")
        return reasons

    def article_id(self, url: str) -> str | None:
        m = _VIEW_CONTENT.search(split(url).path)
        return m.group("id") if m else None

    def is_listing(self, url: str) -> bool:
        """Asset publisher paging: ``_101_cur``/``_101_delta``, also in the instanceable
        spelling ``_101_INSTANCE_<x>_cur`` that many themes use."""
        if any(query_param(url, key) is not None for key in ("_101_cur", "_101_delta")):
            return True
        return any(_PAGER_KEY.match(key) for key, _ in parse_qsl(split(url).query))

    def canonical_url(self, url: str) -> str:
        """The print twin and query strings collapse onto the article's own URL."""
        parts = split(url)
        m = _VIEW_CONTENT.search(parts.path)
        if not m or not parts.netloc:
            return super().canonical_url(url)
        path = parts.path.replace("/pop_up/", "/", 1) if m.group("popup") else parts.path
        return f"{(parts.scheme or 'http').lower()}://{bare_host(parts.netloc)}{path}"

    def identity(self, url: str) -> str:
        """Host + asset id: the same asset is published under several category paths."""
        asset = self.article_id(url)
        if asset is None:
            return super().identity(url)
        return f"{bare_host(split(url).netloc)}/-/view_content/{asset}"

    def should_follow(self, url: str) -> bool:
        stripped = (url or "").strip()
        if not stripped or stripped.startswith("#") or not is_web_url(stripped):
            return False
        parts = split(stripped)
        if _NO_FOLLOW.search(parts.path + "?" + parts.query):
            return False
        return not ATTACHMENT_EXT.search(parts.path) and "/documents/" not in parts.path

    def extract(self, page: Any) -> StepResult:
        result = StepResult(self.name)
        if page.body is None:
            return result
        found = _classed(page.body)
        title = found.get("asset-full-content-title")
        if title is None:
            result.failures["title"] = "no asset-full-content-title (not an article view)"
            return result
        result.title = text_of(title) or None
        if (date := found.get("assetPublishDate")) is not None:
            shown = text_of(date)
            result.date = find_date(shown)
            result.view_count = find_view_count([shown])
            if result.view_count is None:  # Liferay shows it on this line or not at all
                result.absent.add("view_count")
                result.failures["view_count"] = "no 'View count' on the date line"
        asset = found.get("asset-content")
        scope = asset if asset is not None else page.body
        inner = _classed(scope)
        if (sapo := inner.get("sapo")) is not None:
            result.summary = text_of(sapo) or None
            if result.summary is None:
                result.absent.add("summary")
                result.failures["summary"] = "the sapo element is empty"
        content = inner.get("journal-content-article")
        if content is None:
            return result
        lines = linearize(content)
        byline = inner.get("view-content-author")
        if byline is not None:
            result.author = parse_byline(text_of(byline), hinted=True)
            lines_kept = [x for x in lines if x.el is not byline]
        else:
            lines_kept = lines
        fill_body(result, content, lines_kept, lines)
        return result


FAMILY = LiferayFamily()
