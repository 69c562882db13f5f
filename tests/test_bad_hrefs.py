"""A page whose ``<base href>`` or links make no URL (``http://[bad/``, ``http://[x``, a port
that is not a number) is crawled and reindexed like any other: the bad base is ignored (links
join against the page URL), the bad links are skipped, nothing raises."""

from __future__ import annotations

from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from archive.exchange import WarcPointer
from crawler.indexing import analyse, join_url
from crawler.items import PageItem
from crawler.middlewares.warc_capture import _outlinks, href_joiner
from spiders.portal import PortalSpider

SITE = "http://127.0.0.1:9/"
URL = SITE + "dir/page.html"
HTML = "text/html; charset=utf-8"
PAGE = b"""<html><head><base href="http://[bad/"><title>Trang</title></head><body>
<a href="http://[x">bad</a> <a href="http://127.0.0.1:bad/x">bad port</a>
<a href="/tin-tuc/a.html">rooted</a> <a href="b.html">relative</a></body></html>"""


def test_join_url_gives_none_for_what_makes_no_url():
    assert join_url(URL, "http://[x") is None
    assert join_url(URL, "http://[bad/") is None
    assert join_url(URL, "http://127.0.0.1:bad/x") is None
    assert join_url(URL, "b.html") == SITE + "dir/b.html"
    assert href_joiner(URL)("http://[x") is None
    assert href_joiner(URL)("/tin-tuc/a.html") == SITE + "tin-tuc/a.html"


def test_analyse_ignores_a_base_href_that_makes_no_url():
    page = analyse(URL, PAGE, HTML, "generic")
    assert page.base_url == URL  # joined against the page URL instead
    assert page.record["page_type"] != "error"
    assert "http://[x" in page.hrefs and "b.html" in page.hrefs


def test_the_spider_and_the_metadata_record_skip_the_bad_links():
    crawler = get_crawler(PortalSpider)
    spider = PortalSpider.from_crawler(crawler, url=SITE, family="generic")
    request = Request(URL, meta={"warc": WarcPointer("x.warc.gz", 0, 1, "<urn:uuid:1>"),
                                 "warc_fetched_at": "2024-01-01T00:00:00Z"})
    response = HtmlResponse(URL, body=PAGE, headers={"Content-Type": HTML}, request=request)
    try:
        out = list(spider.parse(response))
    finally:
        spider.closed("finished")
    assert isinstance(out[0], PageItem) and out[0].record["page_type"] != "error"
    followed = {r.url for r in out[1:]}
    assert followed == {SITE + "tin-tuc/a.html", SITE + "dir/b.html"}
    assert _outlinks(response) == [SITE + "tin-tuc/a.html", SITE + "dir/b.html"]
    # without the spider's base (a response it did not parse), Scrapy's reading of <base>
    fresh = HtmlResponse(URL, body=PAGE, headers={"Content-Type": HTML},
                         request=Request(URL))
    assert _outlinks(fresh) == [SITE + "tin-tuc/a.html", SITE + "dir/b.html"]


def test_reindex_reads_the_page_as_the_live_crawl_did(tmp_path):
    import json
    import sqlite3
    from datetime import UTC, datetime

    from archive import HttpExchange, RotatingWarcWriter
    from crawler.reindex import reindex

    portal = {"id": "p", "name": "P", "base_url": SITE, "family": "generic",
              "start_urls": [SITE], "allowed_hosts": ["127.0.0.1"]}
    info = {"software": "portal-archive/test", "portal-archive-crawl-id": "c1",
            "portal-archive-portal": json.dumps(portal), "portal-archive-family": "generic"}
    when = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    with RotatingWarcWriter(tmp_path / "warc", "p", info, clock=lambda: when) as writer:
        writer.write_exchange(HttpExchange(url=URL, response_headers=[("Content-Type", HTML)],
                                           body=PAGE, fetched_at=when))
        files = list(writer.files)
    report = reindex(files, tmp_path / "re.db")
    assert not report.errors
    db = sqlite3.connect(tmp_path / "re.db")
    row = db.execute("SELECT page_type, extract_status FROM captures WHERE url = ?",
                     [URL]).fetchone()
    db.close()
    assert row == (analyse(URL, PAGE, HTML, "generic").record["page_type"], "ok")


def test_a_redirect_to_no_url_is_a_capture_without_redirect_to():
    from crawler.indexing import capture_row

    pointer = WarcPointer("x.warc.gz", 0, 1, "<urn:uuid:1>")
    rows = [capture_row(crawl_id="c1", portal_id="p", url=URL, status=302,
                        headers=[("Location", where)], body_length=0,
                        fetched_at="2024-01-01T00:00:00Z", payload_digest="sha1:X",
                        pointer=pointer, request_record_id=None)
            for where in ("http://[x", "b.html")]
    assert [r["redirect_to"] for r in rows] == [None, SITE + "dir/b.html"]


def test_href_joiner_gives_what_urljoin_gives():
    """The joiner joins host-relative hrefs against the site's origin (cached per site): for
    every href, odd ones included, its answer is urljoin's against the page (or None where
    join_url gives None). ``/\t/`` was once the origin: urljoin deletes the tab."""
    import random
    from urllib.parse import urljoin

    rng = random.Random(5)
    alphabet = ["/", "/", ".", "..", "a", "Trang", "?", "#", ";", "=", "&", "%2e", " ", "\t",
                "\n", "\x01", "\x1f", "//", ":", "[", "ư", "@", "\\", "x.aspx", "nid=1"]
    hrefs = ["/", "/a", "/a/", "/a?", "/a#", "/a?#", "/a;", "/a;b", "/a//b", "/./a", "/a/.",
             "/a/..", "/a/../b", "/.a", "/a?b/../c", "/a#b//c", "/a ", "/a b", "/\x01a",
             "/Trang/ChiTietTinTuc.aspx?nid=35530&title=x", "/a?b?c", "/a#b#c", "/\t/x",
             "/\n/x", "/\r/x", "/a\r\n/b"]
    hrefs += ["/" + "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 8)))
              for _ in range(5000)]
    for base in (URL, "https://h.gov.vn", "https://user@h.gov.vn:8443/x/y?z#w"):
        join = href_joiner(base)
        for href in hrefs:
            expected = join_url(base, href)  # None for "//[x", "//h:port": no URL
            assert join(href) == expected, (base, href)
            assert expected is None or expected == urljoin(base, href), (base, href)
