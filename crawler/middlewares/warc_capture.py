"""Downloader middleware that writes every response the crawl receives into WARC files.

It sits at priority 950, nearer the downloader than decompression (590), redirects (600) and
retries (550), so it sees each response once, as it came over the wire (still gzip-encoded),
including robots.txt, redirects and error statuses. Each response becomes a ``response``
record with its ``request`` record (``WARC-Concurrent-To``); the pointer to the record is put
in ``request.meta["warc"]`` and announced with the ``capture_archived`` signal. Each article
the spider extracts gets a ``metadata`` record (``WARC-Concurrent-To`` its response) with the
extraction result as JSON and the page's outlinks, Heritrix style (``outlink: URL L a/@href``);
reindex does not need it (it re-extracts from the response) but a reader of the WARC alone
sees what the crawler understood of the page.

When a WARC file is complete (rotation or the end of the crawl) its CDXJ index is written to
``<ARCHIVE_OUT_DIR>/indexes/`` (``WARC_CDXJ_ENABLED``, on by default), from lines made as each
record was written (``archive.cdxj.InlineIndex``), not by reading the file again; a crawl
killed before that is indexed by ``crawl --resume`` or ``portal-archive index``.

Deduplication (``WARC_DEDUP_ENABLED``, on by default): a 2xx response whose payload is
byte-identical to one already archived in this output directory (looked up by payload digest
in its database, and among this crawl's own records) is written as a ``revisit`` record of the
identical-payload-digest profile referring to the original; the spider still gets the whole
response, so extraction is unchanged. A ``304`` answering a conditional request (incremental
crawls) is a ``revisit`` of the server-not-modified profile, referring to the URL's latest
full capture when the database knows it.

Resume (``WARC_RESUME``, set by ``crawl --resume``): every URL the crawl archived before it
was killed is answered from its WARC record (``process_request``), not fetched or written
again; see ``crawler/resume.py``.

Settings: ``WARC_ENABLED``, ``WARC_DIR``, ``WARC_MAX_SIZE``, ``WARC_OPERATOR``,
``WARC_CDXJ_ENABLED``, ``WARC_DEDUP_ENABLED``, ``ARCHIVE_OUT_DIR``, ``ARCHIVE_DB_PATH``. A WARC
write error stops the crawl (close reason ``warc_write_error``) and is re-raised: an archive
must never lose captures silently.
"""

from __future__ import annotations

import json
import logging
import platform
import socket
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from lxml import etree
from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request, Response

from archive import HttpExchange, RotatingWarcWriter, WarcWriteError
from archive.exchange import warc_date
from archive.writer import RevisitTarget
from crawler.fatal import fatal_at_open, note_fatal, stop_crawl
from crawler.indexing import capture_row, join_url, recorded_settings
from crawler.middlewares.truncation import truncation_reason
from crawler.payload_index import PayloadIndex
from crawler.requisites import (
    REQUISITES_FIELD,
    encode_field,
    outlink_lines,
    requisite_kind,
    resource_headers,
)
from crawler.signals import capture_archived

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


