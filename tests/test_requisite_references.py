"""Requisite discovery without a second parse: the extraction's parse collects what may
reference a requisite (``crawler.extract.page.requisite_references``), ``PageAnalysis`` and the
``PageItem`` carry it, and the requisites middleware reads it (``from_references``). On every
replica and gold page the URLs are those of parsing the page again as the crawl used to
(``discover(response.text)``); on a UTF-8 page misdeclared as Latin-1 they are the right ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from archive.exchange import WarcPointer
from crawler.indexing import analyse
from crawler.items import PageItem
from crawler.middlewares.requisites import RequisitesMiddleware
from crawler.requisites import discover, from_references
from spiders.portal import PortalSpider
from tests.replica import ReplicaSite

GOLD = Path(__file__).parent / "data" / "gold"
PAGES = Path(__file__).parent / "data" / "pages"
QNP_HOST = "https://binhlieu.quangninh.gov.vn"
HTML = "text/html; charset=utf-8"


def replica_pages() -> list[tuple[str, bytes, str]]:
    """(url, body, family) of the QNP replica's articles (the documents article and the
    hostile one included), the generated gold pages of every family and the saved pages."""
    site = ReplicaSite(articles=12, chrome_kb=2, hostile=True)
    out = [(QNP_HOST + a.url, site.resolve(a.url).body(1, False), "qnp")
           for a in [*site.articles, site.hostile]]
    for meta in sorted(GOLD.glob("*/gen_*.json")):
        data = json.loads(meta.read_text(encoding="utf-8"))
        out.append((data["url"], (meta.parent / data["html"]).read_bytes(), meta.parent.name))
    for page in sorted(PAGES.glob("*.html")):
        out.append((QNP_HOST + "/Trang/ChiTietTinTuc.aspx?nid=35530", page.read_bytes(),
                    "qnp"))
    return out


def test_references_give_the_urls_of_parsing_the_page_again():
    pages = replica_pages()
    assert len(pages) > 100
    found = 0
    for url, body, family in pages:
        again = discover(HtmlResponse(url, body=body, headers={"Content-Type": HTML}).text,
                         url)
        assert from_references(analyse(url, body, HTML, family).references, url) == again
        found += len(again)
    assert found > 500  # images, stylesheets, scripts and documents, not empty lists


def test_no_references_collected_when_nobody_discovers_requisites():
    """A crawl without requisites (and reindex) skips the collection; nothing else differs."""
    for url, body, family in replica_pages()[:40]:
        with_refs, without = analyse(url, body, HTML, family), analyse(
            url, body, HTML, family, references=False)
        assert without.references == [] and with_refs.references
        assert (without.record, without.hrefs, without.base_url) == (
            with_refs.record, with_refs.hrefs, with_refs.base_url)


def test_a_utf8_page_misdeclared_as_latin1_gives_its_real_urls():
    url = QNP_HOST + "/tin-tuc/bai.html"
    body = '<html><body><p>Tin</p><img src="/ảnh/tin tức.jpg"></body></html>'.encode()
    page = analyse(url, body, "text/html; charset=iso-8859-1", "generic")
    assert [r.url for r in from_references(page.references, url)] == [
        QNP_HOST + "/%E1%BA%A3nh/tin%20t%E1%BB%A9c.jpg"]


class _NoText(HtmlResponse):
    @property
    def text(self) -> str:
        raise AssertionError("the page was decoded (and parsed) again")


@pytest.fixture
def middleware():
    crawler = get_crawler(PortalSpider)
    spider = PortalSpider.from_crawler(crawler, portal="binhlieu")
    crawler.spider = spider
    mw = RequisitesMiddleware.from_crawler(crawler)
    mw._robots = False  # no engine here: robots.txt is left to Scrapy's middleware
    yield mw, spider
    spider.closed("finished")


def test_the_middleware_requests_the_articles_requisites_without_a_second_parse(middleware):
    mw, spider = middleware
    site = ReplicaSite(articles=12, chrome_kb=2)
    article = site.by_nid[site.documents_nid]
    url = spider.portal.base_url.rstrip("/") + article.url
    body = site.resolve(article.url).body(1, False)
    request = Request(url, meta={"warc": WarcPointer("x.warc.gz", 0, 1, "<urn:uuid:1>"),
                                 "warc_fetched_at": "2024-01-01T00:00:00Z"})
    response = _NoText(url, body=body, headers={"Content-Type": HTML}, request=request)
    out = list(mw.process_spider_output(response, spider.parse(response)))
    item = next(o for o in out if isinstance(o, PageItem))
    # as parsing the page again finds them, less those off the portal's hosts
    expected = [(r.url, r.kind) for r in discover(body, url, mw.extensions)
                if mw._in_scope(spider, r)]
    assert item.requisites == expected
    assert {"image", "stylesheet", "script", "document"} <= {k for _, k in expected}
    requested = {r.url for r in out if isinstance(r, Request) and r.callback == mw._archived}
    assert requested == {u for u, _ in item.requisites}
