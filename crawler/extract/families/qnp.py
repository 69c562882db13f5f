"""QNP: the SharePoint portals of Quảng Ninh (and Hải Dương's copy of the scheme).

URLs
    articles ``/Trang/ChiTietTinTuc.aspx?nid=<int>`` (path case-insensitive, optional
    ``&title=<slug>.html``, also under ``/So/<x>/`` and ``/donvi/<unit>/`` sub-sites, whose
    nids are their own); listings ``/Trang/<Category>.aspx?Cat=<id>`` with ``&Page=N``;
    home ``/`` and ``/Trang/Default.aspx``. Feedback (``GuiYKien.aspx``), search
    (``TimKiem.aspx``), ``/_layouts/`` and attachments are not followed.

Profile
    The real QNP markup is only known as text (FAMILIES.md), so the profile works by the text
    anchors: the heading that starts ``<title>``, the first bare ``dd/mm/yyyy hh:mm`` line
    after it, the lines from there to ``Gửi ý kiến phản hồi``, a bold first paragraph as the
    sapo and the last short name-like paragraph as the author. The class names of our
    replica (``news-title``, ``news-date``, ``news-sapo``, ``news-content``) are only a fast
    path, tried first.
"""

from __future__ import annotations

import re
from typing import Any

from ..anchors import common_ancestor, date_line, in_chrome, is_noise, is_within, title_match
from ..dates import find_date
from ..lines import HEADINGS, Line, linearize
from ..page import text_of
from ..step import StepResult
from .base import Family, bare_host, fill_body, query_param, split

_ARTICLE_PATH = re.compile(r"^(?P<site>/(?:so|donvi)/[^/]+)?/trang/chitiettintuc\.aspx$", re.I)
_SUB_SITE = re.compile(r"^(?P<site>/(?:so|donvi)/[^/]+)(?:/|$)", re.I)
_HOME_PATH = re.compile(r"^(?P<site>/(?:so|donvi)/[^/]+)?/?(?:trang/default\.aspx)?$", re.I)
_NO_FOLLOW = re.compile(r"guiykien\.aspx|timkiem\.aspx|/_layouts/|/_vti_bin/|/_catalogs/|"
                        r"/_login/|/_windows/|print", re.I)
_ARTICLE_LINK = re.compile(r"chitiettintuc\.aspx\?nid=\d", re.I)
_FEEDBACK = "gửi ý kiến phản hồi"
_CLASSES = ("news-detail", "news-title", "news-date", "news-sapo", "news-content")


def _site_prefix(site: str | None) -> str:
    """Canonical spelling of a sub-site prefix: ``/So/<x>`` or ``/donvi/<unit>``."""
    if not site:
        return ""
    kind, name = site.strip("/").split("/", 1)
    return f"/So/{name.lower()}" if kind.lower() == "so" else f"/donvi/{name.lower()}"


def _classed(root: Any, wanted: tuple[str, ...], *tags: str) -> dict[str, Any]:
    """First element carrying each wanted class token, in one pass (XPath class tests over a
    whole SharePoint page cost more than the rest of the profile)."""
    found: dict[str, Any] = {}
    for el in root.iter(*tags):
        cls = el.get("class") if isinstance(el.tag, str) else None
        if cls:
            for token in cls.split():
                if token in wanted and token not in found:
                    found[token] = el
    return found


