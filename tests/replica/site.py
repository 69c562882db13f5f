"""ReplicaSite: the generated portal as data, and a router from request target to response.

Rendering is lazy: a response is built on first request and kept in a bounded LRU as chunks
(shared chrome chunks are referenced, not copied, so a cached page costs a few KB). Visit counters
are left as a hole (`None`) and filled per hit; only the founding article shows fixed ones.
"""

from __future__ import annotations

import functools
import itertools
import math
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import parse_qsl, urlsplit

from . import documents, model, pages
from .chrome import Chrome, counters_html
from .chunks import Chunk, chunk, gzip_join, raw_join, stored
from .model import CATEGORIES, Article

# A valid 1×1 grey baseline JPEG (JFIF, one quantisation table, one-code Huffman tables).
JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000"
    "ffdb004300" + "01" * 64
    + "ffc0000b080001000101011100"
    "ffc4002600" + "01" + "00" * 15 + "00" + "10" + "01" + "00" * 15 + "00"
    + "ffda0008010100003f003fffd9")
ROBOTS = ("User-agent: *\r\nDisallow: /_layouts/\r\nDisallow: /Trang/TimKiem.aspx\r\n"
          "Disallow: /Trang/GuiYKien.aspx\r\n")
HTML = "text/html; charset=utf-8"
EPOCH_MODIFIED = "Mon, 07 Jan 2019 02:00:00 GMT"  # static pages and assets
FOUNDING_COUNTERS = (323, 2481457)  # as seen on the real page (FAMILIES.md)
_MOVED_BODY = ('<html><head><title>Object moved</title></head><body>\r\n'
               '<h2>Object moved to <a href="{0}">here</a>.</h2>\r\n</body></html>\r\n')


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    content_type: str
    chunks: tuple[Chunk | None, ...]  # None marks the visit counters, filled per hit
    last_modified: str = EPOCH_MODIFIED
    etag: str | None = None
    location: str | None = None
    compressible: bool = True

    def body(self, hit: int, gzip: bool) -> bytes:
        """The payload for the `hit`-th request (counters: 300 + hit % 700, 2481000 + hit)."""
        counters = counters_html(300 + hit % 700, 2481000 + hit)
        hole = Chunk(counters, stored(counters))  # stored, not deflated: no zlib per request
        parts = [hole if c is None else c for c in self.chunks]
        return gzip_join(parts) if gzip and self.compressible else raw_join(parts)


def http_date(when: datetime) -> str:
    return format_datetime(when.astimezone(UTC), usegmt=True)


