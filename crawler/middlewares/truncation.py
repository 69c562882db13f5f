"""Downloader middleware that turns a body cut short into a truncated capture, not a lost one.

Two ways a body ends early, and what Scrapy would do with each on its own:

- **too large**: past ``DOWNLOAD_MAXSIZE`` (or the request's ``download_maxsize``) Scrapy
  cancels the download and throws the bytes away. Here the download handler's own limit is
  lifted for the transfer and a ``bytes_received`` handler stops it with
  ``StopDownload(fail=False)`` once the body passes the limit: the bytes received so far
  arrive as a response flagged ``download_stopped``;
- **data loss** (connection reset mid-body, a body shorter than its Content-Length): Scrapy
  raises ``ResponseDataLossError`` and drops the bytes; here each request carries
  ``download_fail_on_dataloss = False``, so the partial body arrives flagged ``dataloss``.

The WARC capture middleware (950) writes such a response as a ``response`` record with
``WARC-Truncated: length`` or ``disconnect`` (WARC 1.1) and a ``captures`` row whose
``truncated`` column (m014) says so. This middleware, right below it (900, so before
decompression, which would choke on a cut gzip stream), then: retries a data-loss response
like RetryMiddleware would have retried the exception (``RETRY_TIMES``; every attempt is
archived), and when no retry is left records a ``fetch_failures`` row (``data_loss`` or
``too_large``, pointing at the truncated record) and drops the response (``IgnoreRequest``):
a truncated page is archived, never extracted as if it were whole.

Settings: ``TRUNCATE_ENABLED`` (True), ``DOWNLOAD_MAXSIZE``, ``RETRY_ENABLED``,
``RETRY_TIMES``. Stats: ``truncation/length``, ``truncation/disconnect``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import IgnoreRequest, NotConfigured, StopDownload
from scrapy.http import Request, Response

from crawler.signals import report_failure

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

LIMIT_META = "truncate_at"  # the body size past which the download is stopped
RECEIVED_META = "truncate_received"  # bytes received so far by this download


def truncation_reason(request: Request, response: Response) -> str | None:
    """The ``WARC-Truncated`` value of a response whose body is incomplete, else None."""
    if "download_stopped" in response.flags:
        return "length" if request.meta.get(LIMIT_META) else "unspecified"
    if "dataloss" in response.flags:
        return "disconnect"
    return None


class TruncationMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("TRUNCATE_ENABLED", True):
            raise NotConfigured("TRUNCATE_ENABLED is off")
        self.crawler = crawler
        self.max_size = settings.getint("DOWNLOAD_MAXSIZE")
        self.retry = settings.getbool("RETRY_ENABLED")
        crawler.signals.connect(self.bytes_received, signal=signals.bytes_received)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TruncationMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        meta = request.meta
        limit = meta.get(LIMIT_META) or meta.get("download_maxsize", self.max_size)
        if limit:
            meta[LIMIT_META] = limit
            meta["download_maxsize"] = 0  # the handler would cancel and drop the bytes
        meta[RECEIVED_META] = 0
        meta.setdefault("download_fail_on_dataloss", False)
        return None

    def bytes_received(self, data: bytes, request: Request, spider: object) -> None:
        limit = request.meta.get(LIMIT_META)
        if not limit:
            return
        received = request.meta.get(RECEIVED_META, 0) + len(data)
        request.meta[RECEIVED_META] = received
        if received > limit:
            raise StopDownload(fail=False)

    def process_response(self, request: Request, response: Response) -> Response | Request:
        if LIMIT_META in request.meta:  # decompression keeps its DOWNLOAD_MAXSIZE guard
            request.meta["download_maxsize"] = request.meta[LIMIT_META]
        reason = truncation_reason(request, response)
        if reason is None:
            return response
        self.crawler.stats.inc_value(f"truncation/{reason}")
        size = len(response.body)
        if reason == "disconnect":
            if self.retry and not request.meta.get("dont_retry"):
                retry = get_retry_request(request, spider=self.crawler.spider,
                                          reason="data_loss")
                if retry is not None:
                    return retry
            kind = "data_loss"
            detail = (f"body cut after {size} bytes (connection closed before the "
                      f"{response.headers.get('Content-Length', b'?').decode()} bytes "
                      "announced); archived as truncated")
        elif reason == "length":
            kind = "too_large"
            detail = (f"body larger than the download limit of "
                      f"{request.meta.get(LIMIT_META)} bytes; the first {size} bytes "
                      "archived as truncated")
        else:  # another component stopped the download
            kind, detail = "truncated", f"download stopped after {size} bytes"
        if kind != "data_loss":  # (RetryMiddleware's give-up line already says that one)
            logger.warning("%s: %s", response.url, detail)
        pointer = request.meta.get("warc")
        report_failure(self.crawler, response.url, kind, detail,
                       getattr(pointer, "record_id", None))
        raise IgnoreRequest(f"{response.url}: {detail}")