class QnpFamily(Family):
    name = "qnp"
    priority = 10

    # -- URLs --------------------------------------------------------------------------

    def detect(self, url: str, html: str | None = None) -> list[str]:
        reasons = []
        if self.article_id(url):
            reasons.append("url: /Trang/ChiTietTinTuc.aspx?nid= (QNP article)")
        elif self.is_listing(url):
            reasons.append("url: *.aspx?Cat= (QNP category listing)")
        elif re.search(r"/trang/default\.aspx$", split(url).path, re.I):
            reasons.append("url: /Trang/Default.aspx (QNP home)")
        host = bare_host(split(url).netloc).split(":")[0]
        if host == "quangninh.gov.vn" or host.endswith(".quangninh.gov.vn"):
            reasons.append("host: *.quangninh.gov.vn")
        if html and "__VIEWSTATE" in html and _ARTICLE_LINK.search(html):
            reasons.append("dom: __VIEWSTATE + links to ChiTietTinTuc.aspx?nid=")
        return reasons

    def article_id(self, url: str) -> str | None:
        if not _ARTICLE_PATH.match(split(url).path):
            return None
        nid = (query_param(url, "nid") or "").strip()
        return str(int(nid)) if nid.isdigit() else None

    def is_listing(self, url: str) -> bool:
        path = split(url).path
        if not path.lower().endswith(".aspx") or _ARTICLE_PATH.match(path):
            return False
        return query_param(url, "Cat") is not None

    def is_home(self, url: str) -> bool:
        parts = split(url)
        return bool(_HOME_PATH.match(parts.path)) and query_param(url, "nid") is None \
            and query_param(url, "Cat") is None

    def canonical_url(self, url: str) -> str:
        nid = self.article_id(url)
        if nid is None:
            return super().canonical_url(url)
        parts = split(url)
        site = _ARTICLE_PATH.match(parts.path).group("site")  # type: ignore[union-attr]
        scheme = (parts.scheme or "http").lower()
        host = bare_host(parts.netloc)
        return f"{scheme}://{host}{_site_prefix(site)}/Trang/ChiTietTinTuc.aspx?nid={nid}"

    def site(self, url: str) -> str:
        """Host plus the ``/So/<x>`` or ``/donvi/<unit>`` sub-site: each numbers its nids."""
        parts = split(url)
        sub = _SUB_SITE.match(parts.path)
        return bare_host(parts.netloc) + _site_prefix(sub.group("site") if sub else None)

    def should_follow(self, url: str) -> bool:
        return self.follows_navigation(url, _NO_FOLLOW)

    # -- profile -----------------------------------------------------------------------

    def extract(self, page: Any) -> StepResult:
        result = StepResult(self.name)
        if page.body is None:
            result.failures["title"] = "empty page"
            return result
        self._fast_path(page, result)
        if any(value is None for value in (result.title, result.date, result.body)):
            self._text_anchors(page, result)
        if result.author is None:
            result.failures["author"] = "no short name line before 'Gửi ý kiến phản hồi'"
            if result.body is not None:  # the body's end was examined: there is no byline
                result.absent.add("author")
        return result

    def _fast_path(self, page: Any, result: StepResult) -> None:
        """Class names of the replica markup (``div.news-detail``)."""
        scope = _classed(page.body, ("news-detail",), "div").get("news-detail")
        if scope is None:
            return
        found = _classed(scope, _CLASSES)
        if (title := found.get("news-title")) is not None:
            result.title = text_of(title) or None
        if (date := found.get("news-date")) is not None:
            result.date = find_date(text_of(date))
        if (sapo := found.get("news-sapo")) is not None:
            result.summary = text_of(sapo) or None
        elif found.get("news-content") is not None:
            result.absent.add("summary")
            result.failures["summary"] = "no sapo (news-sapo) before the content"
        if (content := found.get("news-content")) is not None:
            lines = linearize(content)
            fill_body(result, content, lines, lines)

    def _text_anchors(self, page: Any, result: StepResult) -> None:
        """Title line → bare date line → body lines → 'Gửi ý kiến phản hồi'."""
        lines = page.lines
        tidx = self._title_line(page, lines, result.title)
        if tidx is None:
            result.failures["title"] = "no heading that starts the <title>"
            result.failures.setdefault("date", "no title line to anchor the date on")
            result.failures.setdefault("body", "no title line to anchor the body on")
            return
        result.title = result.title or lines[tidx].text
        didx = None
        for i in range(tidx + 1, min(len(lines), tidx + 5)):
            if date_line(lines[i], bare=True) is not None:
                didx = i
                break
        if didx is None:
            result.failures["date"] = "no bare dd/mm/yyyy hh:mm line after the title"
            result.failures.setdefault("body", "no date line to anchor the body on")
            return
        result.date = result.date or find_date(lines[didx].text)
        end = next((i for i in range(didx + 1, len(lines))
                    if lines[i].text.casefold().startswith(_FEEDBACK)), None)
        if end is None:
            result.failures["body"] = "no 'Gửi ý kiến phản hồi' link after the date"
            return
        span = [line for line in lines[didx + 1:end] if not is_noise(line.text)]
        if len(span) > 1 and span[0].is_bold and span[0].words >= 8:
            result.summary = result.summary or span[0].text
            span = span[1:]
        elif result.summary is None:
            result.absent.add("summary")
            result.failures["summary"] = "no bold sapo paragraph after the date"
        if result.body is None and span:
            container = common_ancestor([line.el for line in span])
            inside = [x for x in lines if is_within(x.el, container)]
            fill_body(result, container, span, inside)

    @staticmethod
    def _title_line(page: Any, lines: list[Line], known: str | None) -> int | None:
        if known:
            for line in lines:
                if line.text == known:
                    return line.idx
        # QNP titles read "<article title> - <site name>": the heading must be a strict
        # prefix, so a site-name banner (which equals a bare site-name <title>) never counts.
        ref = page.title_tag
        for line in lines:
            if (line.tag in HEADINGS and not line.is_link and len(line.text) < len(ref)
                    and title_match(line.text, ref) >= 3 and not in_chrome(line.el)):
                return line.idx
        return None


FAMILY = QnpFamily()
