"""Downloader middleware for per-host politeness: robots.txt ``Crawl-delay`` and the registry's
per-portal ``concurrency`` and ``delay``.

Scrapy obeys robots.txt's Allow/Disallow but ignores its ``Crawl-delay``. This middleware reads
the delay from each robots.txt the crawl fetches (for our User-Agent, capped at
``CRAWL_DELAY_MAX`` seconds: a site asking for an hour between requests would never be
archived) and keeps the host's downloader slot at least that slow, without jitter, however
AutoThrottle moves it. A registry entry's ``delay`` (seconds) is a floor of the same kind and
its ``concurrency`` caps parallel requests to each of the portal's hosts.

Settings: ``CRAWL_DELAY_ENABLED`` (True), ``CRAWL_DELAY_MAX`` (seconds, default 60),
``CRAWL_SHARD`` (one worker of N waits N times as long: ``crawler/sharding.py``).
Stats: ``crawl_delay/robots`` (the delay robots.txt asked for), ``crawl_delay/floor``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from protego import Protego
from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from scrapy.utils.httpobj import urlparse_cached

from crawler.sharding import parse_shard

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


def robots_crawl_delay(body: bytes, user_agent: str) -> float | None:
    """The ``Crawl-delay`` robots.txt gives ``user_agent`` (its own group, else ``*``)."""
    try:
        parser = Protego.parse(body.decode("utf-8", errors="replace"))
    except Exception:  # noqa: BLE001 - an unparsable robots.txt asks for nothing
        return None
    delay = parser.crawl_delay(user_agent)
    return float(delay) if delay is not None else None


class CrawlDelayMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("CRAWL_DELAY_ENABLED", True):
            raise NotConfigured("CRAWL_DELAY_ENABLED is off")
        self.crawler = crawler
        self.stats = crawler.stats
        self.cap = settings.getfloat("CRAWL_DELAY_MAX", 60.0)
        self.obey = settings.getbool("ROBOTSTXT_OBEY")
        self.user_agent = (settings.get("ROBOTSTXT_USER_AGENT") or settings.get("USER_AGENT")
                           or "*")
        self.floors: dict[str, float] = {}  # host -> the least delay between its requests
        shard = parse_shard(settings.get("CRAWL_SHARD"))
        self.workers = shard[1] if shard else 1
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlDelayMiddleware:
        return cls(crawler)

    def spider_opened(self, spider) -> None:
        portal = getattr(spider, "portal", None)
        extra = getattr(portal, "extra", None) or {}
        if "concurrency" not in extra and "delay" not in extra:
            return
        downloader = self.crawler.engine.downloader
        for host in portal.allowed_hosts:
            slot = dict(downloader.per_slot_settings.get(host, {}))
            if "concurrency" in extra:
                slot["concurrency"] = max(1, int(extra["concurrency"]) // self.workers)
            if "delay" in extra:
                slot["delay"] = float(extra["delay"]) * self.workers
                self._raise_floor(host, float(extra["delay"]))
            downloader.per_slot_settings[host] = slot

    def _raise_floor(self, host: str, delay: float) -> None:
        # One worker of N (crawl --workers N): each waits N times as long, so the host sees
        # the delay it asked for across all of them.
        delay *= self.workers
        self.floors[host] = max(self.floors.get(host, 0.0), delay)
        self.stats.max_value("crawl_delay/floor", self.floors[host])

    def process_request(self, request: Request) -> None:
        host = urlparse_cached(request).hostname or ""
        floor = self.floors.get(host)
        if not floor:
            return
        downloader = self.crawler.engine.downloader
        slot = downloader.slots.get(downloader.get_slot_key(request))
        if slot is not None and (slot.delay < floor or slot.jitter):
            slot.delay, slot.jitter = max(slot.delay, floor), 0.0

    def process_response(self, request: Request, response: Response) -> Response:
        parts = urlparse_cached(request)
        if self.obey and parts.path == "/robots.txt" and response.status == 200:
            delay = robots_crawl_delay(response.body, self.user_agent)
            if delay:
                if delay > self.cap:
                    logger.warning("%s asks for Crawl-delay %s s; capped at %s s",
                                   request.url, delay, self.cap)
                self.stats.max_value("crawl_delay/robots", delay)
                self._raise_floor(parts.hostname or "", min(delay, self.cap))
        return response
