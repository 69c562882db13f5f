"""Downloader middleware that records every request the crawl could not archive in full as a
``fetch_failures`` row (url, kind, detail, time, crawl; see db/migrations/m012).

What becomes a row:

- a download exception that survived the retries (it sits at 540, below RetryMiddleware at
  550): ``timeout``, ``dns``, ``tls``, ``refused`` (from ``failure_kinds.failure_kind``),
  ``connection_lost`` (dropped without a data-loss verdict), ``data_loss`` (body shorter
  than Content-Length, or reset mid-body), ``too_large`` (beyond ``DOWNLOAD_MAXSIZE``),
  ``offsite`` (a redirect to another host), ``private_address`` (a host in a private
  network: ``crawler/middlewares/private_hosts.py``), ``robots`` (disallowed), ``other``;
- an HTTP error status (>= 400) after the retries: ``http_<status>``; the response itself is
  in the WARC and the row carries its ``warc_record_id``;
- a redirect chain cut at ``REDIRECT_MAX_TIMES`` (``redirect_loop``) or a redirect off the
  allowed hosts (``offsite``), seen by the small ``RedirectLogMiddleware`` at 610, above
  RedirectMiddleware (it raises past us) and before the scheduler's offsite filter;
- a link the spider refused as a trap (``crawler/traps.py``): ``trap``, sent with the
  ``fetch_failed`` signal, which any component may send (``crawler.signals.report_failure``).

Network failures, including ``too_large`` (Scrapy cancels the download), exist only here:
no whole response arrived, so there is nothing to archive. HTTP errors, redirect loops and
off-site redirects are also in the WARC, as response records with their status.
Each row is handed to the SQLite pipeline as it happens (``failure_recorded`` signal) and
written with the captures' batched transactions, so a crawl killed with SIGKILL keeps the
failures of every committed batch; a row no pipeline took (the pipeline off, or already
closed) is written when the spider closes.

Settings: ``FAILURE_LOG_ENABLED`` (True), ``ARCHIVE_DB_ENABLED``, ``ARCHIVE_DB_PATH``,
``ARCHIVE_OUT_DIR``, ``REDIRECT_MAX_TIMES``. Stats: ``failure_log/<kind>``.
"""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request, Response

from crawler.middlewares.failure_kinds import _chain, failure_kind
from crawler.registry import host_allowed
from crawler.signals import failure_recorded, fetch_failed, report_failure

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def exception_kind(exc: BaseException) -> str:
    """The ``fetch_failures.kind`` of a download exception."""
    text = "\n".join(_chain(exc)).lower()
    if isinstance(exc, IgnoreRequest):
        if "private address" in text:  # crawler/middlewares/private_hosts.py
            return "private_address"
        if "offsite" in text:
            return "offsite"
        if "robots" in text:
            return "robots"
        if "redirection" in text:
            return "redirect_loop"
        return "ignored"
    if "max size" in text:
        return "too_large"
    if "dataloss" in text or "data loss" in text:
        return "data_loss"
    kind = failure_kind(exc)
    if kind == "other" and ("connectionlost" in text or "connection was closed" in text
                            or "connectiondone" in text or "reset" in text):
        return "connection_lost"
    return kind


class FailureLogMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("FAILURE_LOG_ENABLED", True):
            raise NotConfigured("FAILURE_LOG_ENABLED is off")
        if not settings.getbool("ARCHIVE_DB_ENABLED", True):
            raise NotConfigured("ARCHIVE_DB_ENABLED is off: nowhere to record failures")
        out = Path(settings.get("ARCHIVE_OUT_DIR") or "data")
        self.path = Path(settings.get("ARCHIVE_DB_PATH") or out / "archive.db")
        self.crawler = crawler
        self.resume = settings.getbool("WARC_RESUME", False)
        self._before: set[tuple[str, str, str]] | None = None  # _recorded_before's, read once
        self.rows: list[dict[str, Any]] = []
        crawler.signals.connect(self.record, signal=fetch_failed)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FailureLogMiddleware:
        return cls(crawler)

    def record(self, url: str, kind: str, detail: str,
               warc_record_id: str | None = None) -> None:
        if warc_record_id and self._recorded_before(url, kind, warc_record_id):
            return  # a resumed crawl replayed an archived error: its row exists already
        spider = self.crawler.spider
        portal = getattr(spider, "portal", None)
        row = {
            "crawl_id": getattr(spider, "crawl_id", None),
            "portal_id": getattr(portal, "id", None), "url": url, "kind": kind,
            "detail": " ".join(str(detail).split())[:500], "failed_at": _now(),
            "warc_record_id": warc_record_id,
        }
        self.crawler.stats.inc_value(f"failure_log/{kind}")
        taken = self.crawler.signals.send_catch_log(failure_recorded, row=row)
        if not any(result is True for _, result in taken):
            self.rows.append(row)

    def _recorded_before(self, url: str, kind: str, warc_record_id: str) -> bool:
        """Whether the killed run this crawl resumes recorded this failure of this record."""
        if not self.resume:
            return False
        if self._before is None:  # on the first replayed error, before this run wrote any
            self._before = self._recorded_rows()
        return (url, kind, warc_record_id) in self._before

    def _recorded_rows(self) -> set[tuple[str, str, str]]:
        """(url, kind, record) of the failures this crawl recorded pointing at a record: one
        query, not one connection per replayed error."""
        if not self.path.exists():
            return set()
        crawl_id = getattr(self.crawler.spider, "crawl_id", None)
        sql = ("SELECT url, kind, warc_record_id FROM fetch_failures "
               "WHERE warc_record_id IS NOT NULL")
        conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            # this crawl's rows only: record ids are unique, other crawls' could never match
            rows = conn.execute(sql + " AND crawl_id = ?", [crawl_id]) if crawl_id \
                else conn.execute(sql)
            return {tuple(row) for row in rows}
        except sqlite3.OperationalError:
            return set()
        finally:
            conn.close()

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status >= 400:
            pointer = request.meta.get("warc")
            self.record(response.url, f"http_{response.status}",
                        f"HTTP {response.status} after {request.meta.get('retry_times', 0)} "
                        "retries", getattr(pointer, "record_id", None))
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        self.record(request.url, exception_kind(exception),
                    f"{type(exception).__name__}: {exception}")
        return None

    async def spider_closed(self, spider: Any, reason: str) -> None:
        # Written once the other spider_closed handlers have run (the SQLite pipeline commits
        # and closes there): two writers in one thread would wait on each other's lock.
        await asyncio.sleep(0)
        try:
            self.flush()
        except (sqlite3.Error, OSError) as exc:  # a full disk: said in one line, not hidden
            from crawler.fatal import note_fatal

            note_fatal(self.crawler, "db_write_error", f"cannot write {len(self.rows)} "
                       f"fetch_failures rows to {self.path}: {exc}")

    def flush(self) -> None:
        if not self.rows or not self.path.exists():
            return
        from db import ArchiveStore

        store = ArchiveStore(self.path)
        try:
            store.add_failures(self.rows)
        finally:
            store.close()
        self.rows = []


class RedirectLogMiddleware:
    """Sees each redirect before RedirectMiddleware (600): a chain it will cut at
    ``REDIRECT_MAX_TIMES`` is a ``redirect_loop``, a Location off the spider's allowed hosts an
    ``offsite`` (Scrapy's OffsiteMiddleware drops it at scheduling, where no middleware sees)."""

    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("FAILURE_LOG_ENABLED", True):
            raise NotConfigured("FAILURE_LOG_ENABLED is off")
        self.crawler = crawler
        self.max_times = crawler.settings.getint("REDIRECT_MAX_TIMES", 20)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectLogMiddleware:
        return cls(crawler)

    def _offsite(self, url: str) -> bool:
        hosts = getattr(getattr(self.crawler.spider, "portal", None), "allowed_hosts", None)
        if not hosts:
            return False
        return not host_allowed(urlsplit(url).hostname or "", hosts)

    def process_response(self, request: Request, response: Response) -> Response:
        if not 300 <= response.status < 400 or b"Location" not in response.headers \
                or request.meta.get("dont_redirect"):
            return response
        location = response.headers.get("Location", b"").decode("latin-1")
        target = urljoin(response.url, location)
        pointer = request.meta.get("warc")
        kind = detail = None
        if request.meta.get("redirect_times", 0) >= self.max_times:
            kind = "redirect_loop"
            detail = f"more than {self.max_times} redirects; last Location: {location}"
        elif self._offsite(target):
            kind, detail = "offsite", f"redirect to {target} (not an allowed host)"
        if kind:
            report_failure(self.crawler, response.url, kind, detail,
                           getattr(pointer, "record_id", None))
        return response
