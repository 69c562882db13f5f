"""DiskDupeFilter: Scrapy's duplicate filter with its fingerprints on disk (crawler/seen.py)."""

from __future__ import annotations

from scrapy import Request, Spider
from scrapy.utils.test import get_crawler

from crawler.dupefilter import DiskDupeFilter


def test_duplicates_are_seen_and_counted_as_scrapy_counts_them():
    crawler = get_crawler(Spider)
    crawler.stats.open_spider()
    spider = Spider("t")
    spider.crawler = crawler
    dupes = DiskDupeFilter.from_crawler(crawler)
    first, again = Request("http://127.0.0.1/a?x=1&y=2"), Request("http://127.0.0.1/a?y=2&x=1")
    assert not dupes.request_seen(first)
    assert dupes.request_seen(again)  # the same fingerprint (canonical query order)
    assert not dupes.request_seen(Request("http://127.0.0.1/b"))
    dupes.log(again, spider)
    assert crawler.stats.get_value("dupefilter/filtered") == 1
    dupes.close("finished")
