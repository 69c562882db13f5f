"""Stop a crawl when its portal's allowed time window closes.

A registry entry's ``window = "22:00-05:00"`` (local time in its ``timezone``) says when the
portal may be crawled. The scheduler starts crawls only inside it; this extension makes them
end with it: a crawl still running at 05:00 is closed cleanly with the reason
``window_closed`` (pages in flight finish, the WARC and database are closed as usual), so
``portal-archive crawl ID --resume`` (which the scheduler passes by itself next time) or the
next incremental crawl continues from what was archived. A crawl opened outside its window is
closed at once. ``portal-archive crawl --ignore-window`` switches it off for one crawl.

The check runs on a timer: at the window's end as read from the clock, and at least every
``CRAWL_WINDOW_CHECK_INTERVAL`` seconds (the clock may jump: suspend, NTP). The clock is
injectable: ``CrawlWindow(crawler, clock=...)`` in tests, or ``CRAWL_WINDOW_CLOCK_START`` (an
ISO time the crawl's clock starts at, then running at wall-clock speed) for a crawl in a
subprocess.

Settings: ``CRAWL_WINDOW_ENABLED`` (True), ``CRAWL_WINDOW`` and ``CRAWL_WINDOW_TIMEZONE``
(default: the portal's registry ``window`` and ``timezone``; no window, nothing to do),
``CRAWL_WINDOW_CHECK_INTERVAL`` (30 s), ``CRAWL_WINDOW_CLOCK_START``. Stats:
``crawl_window/window``, ``crawl_window/closed_at``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import CloseSpider, NotConfigured
from scrapy.utils.asyncio import call_later

from crawler.fatal import close_spider
from crawler.scheduling.window import (  # noqa: F401 - re-exported for callers
    Clock,
    clock_from_settings,
    in_window,
    portal_window,
    window_end,
)

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)
REASON = "window_closed"


class CrawlWindow:
    def __init__(self, crawler: Crawler, clock: Clock | None = None) -> None:
        settings = crawler.settings
        if not settings.getbool("CRAWL_WINDOW_ENABLED", True):
            raise NotConfigured("CRAWL_WINDOW_ENABLED is off")
        self.crawler = crawler
        self.clock = clock or clock_from_settings(settings)
        self.interval = settings.getfloat("CRAWL_WINDOW_CHECK_INTERVAL", 30.0)
        self.window: tuple[str, str] | None = None
        self.task: Any = None
        self.closing = False
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlWindow:
        return cls(crawler)

    def spider_opened(self, spider: Any) -> None:
        self.window = portal_window(getattr(spider, "portal", None), self.crawler.settings)
        if self.window is None:
            return
        self.crawler.stats.set_value("crawl_window/window", " ".join(self.window))
        if not self._inside():
            self.closing = True
            raise CloseSpider(REASON)  # opened outside its window: not a single request
        self._schedule()

    def _inside(self) -> bool:
        assert self.window is not None
        now = self.clock()
        if in_window(self.window[0], now, self.window[1]):
            return True
        self.crawler.stats.set_value("crawl_window/closed_at", now.isoformat())
        logger.warning("crawl window %s (%s) is closed at %s: stopping the crawl",
                       *self.window, now.astimezone().isoformat(timespec="seconds"))
        return False

    def _schedule(self) -> None:
        assert self.window is not None
        now = self.clock()
        end = window_end(self.window[0], now, self.window[1])
        left = (end - now).total_seconds() if end else 0.0
        self.task = call_later(max(0.05, min(self.interval, left)), self.check)

    def check(self) -> None:
        """Close the crawl if its window has closed; else look again later."""
        self.task = None
        if self.closing or self.window is None:
            return
        if self._inside():
            self._schedule()
            return
        self.closing = True
        close_spider(self.crawler, REASON)

    def spider_closed(self, spider: Any) -> None:
        if self.task is not None:
            self.task.cancel()
            self.task = None