class ReplicaSite:
    """A deterministic QNP (SharePoint) district portal; see the package docstring."""

    def __init__(self, articles: int = 240, seed: int = 1, chrome_kb: int = 60,
                 portal: str = "binhlieu", gzip: bool = True, cache_size: int = 1024,
                 day: int = 1, hostile: bool = False, unlisted: int | None = None):
        if articles < len(CATEGORIES):
            raise ValueError(f"need at least {len(CATEGORIES)} articles, one per category")
        if portal not in model.PORTALS:
            raise ValueError(f"unknown portal {portal!r}; known: {', '.join(model.PORTALS)}")
        self.portal = model.PORTALS[portal]
        self.seed, self.chrome_kb, self.gzip = seed, chrome_kb, gzip
        day1 = model.generate_articles(articles, seed, self.portal)
        # The clock: day 1 is the site as generated; day 2 adds, edits, removes and re-dates
        # (model.advance_day); `day_changes` is the ground truth an incremental crawl must find.
        self.day = day
        self.articles: list[Article]
        self.articles, self.day_changes = model.advance_day(day1, seed, self.portal, day)
        # An edited page says so in Last-Modified, so If-Modified-Since alone sees the edit.
        self._modified = {nid: http_date(max(a.published_at for a in self.articles))
                          for nid in self.day_changes.edited}
        self.founding_nid = model.FOUNDING_NID
        self.no_title_nid = model.NO_TITLE_NID
        self.missing_nid = model.MISSING_NID
        self.moved_nid = model.MOVED_NID
        # Opt-in: one article whose body carries script, onerror= and javascript: links.
        self.hostile = model.hostile_article(self.portal) if hostile else None
        self.by_nid = {a.nid: a for a in self.articles}
        # Opt-in: one article no listing or home page shows, reachable only through the
        # "older news" links of its category's newer articles (an unlisted page).
        if unlisted is not None and unlisted not in self.by_nid:
            raise ValueError(f"unlisted: no article {unlisted}")
        self.unlisted = unlisted
        self.newest = self.articles[::-1]
        self.by_category: dict[int, list[Article]] = {cid: [] for cid in CATEGORIES}
        self._position: dict[int, int] = {}
        for article in self.newest:
            items = self.by_category[article.category]
            self._position[article.nid] = len(items)
            items.append(article)
        # The legacy URL points at the oldest economy article (there is always one).
        self.moved_target: int = self.by_category[83][-1].nid
        # The oldest notice links the whole set of attachments (documents.py); day 2 only
        # touches the newest articles.
        self.documents_nid: int = self.by_category[86][-1].nid
        # The featured widget is curated by hand: it keeps day 1's picks.
        featured = [a for a in reversed(day1) if a.category == 82][:5]
        self.chrome = Chrome(self.portal, featured, seed, chrome_kb)
        self._hits = itertools.count(1)
        self._static: dict[str, Response] = {}
        self._build = functools.lru_cache(maxsize=cache_size)(self._build_uncached)
        self.home_extra = ""  # e.g. the fault index link (tests/replica/faults.py), if on

    @property
    def founding(self) -> Article:
        return self.by_nid[self.founding_nid]

    def pages_of(self, cat: int) -> int:
        return max(1, math.ceil(len(self.by_category[cat]) / pages.PAGE_SIZE))

    def next_hit(self) -> int:
        return next(self._hits)  # itertools.count is atomic under the GIL

    def resolve(self, target: str) -> Response:
        """Route a request target ("/path?query"); paths and parameter names ignore case."""
        parts = urlsplit(target)
        path = parts.path.lower()
        params = {k.lower(): v for k, v in parse_qsl(parts.query)}
        if path == "/":
            return self._redirect(302, "/Trang/Default.aspx")
        if path == "/trang/chitiettintuc.aspx":
            nid = _int(params.get("nid"))
            if nid == self.moved_nid:
                return self._redirect(301, f"/Trang/ChiTietTinTuc.aspx?nid={self.moved_target}")
            if nid in self.by_nid or nid == self.no_title_nid or (
                    self.hostile is not None and nid == self.hostile.nid):
                return self._build("article", nid, 0)
        elif path == "/trang/tin-tuc-su-kien.aspx":
            cat = _int(params.get("cat", "82"))
            page = _int(params.get("page", "1"))
            if cat in CATEGORIES and page is not None and 1 <= page <= self.pages_of(cat):
                return self._build("listing", cat, page)
        elif path == "/trang/default.aspx":
            return self._build("home", 0, 0)
        elif path in _STATIC_BY_LOWER:
            return self._build("static", _STATIC_BY_LOWER[path], 0)
        elif path == "/robots.txt":
            return self._asset(path, "text/plain", ROBOTS.encode())
        elif path.endswith(".jpg") and path.startswith(("/publishingimages/", "/_catalogs/")):
            return self._build("image", parts.path, 0)
        elif path.startswith(documents.BASE.lower() + "/"):
            return self._build("document", parts.path, 0)
        elif path.endswith(".css") and path.startswith(("/_layouts/", "/_catalogs/")):
            return self._asset(".css", "text/css", b"body{font-family:Arial,sans-serif}\r\n")
        elif path.endswith(".js") and path.startswith(("/_layouts/", "/_catalogs/")):
            return self._asset(".js", "application/javascript", b"/* SharePoint */\r\n")
        return self._build("404", 0, 0)

    def urls(self) -> Iterator[str]:
        """Every page and image a full crawl can reach (for --dump); canonical URLs only."""
        yield "/robots.txt"
        yield "/Trang/Default.aspx"
        for cat in CATEGORIES:
            for page in range(1, self.pages_of(cat) + 1):
                yield f"{pages.LISTING}?Cat={cat}&Page={page}"
        for article in self.articles:
            yield article.url
            yield article.thumbnail
            yield from article.images
            yield from (href for href, _ in self._documents(article) if href.startswith("/"))
        yield f"/Trang/ChiTietTinTuc.aspx?nid={self.no_title_nid}"
        yield from STATIC_PAGES

    def _asset(self, key: str, content_type: str, data: bytes, compressible: bool = True
               ) -> Response:
        if key not in self._static:
            self._static[key] = Response(200, content_type, (chunk(data),),
                                         etag=pages.etag_of(data, True), compressible=compressible)
        return self._static[key]

    def _redirect(self, status: int, location: str) -> Response:
        return Response(status, HTML, (chunk(_MOVED_BODY.format(location)),), location=location)

    def _build_uncached(self, kind: str, key: int | str, page: int) -> Response:
        if kind == "article":
            return self._article(int(key))
        if kind == "listing":
            return self._listing(int(key), page)
        if kind in ("image", "document"):
            return self._file(kind, str(key))
        if kind == "home":
            def shown(items: list[Article]) -> list[Article]:
                return [a for a in items if a.nid != self.unlisted]

            per_category = {cid: shown(items)[:3] for cid, items in self.by_category.items()}
            body = pages.home_body(shown(self.newest)[:10], per_category)
            body += self.home_extra
            return self._page(self.portal.site_name, "./Default.aspx", body,
                              http_date(self.newest[0].published_at))
        if kind == "static":
            title, paragraphs, extra = STATIC_PAGES[str(key)]
            filled = [p.format(name=self.portal.name, address=self.portal.address)
                      for p in paragraphs]
            action = "./" + str(key).rsplit("/", 1)[1]
            return self._page(f"{title} - {self.portal.site_name}", action,
                              pages.static_body(title, filled, extra), EPOCH_MODIFIED)
        body = pages.static_body("Không tìm thấy trang", [
            "Trang bạn yêu cầu không tồn tại hoặc đã được chuyển sang địa chỉ khác."],
            '<p><a href="/Trang/Default.aspx">Về trang chủ</a></p>')
        return self._page("Lỗi 404", "./404.aspx", body, EPOCH_MODIFIED, status=404)

    def _article(self, nid: int) -> Response:
        action = f"./ChiTietTinTuc.aspx?nid={nid}"
        if nid == self.no_title_nid:
            return self._page(self.portal.site_name, action, pages.untitled_body(nid),
                              EPOCH_MODIFIED)
        if self.hostile is not None and nid == self.hostile.nid:
            return self._page(f"{self.hostile.title} - {self.portal.site_name}", action,
                              pages.hostile_body(self.hostile, []), EPOCH_MODIFIED)
        article = self.by_nid[nid]
        position = self._position[nid]
        older = self.by_category[article.category][position + 1: position + 6]
        counters = FOUNDING_COUNTERS if nid == self.founding_nid else None
        box = documents.attachments_html(self._documents(article), nid == self.documents_nid)
        return self._page(f"{article.title} - {self.portal.site_name}", action,
                          pages.article_body(article, older, box),
                          self._modified.get(nid) or http_date(article.published_at), counters)

    def _documents(self, article: Article) -> list[tuple[str, str]]:
        return documents.links_for(article.nid, article.published_at.year, article.category,
                                   article.nid == self.documents_nid)

    def _file(self, kind: str, path: str) -> Response:
        """An article image (bytes unique to its path) or an attached document."""
        if kind == "image":
            content_type, data = "image/jpeg", documents.image(path, JPEG)
        else:
            found = documents.document(path)
            if found is None:
                return self._build("404", 0, 0)
            content_type, data = found
        return Response(200, content_type, (chunk(data),), etag=pages.etag_of(data, True),
                        compressible=False)

    def _listing(self, cat: int, page: int) -> Response:
        items = self.by_category[cat][(page - 1) * pages.PAGE_SIZE: page * pages.PAGE_SIZE]
        items = [a for a in items if a.nid != self.unlisted]
        pinned, highlight = "", None
        if page == 1 and cat == 82:
            highlight = self.founding  # keeps it one hop from the menu at any --articles
        elif page == 1 and cat == 83:
            target = self.by_nid[self.moved_target]
            pinned = pages.news_item(f"/Trang/ChiTietTinTuc.aspx?nid={self.moved_nid}",
                                     pages.title_html(target), target.date, "", target.thumbnail)
        elif page == 1 and cat == 84 and self.hostile is not None:
            pinned = pages.article_item(self.hostile, self.hostile.url)
        elif page == 1 and cat == 86:
            thumb = "/PublishingImages/TinTuc/thongbao.jpg"
            pinned = (pages.news_item(f"/Trang/ChiTietTinTuc.aspx?nid={self.no_title_nid}",
                                      "", "", "", thumb)
                      + pages.news_item(f"/Trang/ChiTietTinTuc.aspx?nid={self.missing_nid}",
                                        "Thông báo lịch tiếp công dân định kỳ tháng 3/2024",
                                        "05/03/2024", "", thumb))
        action = f"./Tin-tuc-su-kien.aspx?Cat={cat}" + (f"&Page={page}" if page > 1 else "")
        modified = http_date(items[0].published_at) if items else EPOCH_MODIFIED
        return self._page(f"{CATEGORIES[cat]} - {self.portal.site_name}", action,
                          pages.listing_body(cat, page, self.pages_of(cat), items, pinned,
                                             highlight), modified)

    def _page(self, title: str, action: str, body: str, modified: str,
              counters: tuple[int, int] | None = None, status: int = 200) -> Response:
        content = chunk(body)
        before, after = self.chrome.around(title, action, content, zlib.crc32(action.encode()))
        hole = chunk(counters_html(*counters)) if counters else None
        etag = pages.etag_of(content.raw + title.encode(), counters is not None)
        return Response(status, HTML, (*before, hole, *after), modified, etag)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


