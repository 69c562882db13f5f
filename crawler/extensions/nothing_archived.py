"""A crawl that archived nothing is a failed crawl, not a finished one.

When the crawl goes idle and no response other than robots.txt ever arrived (the host
refused, did not resolve, timed out, robots.txt disallowed the start URLs…), the spider is
closed with the reason ``nothing_archived`` instead of ``finished``: the ``crawls`` row says
``failed`` (live, and on reindex from the WARC's closing metadata record), and
``portal-archive crawl`` exits 1 with one line saying why, kept in the stat
``nothing_archived/detail``: the start URLs' failure kind as counted by
``crawler/middlewares/failure_kinds.py`` (``failures/start/<kind>``), or Scrapy's robots.txt
and offsite counters.

Settings: ``NOTHING_ARCHIVED_ENABLED`` (True).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import CloseSpider, NotConfigured

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

REASON = "nothing_archived"
_PHRASES = {
    "refused": "refused the connection",
    "dns": "did not resolve (DNS failure)",
    "tls": "failed the TLS handshake",
    "timeout": "timed out",
    "robots": "is disallowed by robots.txt",
    "offsite": "redirected off the portal's allowed hosts",
    "trap": "was refused as a crawler trap",
}


def why(stats: dict[str, Any]) -> str:
    """What kept the start URLs from being fetched, from the crawl's stats (a request that
    robots.txt or the offsite filter dropped is also a failure of kind ``other``)."""
    if stats.get("robotstxt/forbidden"):
        return _PHRASES["robots"]
    if stats.get("offsite/filtered"):
        return _PHRASES["offsite"]
    for prefix in ("failures/start/", "failures/"):
        counts = {k.removeprefix(prefix): v for k, v in stats.items()
                  if k.startswith(prefix) and "/" not in k.removeprefix(prefix)}
        if counts:
            kind = max(counts, key=lambda k: counts[k])
            return _PHRASES.get(kind, f"failed ({kind} error)")
    return "was not fetched"


class NothingArchived:
    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("NOTHING_ARCHIVED_ENABLED", True):
            raise NotConfigured("NOTHING_ARCHIVED_ENABLED is off")
        self.crawler = crawler
        self.fetched = False  # a response other than robots.txt arrived
        crawler.signals.connect(self.response_received, signal=signals.response_received)
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NothingArchived:
        return cls(crawler)

    def response_received(self, response: Any, request: Any, spider: Any) -> None:
        # Not Scrapy's counters at idle (response_received_count - robotstxt/response_count):
        # a robots.txt redirected to a page (some portals send every unknown path home)
        # brings a page, which they would not count.
        if not self.fetched and urlsplit(response.url).path != "/robots.txt":
            self.fetched = True

    def spider_idle(self, spider: Any) -> None:
        if self.fetched:
            return
        portal = getattr(spider, "portal", None)
        starts = ", ".join(getattr(portal, "start_urls", None) or ()) or "the start URLs"
        detail = f"{starts} {why(self.crawler.stats.get_stats())}"
        self.crawler.stats.set_value("nothing_archived/detail", detail)
        raise CloseSpider(REASON)
