"""Live progress on a terminal and a one-screen summary at the end of a crawl.

On a terminal (stderr is a TTY) a status line is redrawn every ``PROGRESS_INTERVAL`` seconds:
pages, articles, extraction failures, errors, rate. When not on a terminal it stays quiet
(Scrapy's LogStats already logs once a minute) and only the summary is logged at the end.

Settings: ``PROGRESS_ENABLED`` (``None`` = only on a terminal; ``False`` = never, summary too),
``PROGRESS_INTERVAL``.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


def summary_lines(stats: dict, crawl_id: str, seconds: float, reason: str) -> list[str]:
    """The end-of-crawl summary, as lines (used on terminals and in logs)."""
    pages = stats.get("response_received_count", 0)
    rate = pages / seconds if seconds > 0 else 0.0
    errors = sum(v for k, v in stats.items()
                 if k.startswith("downloader/exception_type_count/") and isinstance(v, int))
    statuses = ", ".join(
        f"{k.rsplit('/', 1)[-1]}: {v}" for k, v in sorted(stats.items())
        if k.startswith("downloader/response_status_count/")
    )
    return [
        f"crawl {crawl_id} {reason} in {seconds:.1f} s",
        f"  pages fetched     {pages} ({rate:.1f}/s); statuses {statuses or '-'}",
        f"  articles          {stats.get('extract/articles', 0)}",
        f"  requisites        {stats.get('requisites/archived', 0)} archived, "
        f"{sum(v for k, v in stats.items() if k.startswith('requisites/skipped/'))} skipped "
        "(images, stylesheets, scripts, documents)",
        f"  extraction failed {stats.get('extract/failed', 0)}",
        f"  network errors    {errors}",
        f"  WARC records      {stats.get('warc/records_written', 0)} "
        f"({stats.get('warc/bytes_written', 0) / 1e6:.1f} MB)",
    ]


class Progress:
    def __init__(self, crawler: Crawler) -> None:
        enabled = crawler.settings.get("PROGRESS_ENABLED")
        if enabled is not None and not crawler.settings.getbool("PROGRESS_ENABLED"):
            raise NotConfigured("PROGRESS_ENABLED is off")
        self.live = sys.stderr.isatty() if enabled is None else True
        self.interval = crawler.settings.getfloat("PROGRESS_INTERVAL", 1.0)
        self.crawler = crawler
        self.started = time.monotonic()
        self.loop: task.LoopingCall | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        return cls(crawler)

    def spider_opened(self, spider) -> None:
        self.started = time.monotonic()
        if self.live:
            self.loop = task.LoopingCall(self.draw)
            self.loop.start(self.interval, now=False)

    def draw(self) -> None:
        stats = self.crawler.stats.get_stats()
        elapsed = time.monotonic() - self.started
        pages = stats.get("response_received_count", 0)
        errors = sum(v for k, v in stats.items()
                     if k.startswith("downloader/exception_type_count/") and isinstance(v, int))
        line = (f"\r[{elapsed:6.0f}s] pages {pages}  articles {stats.get('extract/articles', 0)}"
                f"  failed {stats.get('extract/failed', 0)}  errors {errors}"
                f"  {pages / elapsed if elapsed else 0:.1f} pages/s ")
        sys.stderr.write(line)
        sys.stderr.flush()

    def spider_closed(self, spider, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
            sys.stderr.write("\n")
        lines = summary_lines(self.crawler.stats.get_stats(), spider.crawl_id,
                              time.monotonic() - self.started, reason)
        if self.live:
            sys.stderr.write("\n".join(lines) + "\n")
        else:
            for line in lines:
                spider.logger.info(line)
