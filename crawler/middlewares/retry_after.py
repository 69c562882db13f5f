"""Downloader middleware that honours ``Retry-After`` on 429 and 503 answers.

Scrapy's RetryMiddleware (550) retries 429/503 at once; a server that says how long to wait
deserves the wait. This middleware sits between the WARC capture (950) and the retries, so it
sees the answer first: it reads ``Retry-After`` (seconds or an HTTP date), caps it at
``RETRY_AFTER_MAX`` seconds, and holds the host's downloader slot for that long (its delay is
raised and its clock reset, so the retry and every other request to the host wait). The
host's own delay comes back with its next answer that is neither 429 nor 503.

Settings: ``RETRY_AFTER_ENABLED`` (True), ``RETRY_AFTER_MAX`` (seconds, default 120),
``RETRY_AFTER_DEFAULT`` (seconds to wait on a 429/503 without the header; 0: none).
Stats: ``retry_after/waits``, ``retry_after/seconds``, ``retry_after/capped``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from time import monotonic
from typing import TYPE_CHECKING

from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)
STATUSES = (429, 503)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delay-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class RetryAfterMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("RETRY_AFTER_ENABLED", True):
            raise NotConfigured("RETRY_AFTER_ENABLED is off")
        self.crawler = crawler
        self.stats = crawler.stats
        self.cap = settings.getfloat("RETRY_AFTER_MAX", 120.0)
        self.default = settings.getfloat("RETRY_AFTER_DEFAULT", 0.0)
        # slot key -> (hold until, on the monotonic clock; the slot's delay and jitter before)
        self.holds: dict[str, tuple[float, float, float]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        return cls(crawler)

    def _slot(self, request: Request):
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        return key, downloader.slots.get(key)

    def _hold(self, slot, until: float) -> None:
        # The downloader waits `delay - (now - lastseen)` before the slot's next request;
        # jitter off, or a random factor could shorten the wait the server asked for.
        slot.delay = max(slot.delay, until - slot.lastseen)
        slot.jitter = 0.0

    def process_request(self, request: Request) -> None:
        key, slot = self._slot(request)
        if slot is not None and key in self.holds and monotonic() < self.holds[key][0]:
            self._hold(slot, self.holds[key][0])  # AutoThrottle may have lowered it since

    def process_response(self, request: Request, response: Response) -> Response:
        key, slot = self._slot(request)
        if slot is None:
            return response
        now = monotonic()
        if response.status not in STATUSES:
            if key in self.holds and now >= self.holds[key][0]:
                _, slot.delay, slot.jitter = self.holds.pop(key)
            return response
        header = response.headers.get("Retry-After")
        wait = parse_retry_after(header.decode("latin-1") if header else None)
        if wait is None:
            wait = self.default
        if wait <= 0:
            return response
        if wait > self.cap:
            self.stats.inc_value("retry_after/capped")
            wait = self.cap
        _, delay, jitter = self.holds.get(key, (0.0, slot.delay, slot.jitter))
        self.holds[key] = (now + wait, delay, jitter)
        slot.lastseen = now
        self._hold(slot, now + wait)
        self.stats.inc_value("retry_after/waits")
        self.stats.inc_value("retry_after/seconds", wait)
        logger.info("%s answered %s with Retry-After %r: waiting %.1f s", request.url,
                    response.status, header, wait)
        return response
