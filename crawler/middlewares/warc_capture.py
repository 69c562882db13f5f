"""Downloader middleware that writes every response the crawl receives into WARC files.

It sits at priority 950, nearer the downloader than decompression (590), redirects (600) and
retries (550), so it sees each response once, as it came over the wire (still gzip-encoded),
including robots.txt, redirects and error statuses. Each response becomes a ``response``
record with its ``request`` record (``WARC-Concurrent-To``); the pointer to the record is put
in ``request.meta["warc"]`` and announced with the ``capture_archived`` signal.

Settings: ``WARC_ENABLED``, ``WARC_DIR``, ``WARC_MAX_SIZE``, ``WARC_OPERATOR``,
``ARCHIVE_OUT_DIR``. A WARC write error stops the crawl (close reason ``warc_write_error``)
and is re-raised: an archive must never lose captures silently.
"""

from __future__ import annotations

import json
import logging
import platform
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request, Response

from archive import HttpExchange, RotatingWarcWriter, WarcWriteError
from archive.exchange import warc_date
from crawler.indexing import capture_row, recorded_settings
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
        self.writer: RotatingWarcWriter | None = None
        self.stats = crawler.stats
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

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
        self.writer = RotatingWarcWriter(self.directory, portal.id, info, self.max_size)
        spider.warc_writer = self.writer

    def spider_closed(self, spider, reason: str) -> None:
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
        finally:
            self.writer.close()

    def process_response(self, request: Request, response: Response) -> Response:
        if self.writer is None:
            return response
        fetched_at = datetime.now(UTC)
        request_headers = [(_text(k), _text(v)) for k, vs in request.headers.items() for v in vs]
        if not any(k.lower() == "host" for k, _ in request_headers):
            from urllib.parse import urlsplit

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
        )
        try:
            req_ptr, resp_ptr, digest = self.writer.write_exchange(exchange)
        except WarcWriteError as exc:
            logger.critical("%s", exc)
            self.stats.inc_value("warc/write_errors")
            self.crawler.engine.close_spider(self.crawler.spider, "warc_write_error")
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
        )
        request.meta["warc"] = resp_ptr
        request.meta["warc_fetched_at"] = capture["fetched_at"]
        self.crawler.signals.send_catch_log(
            capture_archived, capture=capture, spider=self.crawler.spider
        )
        return response


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
