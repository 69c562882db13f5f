"""Network failures are logged as one line each, not as tracebacks.

A refused connection, a DNS or TLS failure, a timeout or a cut body is the portal's state,
not a bug of ours: it is already a ``fetch_failures`` row and a ``portal_health`` status.
Scrapy logs each such download error with two chained tracebacks (retry, robots.txt,
scraper); this extension adds a logging filter to the root handlers for the crawl's
duration that keeps those records' message, adds the exception's one-line text to it and
drops the traceback. Any other exception keeps its traceback.

Settings: ``QUIET_NETWORK_ERRORS_ENABLED`` (True).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawler.middlewares.failure_log import exception_kind

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

NETWORK_KINDS = {"dns", "tls", "timeout", "refused", "data_loss", "connection_lost",
                 "too_large"}


class _NetworkTracebackFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and exception_kind(exc) in NETWORK_KINDS:
            message = record.getMessage()
            text = " ".join(f"{type(exc).__name__}: {exc}".split())
            record.msg = message if str(exc) in message else f"{message}: {text}"
            record.args = None
            record.exc_info = record.exc_text = None
        return True


class QuietNetworkErrors:
    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("QUIET_NETWORK_ERRORS_ENABLED", True):
            raise NotConfigured("QUIET_NETWORK_ERRORS_ENABLED is off")
        self.filter = _NetworkTracebackFilter()
        self.handlers: list[logging.Handler] = []
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> QuietNetworkErrors:
        return cls(crawler)

    def spider_opened(self, spider: Any) -> None:
        self.handlers = list(logging.getLogger().handlers)
        for handler in self.handlers:
            handler.addFilter(self.filter)

    def spider_closed(self, spider: Any) -> None:
        for handler in self.handlers:
            handler.removeFilter(self.filter)
        self.handlers = []
