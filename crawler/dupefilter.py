"""Scrapy's duplicate request filter, with its fingerprints on disk (``crawler/seen.py``).

Scrapy's own ``RFPDupeFilter`` keeps every request fingerprint of the crawl in a Python set,
so a crawl's memory grows with the portal's size. This one asks the same question of the
same fingerprints (Scrapy's request fingerprinter: method, canonical URL, body) and keeps
them in a ``SeenSet``. Set as ``DUPEFILTER_CLASS``; ``DUPEFILTER_DEBUG`` logs every filtered
request, as Scrapy's does.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy.dupefilters import BaseDupeFilter
from scrapy.utils.request import referer_str

from crawler.seen import SeenSet

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request
    from scrapy.spiders import Spider

logger = logging.getLogger(__name__)


class DiskDupeFilter(BaseDupeFilter):
    def __init__(self, crawler: Crawler) -> None:
        self.fingerprinter = crawler.request_fingerprinter
        self.debug = crawler.settings.getbool("DUPEFILTER_DEBUG")
        self.seen = SeenSet()
        self.stats = crawler.stats
        self.logged = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DiskDupeFilter:
        return cls(crawler)

    def request_seen(self, request: Request) -> bool:
        return not self.seen.add(self.fingerprinter.fingerprint(request))

    def close(self, reason: str) -> None:
        self.seen.close()

    def log(self, request: Request, spider: Spider) -> None:
        if self.debug or not self.logged:
            logger.debug("Filtered duplicate request: %(request)s (referer: %(referer)s)",
                         {"request": request, "referer": referer_str(request)},
                         extra={"spider": spider})
            self.logged = True
        self.stats.inc_value("dupefilter/filtered")  # as Scrapy's RFPDupeFilter counts