# Menu and sidebar targets. TimKiem and GuiYKien are disallowed by robots.txt but still answer,
# so a test can tell from the server's request log whether a crawler obeyed.
STATIC_PAGES: dict[str, tuple[str, list[str], str]] = {
    "/Trang/GioiThieu.aspx": ("Tổng quan", [
        "Huyện {name} là huyện miền núi, biên giới của tỉnh Quảng Ninh, có 8 đơn vị hành chính "
        "cấp xã, với các dân tộc Tày, Dao, Sán Chỉ, Hoa, Kinh cùng sinh sống."], ""),
    "/Trang/CoCauToChuc.aspx": ("Cơ cấu tổ chức", [
        "Huyện ủy, HĐND, UBND huyện {name} và các phòng, ban chuyên môn."], ""),
    "/Trang/LienHe.aspx": ("Liên hệ", ["Văn phòng HĐND và UBND huyện {name}.",
                                       "Địa chỉ: {address}."], ""),
    "/Trang/LichCongTac.aspx": ("Lịch công tác", [
        "Lịch công tác tuần của Thường trực Huyện ủy, HĐND, UBND huyện {name}."], ""),
    "/Trang/BanDo.aspx": ("Bản đồ hành chính", ["Bản đồ hành chính huyện {name}."],
                          '<p><img src="/PublishingImages/BanDo/ban-do-hanh-chinh.jpg" alt="" />'
                          "</p>"),
    "/Trang/TimKiem.aspx": ("Tìm kiếm", ["Nhập từ khóa để tìm kiếm tin bài."], ""),
    "/Trang/GuiYKien.aspx": ("Gửi ý kiến phản hồi", ["Nội dung ý kiến của bạn:"], ""),
}
_STATIC_BY_LOWER = {path.lower(): path for path in STATIC_PAGES}
