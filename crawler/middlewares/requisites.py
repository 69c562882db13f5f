"""Spider middleware that fetches each archived article's page requisites and attachments.

For every article the spider yields (a ``PageItem`` that will be stored as an article), it
finds the page's images, stylesheets, scripts and linked documents (``crawler.requisites``:
``img/@src`` and simple ``srcset``, ``link[rel=stylesheet]``, ``script/@src``, ``a/@href``
ending in a document extension; read from the item's ``references``, what the extraction's
parse collected, so the page is not parsed again), keeps those on the portal's own hosts
(documents: inside the portal's scope, ``allowed_paths`` included), sets them on the item
(the capture middleware lists them in the article's WARC ``metadata`` record, the pipeline
links them in ``article_attachments``) and requests each URL once per crawl. Navigation is
untouched: the requests get their own callback (never extracted, never followed) and a
lower priority than navigation, robots.txt still applies, and they are not counted against
the spider's ``limit``. Each response is archived by the capture middleware like any other
(deduplicated into a ``revisit`` when its bytes were archived before) with
``WARC-Resource-Type`` naming its kind, which gives it an ``attachments`` row. An
incremental crawl does not fetch a requisite the archive already holds: the article is
linked to the archived copy.

A requisite larger than ``REQUISITES_MAX_SIZE`` is not fetched in full (Scrapy's
``download_maxsize``); a requisite that could not be archived at all (too large, robots.txt,
a network failure) gets a ``requisite-skipped`` metadata record in the WARC and a ``skipped``
attachments row saying why (``SkippedRequisite`` item).

Settings: ``REQUISITES_ENABLED`` (True), ``REQUISITES_TYPES`` (image, stylesheet, script,
document), ``REQUISITES_MAX_SIZE`` (bytes, 50 MB; 0: only ``DOWNLOAD_MAXSIZE``),
``REQUISITES_DOCUMENT_EXTENSIONS``, ``REQUISITES_PRIORITY`` (20: right after their article, so
the frontier stays small). Stats:
``requisites/requested``, ``requisites/archived``, ``requisites/known``,
``requisites/out_of_scope``, ``requisites/skipped/<why>``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import NotConfigured
from scrapy.spidermiddlewares.httperror import HttpError
from w3lib.url import safe_url_string

from archive import WarcWriteError
from archive.exchange import warc_date
from crawler.errors import PortalArchiveError
from crawler.fatal import stop_crawl
from crawler.items import PageItem, SkippedRequisite
from crawler.middlewares.failure_log import exception_kind
from crawler.registry import host_allowed
from crawler.requisites import (
    DOCUMENT_EXTENSIONS,
    KINDS,
    REQUISITE_META,
    Requisite,
    from_references,
    skipped_fields,
)

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from twisted.python.failure import Failure

logger = logging.getLogger(__name__)
DEFAULT_MAX_SIZE = 50_000_000
_IN_REQUEST = re.compile(r"\s+in request <[^>]*>\.?$")


class RequisitesSettingError(PortalArchiveError):
    """Invalid requisites setting:"""


def read_settings(settings: Any) -> tuple[frozenset[str], int, tuple[str, ...], int]:
    """(kinds, max size, document extensions, priority) from Scrapy settings; a bad value is
    a ``RequisitesSettingError`` naming the setting (``crawl`` checks before starting)."""
    kinds = [k.strip().lower() for k in settings.getlist("REQUISITES_TYPES", list(KINDS))]
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise RequisitesSettingError(f"REQUISITES_TYPES: unknown {', '.join(unknown)} "
                                     f"(known: {', '.join(KINDS)})")
    numbers = []
    for name, default in (("REQUISITES_MAX_SIZE", DEFAULT_MAX_SIZE),
                          ("REQUISITES_PRIORITY", 20)):
        try:
            numbers.append(settings.getint(name, default))
        except (TypeError, ValueError):
            raise RequisitesSettingError(f"{name}: {settings.get(name)!r} is not a whole "
                                         "number") from None
    if numbers[0] < 0:
        raise RequisitesSettingError(f"REQUISITES_MAX_SIZE: {numbers[0]} is negative")
    extensions = tuple(e.strip().lower().lstrip(".") for e in settings.getlist(
        "REQUISITES_DOCUMENT_EXTENSIONS", list(DOCUMENT_EXTENSIONS)) if e.strip())
    return frozenset(kinds), numbers[0], extensions, numbers[1]


class RequisitesMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("REQUISITES_ENABLED", True):
            raise NotConfigured("REQUISITES_ENABLED is off")
        self.crawler = crawler
        self.stats = crawler.stats
        self.kinds, self.max_size, self.extensions, self.priority = read_settings(settings)
        self.requested: set[str] = set()
        self._robots: Any = None  # Scrapy's RobotsTxtMiddleware, once looked up

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RequisitesMiddleware:
        return cls(crawler)

    # -- spider output ---------------------------------------------------------------------
    def process_spider_output(self, response: Response, result: Iterable[Any]
                              ) -> Iterator[Any]:
        for item in result:
            more = self._requisites(response, item)
            yield item
            yield from more

    async def process_spider_output_async(self, response: Response,
                                          result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for item in result:
            more = self._requisites(response, item)
            yield item
            for request in more:
                yield request

    def _requisites(self, response: Response, item: Any) -> list[Any]:
        """Set an article item's requisites; return the requests for those not yet asked
        (and a ``SkippedRequisite`` for each that robots.txt forbids)."""
        if not isinstance(item, PageItem) or not _stored_article(item):
            return []
        if response.meta.get("warc_from_archive"):
            return []  # resumed: the killed run listed them (its metadata record)
        spider = self.crawler.spider
        # Read from the extraction's parse of the page (item.references): no second parse,
        # and the page's text as extraction decoded it.
        found = [r for r in from_references(item.references, response.url, self.extensions)
                 if r.kind in self.kinds]
        kept = [r for r in found if self._in_scope(spider, r)]
        self.stats.inc_value("requisites/out_of_scope", len(found) - len(kept))
        item.requisites = [(r.url, r.kind) for r in kept]
        plan = getattr(spider, "incremental", None)
        requests = []
        for req in kept:
            if req.url in self.requested:
                continue
            self.requested.add(req.url)
            if plan is not None and safe_url_string(req.url) in plan.pages:
                self.stats.inc_value("requisites/known")  # archived before: linked to it
                continue
            if self._robots_allow(req.url) is False:
                # Not even requested: the robots middleware would count an IgnoreRequest
                # error for each (SharePoint portals disallow /_layouts/, home of core.js).
                requests += self._skip(req.url, req.kind, "robots: Forbidden by robots.txt",
                                       response.url)
                continue
            meta: dict[str, Any] = {REQUISITE_META: req.kind}
            if self.max_size:
                meta["download_maxsize"] = self.max_size
            requests.append(Request(req.url, callback=self._archived, errback=self._failed,
                                    priority=self.priority, meta=meta))
        self.stats.inc_value("requisites/requested",
                             sum(isinstance(r, Request) for r in requests))
        return requests

    def _robots_allow(self, url: str) -> bool | None:
        """What the robots.txt Scrapy already fetched for the host says of ``url`` (None when
        robots.txt is not obeyed or not read yet: the robots middleware then decides). Reads
        the parser Scrapy keeps per host (Scrapy is pinned; see RobotsTxtMiddleware)."""
        if self._robots is None:
            engine = getattr(self.crawler, "engine", None)
            mws = engine.downloader.middleware.middlewares if engine else ()
            self._robots = next((m for m in mws if isinstance(m, RobotsTxtMiddleware)), False)
        if not self._robots:
            return None
        parser = getattr(self._robots, "_parsers", {}).get(urlsplit(url).netloc)
        if parser is None or not hasattr(parser, "allowed"):
            return None
        settings = self.crawler.settings
        agent = settings.get("ROBOTSTXT_USER_AGENT") or settings.get("USER_AGENT") or "*"
        return bool(parser.allowed(url, agent))

    @staticmethod
    def _in_scope(spider: Any, requisite: Requisite) -> bool:
        """Documents follow the portal's scope (hosts and paths); what a page needs to render
        may come from anywhere on the portal's hosts (a unit under a province site uses the
        province's stylesheets)."""
        if requisite.kind == "document" and hasattr(spider, "_in_scope"):
            return spider._in_scope(requisite.url)
        hosts = getattr(getattr(spider, "portal", None), "allowed_hosts", None) or []
        return host_allowed(urlsplit(requisite.url).hostname or "", list(hosts))

    # -- requisite responses ---------------------------------------------------------------
    def _archived(self, response: Response) -> Iterable[Any]:
        """The capture middleware archived it already: nothing to extract, nothing to follow."""
        self.stats.inc_value("requisites/archived")
        return ()

    def _failed(self, failure: Failure) -> Iterable[Any]:
        request = failure.request
        if failure.check(HttpError) or request.meta.get("warc") is not None:
            return ()  # a response was archived (an error status, a cut body): its row says
        exc = failure.value
        why = exception_kind(exc)
        detail = _IN_REQUEST.sub("", " ".join(str(exc).split())) or type(exc).__name__
        referer = request.headers.get("Referer")
        return self._skip(request.url, request.meta.get(REQUISITE_META, "document"),
                          f"{why}: {detail}", referer.decode("latin-1") if referer else None)

    def _skip(self, url: str, kind: str, reason: str, via: str | None
              ) -> list[SkippedRequisite]:
        """Record a requisite that was not archived: a ``requisite-skipped`` metadata record
        in the WARC (reindex reads it back) and the item that gives it its row."""
        reason = reason[:500]
        spider = self.crawler.spider
        at = warc_date(datetime.now(UTC))
        self.stats.inc_value(f"requisites/skipped/{reason.split(':', 1)[0]}")
        writer = getattr(spider, "warc_writer", None)
        if writer is not None:
            try:
                pointer = writer.write_metadata(
                    url, skipped_fields(spider.crawl_id, kind, reason, at, via))
            except WarcWriteError as exc:
                stop_crawl(self.crawler, "warc_write_error", str(exc))
                return []
            self.stats.inc_value("warc/records_written")
            self.stats.inc_value("warc/metadata_records")
            self.stats.inc_value("warc/bytes_written", pointer.length)
        return [SkippedRequisite(url, kind, reason, at)]


def _stored_article(item: PageItem) -> bool:
    """Whether the store keeps this page as an article (crawler.indexing.index_page)."""
    record = item.record or {}
    return (record.get("page_type") == "article" and bool(record.get("title"))
            and bool(record.get("body_text")) and bool(item.article_key))
