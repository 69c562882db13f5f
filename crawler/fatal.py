"""Stopping a crawl at once when the archive cannot be written.

A full disk, an unwritable output directory or a database that refuses writes must stop the
crawl, never make captures vanish while it carries on. ``stop_crawl`` logs each such error
as one line (CRITICAL), keeps the first in the stats (``archive/fatal_error``, the message, and
``archive/fatal_reason``) so ``portal-archive crawl`` can print it and exit non-zero, and
closes the spider with that reason (``warc_write_error``, ``db_write_error``). During
``spider_opened`` a component raises ``CloseSpider(reason)`` instead (``fatal_at_open``):
Scrapy then closes the spider as soon as it is open. ``close_spider`` is the closing step
alone, for a crawl stopped for another reason (the crawl window, crawler/extensions).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy.exceptions import CloseSpider
from scrapy.utils.defer import deferred_from_coro

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

FATAL_ERROR = "archive/fatal_error"
FATAL_REASON = "archive/fatal_reason"


def note_fatal(crawler: Crawler, reason: str, message: str) -> bool:
    """Record the crawl's first fatal error; return whether this one was the first."""
    stats = crawler.stats
    logger.critical("%s", message)
    if stats.get_value(FATAL_ERROR) is not None:
        return False
    stats.set_value(FATAL_ERROR, message)
    stats.set_value(FATAL_REASON, reason)
    return True


def stop_crawl(crawler: Crawler, reason: str, message: str) -> None:
    """Record ``message`` and close the spider with ``reason`` (once; later calls only wait)."""
    note_fatal(crawler, reason, message)
    close_spider(crawler, reason)


def close_spider(crawler: Crawler, reason: str) -> None:
    """Close the spider with ``reason`` (Scrapy's public engine API; a spider that is not
    open, or is closing already, is left alone)."""
    engine = getattr(crawler, "engine", None)
    if engine is not None and engine.spider is not None:
        deferred_from_coro(_close(engine, reason))


def fatal_at_open(crawler: Crawler, reason: str, message: str) -> CloseSpider:
    """The exception a ``spider_opened`` handler raises when the archive cannot be opened."""
    note_fatal(crawler, reason, message)
    return CloseSpider(reason)


async def _close(engine, reason: str) -> None:
    try:
        return await engine.close_spider_async(reason=reason)
    except RuntimeError:  # not open, or already closed
        pass
