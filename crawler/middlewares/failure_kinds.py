"""Downloader middleware that sorts download failures into kinds a portal's health needs:
DNS failure, TLS failure, timeout, refused connection, other.

Scrapy's stats name only the exception class (``DownloadFailedError`` hides whether a TLS
handshake or a dropped connection failed), so this middleware looks at the exception and its
causes as it passes, counts ``failures/<kind>`` and, for the portal's start URLs,
``failures/start/<kind>``; ``db.changes`` turns them into the run's ``portal_health``.
It sits above the retries (550), which would otherwise swallow the exception.

Settings: ``FAILURE_KINDS_ENABLED`` (True).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.exceptions import NotConfigured
from scrapy.http import Request

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

_TLS_WORDS = ("ssl", "tls", "certificate", "handshake")


def _chain(exc: BaseException) -> list[str]:
    """Class names and messages of the exception, its causes and Twisted's wrapped reasons."""
    seen: list[str] = []
    todo: list[object] = [exc]
    while todo and len(seen) < 20:
        item = todo.pop()
        value = getattr(item, "value", item)  # a twisted Failure wraps the exception
        seen.append(f"{type(value).__module__}.{type(value).__name__}: {value}")
        todo += [c for c in (getattr(value, "__cause__", None),
                             getattr(value, "__context__", None)) if c is not None]
        todo += list(getattr(value, "reasons", None) or [])
    return seen


def failure_kind(exc: BaseException) -> str:
    """``dns``, ``tls``, ``timeout``, ``refused`` or ``other``."""
    text = "\n".join(_chain(exc)).lower()
    if "cannotresolvehost" in text or "dnslookup" in text:
        return "dns"
    if any(word in text for word in _TLS_WORDS):
        return "tls"
    if "timeout" in text or "timed out" in text:
        return "timeout"
    if "refused" in text:
        return "refused"
    return "other"


class FailureKindsMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("FAILURE_KINDS_ENABLED", True):
            raise NotConfigured("FAILURE_KINDS_ENABLED is off")
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FailureKindsMiddleware:
        return cls(crawler)

    def process_exception(self, request: Request, exception: Exception) -> None:
        kind = failure_kind(exception)
        self.stats.inc_value(f"failures/{kind}")
        portal = getattr(self.crawler.spider, "portal", None)
        if portal is not None and request.url in portal.start_urls:
            self.stats.inc_value(f"failures/start/{kind}")
        return None
