"""The crawl's CPU savings keep its behaviour: garbage collector tuning (GcTuning), the stats
collector without Scrapy's lookup shim, and parsing a page's own UTF-8 bytes."""

from __future__ import annotations

import gc

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from crawler import settings as project_settings
from crawler.extensions.gc_tuning import GcTuning
from crawler.extract import extract
from crawler.indexing import analyse_page, decode_html, decode_html_source
from crawler.stats import LeanStatsCollector
from tests.replica.site import ReplicaSite

URL = "http://binhlieu.quangninh.gov.vn/Trang/ChiTietTinTuc.aspx?nid=1"


def project_crawler(**overrides):
    # Only the settings under test: get_crawler builds every listed extension.
    return get_crawler(settings_dict={"STATS_CLASS": project_settings.STATS_CLASS, **overrides})


def test_gc_frozen_and_thresholds_raised_for_the_crawl_then_restored():
    before = gc.get_threshold()
    ext = GcTuning.from_crawler(project_crawler(GC_TUNING_THRESHOLD=[5000, 7, 9]))
    try:
        ext.engine_started()
        assert gc.get_threshold() == (5000, 7, 9)
        assert gc.get_freeze_count() > 0
    finally:
        ext.engine_stopped()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_gc_tuning_off_or_misconfigured():
    with pytest.raises(NotConfigured):
        GcTuning.from_crawler(project_crawler(GC_TUNING_ENABLED=False))
    with pytest.raises(ValueError, match="three positive integers"):
        GcTuning.from_crawler(project_crawler(GC_TUNING_THRESHOLD="700,10"))
    with pytest.raises(ValueError, match="three positive integers"):
        GcTuning.from_crawler(project_crawler(GC_TUNING_THRESHOLD=[0, 10, 10]))


def test_crawl_stats_without_the_lookup_shim():
    stats = project_crawler().stats
    assert type(stats) is LeanStatsCollector and isinstance(stats, MemoryStatsCollector)
    stats.inc_value("warc/records_written")
    stats.inc_value("warc/records_written", 2)
    stats.max_value("warc/largest", 7)
    stats.set_value("x", "y", spider=None)  # the old signature still works
    assert stats.get_value("warc/records_written") == 3
    assert stats.get_stats()["warc/largest"] == 7
    # Scrapy's shim caches a wrapped method per name on the instance; none was made.
    assert not [name for name in vars(stats) if name.startswith("_cached_")]


@pytest.mark.parametrize("body, content_type, exact", [
    ("<p>Xã Bình Liêu</p>".encode(), "text/html; charset=utf-8", True),
    (b"\xef\xbb\xbf" + "<p>Bình Liêu</p>".encode(), "text/html", True),
    ("<p>Xã Bình Liêu</p>".encode(), "text/html; charset=ISO-8859-1", True),  # misdeclared
    (b"<p>B\xecnh Li\xeau</p>", "text/html; charset=windows-1258", False),  # not UTF-8
    ("<p>Bình Liêu</p>".encode() + b"\xff\xfe bad", "text/html; charset=utf-8", False),
    (b"<p>Binh Lieu</p>", "text/html", True),
])
def test_decoded_text_comes_with_its_utf8_bytes_only_when_exact(body, content_type, exact):
    text, source = decode_html_source(body, content_type)
    assert text == decode_html(body, content_type)
    if exact:
        assert source is not None and source.decode("utf-8") == text
    else:
        assert source is None


def test_parsing_the_pages_own_bytes_extracts_the_same_record(replica_article_html):
    body = replica_article_html
    text, source = decode_html_source(body, "text/html; charset=utf-8")
    assert source is not None
    from_bytes = extract(URL, text, family="qnp", utf8=source).to_dict()
    from_text = extract(URL, text, family="qnp").to_dict()
    assert from_bytes == from_text
    assert from_bytes["title"] and from_bytes["body_text"]
    record, key, _ = analyse_page(URL, body, "text/html; charset=utf-8", "qnp")
    assert record == from_text and key


@pytest.fixture
def replica_article_html() -> bytes:
    site = ReplicaSite(articles=12, chrome_kb=4)
    response = site.resolve(f"/Trang/ChiTietTinTuc.aspx?nid={site.articles[0].nid}")
    assert response.status == 200
    return response.body(1, gzip=False)