def _text(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


class WarcCaptureMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("WARC_ENABLED", True):
            raise NotConfigured("WARC_ENABLED is off")
        self.crawler = crawler
        out = Path(settings.get("ARCHIVE_OUT_DIR") or "data")
        self.directory = Path(settings.get("WARC_DIR") or out / "warc")
        self.max_size = settings.getint("WARC_MAX_SIZE")
        self.operator = settings.get("WARC_OPERATOR") or ""
        self.index_dir = out / "indexes" if settings.getbool("WARC_CDXJ_ENABLED", True) else None
        self.dedup = settings.getbool("WARC_DEDUP_ENABLED", True)
        self.db_path = Path(settings.get("ARCHIVE_DB_PATH") or out / "archive.db")
        # crawler/payload_index.py: the archive's records (payload digests for deduplication,
        # a 304's original), asked through one connection.
        self.archive_index: PayloadIndex | None = None
        self.resume = settings.getbool("WARC_RESUME", False)
        self.archived: dict[str, tuple] = {}
        self.writer: RotatingWarcWriter | None = None
        self.cdxj = None  # archive.cdxj.InlineIndex, made at spider_opened
        self.stats = crawler.stats
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcCaptureMiddleware:
        return cls(crawler)

    def spider_opened(self, spider) -> None:
        portal = spider.portal
        settings = self.crawler.settings
        info = {
            "software": f"portal-archive/{settings.get('VERSION', '0')} "
                        f"(Scrapy; warcio; Python {platform.python_version()})",
            "hostname": socket.gethostname(),
            "operator": self.operator,
            "http-header-user-agent": settings.get("USER_AGENT"),
            "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            "isPartOf": spider.crawl_id,
            "portal-archive-crawl-id": spider.crawl_id,
            "portal-archive-started-at": spider.started_at,
            "portal-archive-portal": json.dumps(portal.as_row(), ensure_ascii=False),
            "portal-archive-family": spider.family_name,
            "portal-archive-settings": json.dumps(recorded_settings(settings.get)),
        }
        if self.resume:  # this file continues a crawl that was killed
            info["portal-archive-resumed-at"] = warc_date(datetime.now(UTC))
        if self.index_dir is not None:
            from archive.cdxj import InlineIndex

            self.cdxj = InlineIndex(self.index_dir)
        try:
            self.writer = RotatingWarcWriter(
                self.directory, portal.id, info, self.max_size, on_close=self._index_file,
                on_record=self.cdxj.add if self.cdxj is not None else None)
        except WarcWriteError as exc:  # an unwritable output directory
            raise fatal_at_open(self.crawler, "warc_write_error", str(exc)) from exc
        spider.warc_writer = self.writer
        self.archive_index = PayloadIndex(self.db_path, spider.crawl_id)
        if self.resume and self.db_path.exists():
            self.archived = self._load_archived(spider.crawl_id)

    def _index_file(self, path: Path) -> None:
        """CDXJ index of a complete WARC file; a failure is logged, never fatal (the index
        can always be rebuilt from the file)."""
        if self.cdxj is None:
            return
        try:
            from_file = self.cdxj.from_file
            self.cdxj.finish(path)
            self.stats.inc_value("warc/cdxj_written")
            if self.cdxj.from_file > from_file:  # its lines could not be made as it was written
                self.stats.inc_value("warc/cdxj_from_file")
        except Exception as exc:  # noqa: BLE001
            logger.error("could not index %s: %s", path, exc)
            self.stats.inc_value("warc/cdxj_errors")

    def spider_closed(self, spider, reason: str) -> None:
        if self.archive_index is not None:
            self.archive_index.close()
        if self.writer is None:
            return
        try:
            stats = {k: v for k, v in self.stats.get_stats().items()}
            self.writer.write_metadata(
                f"urn:portal-archive:crawl:{spider.crawl_id}",
                {
                    "portal-archive-crawl-id": spider.crawl_id,
                    "portal-archive-event": "crawl-finished",
                    "finish-reason": reason,
                    "finished-at": spider.finish_time(),
                    "stats": json.dumps(stats, default=str, sort_keys=True),
                },
            )
        except WarcWriteError as exc:
            note_fatal(self.crawler, "warc_write_error", str(exc))
        finally:
            try:
                self.writer.close()
            except WarcWriteError as exc:
                note_fatal(self.crawler, "warc_write_error", str(exc))

    def item_scraped(self, item, response: Response, spider) -> None:
        """Write the ``metadata`` record of an extracted article next to its response."""
        record = getattr(item, "record", None) or {}
        # an errback's item comes with a Failure (a skipped requisite: crawler/middlewares/
        # requisites.py), not a Response
        pointer = response.meta.get("warc") if isinstance(response, Response) else None
        if self.writer is None or pointer is None or record.get("page_type") != "article":
            return
        if response.meta.get("warc_from_archive"):
            return  # resumed: its metadata record was written (or lost) by the killed run
        fields = {
            "portal-archive-event": "article-extracted",
            "portal-archive-crawl-id": spider.crawl_id,
            "portal-archive-article-key": item.article_key or "",
            "portal-archive-extraction": json.dumps(record, ensure_ascii=False,
                                                    sort_keys=True, default=str),
        }
        lines = list(fields.items())
        lines += [("outlink", f"{url} L a/@href") for url in _outlinks(response)]
        requisites = getattr(item, "requisites", None)
        if requisites:  # its images, stylesheets, scripts and documents (reindex links them)
            lines += [(REQUISITES_FIELD, encode_field(requisites)), *outlink_lines(requisites)]
        try:
            meta = self.writer.write_metadata(response.url, lines,
                                              refers_to=pointer.record_id)
        except WarcWriteError as exc:
            self.stats.inc_value("warc/write_errors")
            stop_crawl(self.crawler, "warc_write_error", str(exc))
            return
        self.stats.inc_value("warc/records_written")
        self.stats.inc_value("warc/metadata_records")
        self.stats.inc_value("warc/bytes_written", meta.length)

    def _not_modified(self, request: Request, exchange: HttpExchange) -> RevisitTarget:
        """The revisit target of a 304 answering a conditional request: the URL's latest
        full capture in the archive, when known."""
        row = self.archive_index.latest(exchange.url) if self.archive_index else None
        self.stats.inc_value("warc/revisits_not_modified")
        return RevisitTarget(row[0] if row else "", exchange.url, row[1] if row else "",
                             not_modified=True)

    def _dedup(self, exchange: HttpExchange, status: int, digest: str) -> RevisitTarget | None:
        """The earlier record holding this response's exact payload (``digest``), if any."""
        if not self.dedup or self.archive_index is None or not 200 <= status < 300 \
                or not exchange.body:
            return None
        original = self.archive_index.original(digest)
        if original is not None:
            self.stats.inc_value("warc/revisits")
            self.stats.inc_value("warc/revisit_bytes_saved", len(exchange.body))
        return original

    # -- resuming a killed crawl (see crawler/resume.py) -----------------------------------
    def _load_archived(self, crawl_id: str) -> dict[str, tuple]:
        """URL -> (file, offset, record id, fetched_at, payload file, payload offset) of what
        this crawl archived before it was killed."""
        conn = sqlite3.connect(f"{self.db_path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            rows = conn.execute(
                "SELECT c.url, c.warc_file, c.warc_offset, c.warc_record_id, c.fetched_at, "
                "coalesce(o.warc_file, c.warc_file), coalesce(o.warc_offset, c.warc_offset) "
                "FROM captures c LEFT JOIN captures o ON o.warc_record_id = c.refers_to "
                "AND c.status BETWEEN 200 AND 299 "  # a 304 revisit replays as itself
                # a truncated capture is fetched again, never replayed as if whole (m014)
                "WHERE c.crawl_id = ? AND c.truncated IS NULL ORDER BY c.id",
                [crawl_id]).fetchall()
        finally:
            conn.close()
        return {row[0]: row[1:] for row in rows}

    def process_request(self, request: Request) -> Response | None:
        """On resume, answer a URL this crawl already archived from its WARC record."""
        entry = self.archived.get(request.url) if request.method == "GET" else None
        if entry is None:
            return None
        from scrapy.http import Headers
        from scrapy.responsetypes import responsetypes

        from archive import WarcPointer, read_record_at

        warc_file, offset, record_id, fetched_at, payload_file, payload_offset = entry
        record = read_record_at(self.directory / warc_file, offset)
        payload = (record if (payload_file, payload_offset) == (warc_file, offset)
                   else read_record_at(self.directory / payload_file, payload_offset))
        # The stored entity is de-chunked: drop the framing header that no longer applies.
        headers = Headers([(k, v) for k, v in record.http_headers
                           if k.lower() != "transfer-encoding"])
        cls = responsetypes.from_args(headers=headers, url=request.url, body=payload.entity)
        request.meta["warc_replayed"] = (
            WarcPointer(warc_file, offset, record.length, record_id), fetched_at)
        self.stats.inc_value("warc/resumed_from_archive")
        return cls(url=request.url, status=record.status or 200, headers=headers,
                   body=payload.entity, request=request, protocol=record.http_protocol)

    def process_response(self, request: Request, response: Response) -> Response:
        if self.writer is None:
            return response
        replayed = request.meta.pop("warc_replayed", None)
        if replayed is not None:
            request.meta["warc"], request.meta["warc_fetched_at"] = replayed
            request.meta["warc_from_archive"] = True
            return response
        fetched_at = datetime.now(UTC)
        request_headers = [(_text(k), _text(v)) for k, vs in request.headers.items() for v in vs]
        if not any(k.lower() == "host" for k, _ in request_headers):
            request_headers.insert(0, ("Host", urlsplit(request.url).netloc))
        exchange = HttpExchange(
            url=response.url,
            method=request.method,
            request_headers=request_headers,
            request_body=request.body or b"",
            protocol=response.protocol or "HTTP/1.1",
            status=response.status,
            reason=_reason(response.status),
            response_headers=[
                (_text(k), _text(v)) for k, vs in response.headers.items() for v in vs
            ],
            body=response.body,
            ip_address=str(response.ip_address) if response.ip_address else None,
            fetched_at=fetched_at,
            truncated=truncation_reason(request, response),  # crawler/middlewares/truncation
        )
        # A page requisite (crawler/middlewares/requisites.py): WARC-Resource-Type says so.
        resource_type = requisite_kind(request.meta, exchange.header("Content-Type"))
        conditional = (request.headers.get("If-None-Match")
                       or request.headers.get("If-Modified-Since"))
        # Hashed once here for deduplication and the record both.
        digest = self.writer.payload_digest(exchange)
        if response.status == 304 and conditional:
            revisit_of: RevisitTarget | None = self._not_modified(request, exchange)
        elif exchange.truncated:
            revisit_of = None  # a cut body is neither a revisit nor what one refers to
        else:
            revisit_of = self._dedup(exchange, response.status, digest)
        try:
            req_ptr, resp_ptr, digest = self.writer.write_exchange(
                exchange, revisit_of, warc_headers=resource_headers(resource_type),
                payload_digest=digest)
        except WarcWriteError as exc:
            self.stats.inc_value("warc/write_errors")
            stop_crawl(self.crawler, "warc_write_error", str(exc))
            raise IgnoreRequest(str(exc)) from exc
        self.stats.inc_value("warc/records_written", 2)
        self.stats.inc_value("warc/bytes_written", req_ptr.length + resp_ptr.length)
        capture = capture_row(
            crawl_id=self.crawler.spider.crawl_id,
            portal_id=self.crawler.spider.portal.id,
            url=response.url,
            status=response.status,
            headers=exchange.response_headers,
            body_length=len(response.body),
            fetched_at=warc_date(fetched_at),
            payload_digest=digest,
            pointer=resp_ptr,
            request_record_id=req_ptr.record_id,
            warc_type="revisit" if revisit_of else "response",
            refers_to=(revisit_of.record_id or None) if revisit_of else None,
            truncated=exchange.truncated,
        )
        capture["resource_type"] = resource_type  # m013 (None for a page)
        if revisit_of is None and self.dedup and self.archive_index is not None \
                and 200 <= response.status < 300 and not exchange.truncated:
            self.archive_index.add(digest, RevisitTarget(resp_ptr.record_id, response.url,
                                                         capture["fetched_at"]))
        request.meta["warc"] = resp_ptr
        request.meta["warc_fetched_at"] = capture["fetched_at"]
        self.crawler.signals.send_catch_log(
            capture_archived, capture=capture, spider=self.crawler.spider
        )
        return response


# The page's link targets as plain strings (smart strings would keep the tree alive).
_HREFS = etree.XPath("//a/@href", smart_strings=False)
HREFS_META = "portal_hrefs"
BASE_META = "portal_base_url"


def remember_hrefs(response: Response, hrefs: list[str], base: str | None = None
                   ) -> list[str]:
    """Keep a page's ``a/@href`` values and base URL (read by the spider from the
    extraction's parse) for its metadata record, so the page is not parsed again here."""
    if response.request is not None:
        response.request.meta[HREFS_META] = hrefs
        if base:
            response.request.meta[BASE_META] = base
    return hrefs


def page_hrefs(response: Response) -> list[str]:
    """The raw ``a/@href`` values of an HTML response, in page order, computed once per
    response (the spider and the metadata record both need them) straight from lxml: going
    through parsel's ``xpath().getall()`` built a Selector per link, ~10% of a crawl's CPU."""
    from scrapy.http import TextResponse

    # Cached in the request's meta (a Response has no room for attributes): the response
    # and its request are dropped together once the page is processed.
    meta = response.request.meta if response.request is not None else {}
    hrefs = meta.get(HREFS_META)
    if hrefs is None:
        if not isinstance(response, TextResponse):
            return []
        try:
            root = response.selector.root
        except ValueError:  # Scrapy's selector joins a <base href> that makes no URL
            from parsel import Selector

            root = Selector(text=response.text).root
        hrefs = _HREFS(root) if isinstance(root, etree._Element) else []
        meta[HREFS_META] = hrefs
    return hrefs


@lru_cache(maxsize=2048)
def _join_rooted(origin: str, href: str) -> str | None:
    """``urljoin(origin, href)`` for a host-relative href, or None when the page's own URL
    may matter: urljoin deletes tabs and line breaks, and ``/\t/x`` becomes ``//x``, which is
    no longer host-relative."""
    if "\t" in href or "\n" in href or "\r" in href:
        return None
    return urljoin(origin, href)


def href_joiner(base: str) -> Callable[[str], str | None]:
    """A function joining a page's hrefs against ``base``: ``urljoin``, None for an href that
    makes no URL (``join_url``: the link is skipped). The base's origin is worked out once per
    page, and host-relative hrefs (the same ~60 menu links on every page of a portal) are
    joined once per site, not once per page."""
    parts = urlsplit(base)
    origin = f"{parts.scheme}://{parts.netloc}/"

    def join(href: str) -> str | None:
        if href.startswith("/") and not href.startswith("//"):
            url = _join_rooted(origin, href)
            if url is not None:
                return url
        return join_url(base, href)

    return join


def _outlinks(response: Response) -> list[str]:
    """Absolute http(s) targets of the page's links, in page order, each once."""
    from scrapy.http import TextResponse

    if not isinstance(response, TextResponse):
        return []
    base = response.meta.get(BASE_META) if response.request is not None else None
    if base is None:
        from scrapy.utils.response import get_base_url

        try:
            base = get_base_url(response)
        except ValueError:  # a <base href> that makes no URL: ignored (crawler.indexing)
            base = response.url
    seen: dict[str, None] = {}
    join = href_joiner(base)
    for href in page_hrefs(response):
        href = href.strip()
        if href and not href.startswith(("#", "javascript:", "mailto:", "tel:")):
            url = join(href)
            if url and url.startswith(("http://", "https://")) and " " not in url:
                seen.setdefault(url, None)
    return list(seen)


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
