"""Scope and article identity of portals that span several sites: allowed_hosts match exactly
(and their www. twin), ``*.domain`` opts into subdomains; a site's own article ids carry the
site when it is not the portal's base site, live and on reindex alike."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.utils.test import get_crawler

from archive import HttpExchange, RotatingWarcWriter
from crawler.extract import get_family
from crawler.indexing import analyse_page, index_page, portal_article_key
from crawler.middlewares.offsite import PortalOffsiteMiddleware
from crawler.registry import host_allowed, load_registry, portal_from_dict, scrapy_domains
from crawler.reindex import reindex
from db import ArchiveStore
from spiders.portal import PortalSpider

FOUNDING = (Path(__file__).parent / "data" / "pages" / "qnp_article_founding.html").read_bytes()
HTML = "text/html; charset=utf-8"


@pytest.mark.parametrize("host, hosts, ok", [
    ("quangninh.gov.vn", ["www.quangninh.gov.vn", "quangninh.gov.vn"], True),
    ("www.quangninh.gov.vn", ["quangninh.gov.vn"], True),  # the www. twin
    ("quangninh.gov.vn", ["www.quangninh.gov.vn"], True),
    ("binhlieu.quangninh.gov.vn", ["www.quangninh.gov.vn", "quangninh.gov.vn"], False),
    ("evilquangninh.gov.vn", ["quangninh.gov.vn"], False),
    ("binhlieu.quangninh.gov.vn", ["*.quangninh.gov.vn"], True),
    ("a.b.quangninh.gov.vn", ["*.quangninh.gov.vn"], True),
    ("quangninh.gov.vn", ["*.quangninh.gov.vn"], True),
    ("xquangninh.gov.vn", ["*.quangninh.gov.vn"], False),
    ("BINHLIEU.quangninh.gov.vn.", ["binhlieu.quangninh.gov.vn"], True),
])
def test_host_allowed(host, hosts, ok):
    assert host_allowed(host, hosts) is ok


def test_province_portal_does_not_crawl_its_district_sites():
    spider = PortalSpider(portal="quangninh")
    assert spider._in_scope("https://www.quangninh.gov.vn/Trang/ChiTietTinTuc.aspx?nid=1")
    assert spider._in_scope("https://quangninh.gov.vn/So/sonoivu/Trang/Default.aspx")
    for unit in ("binhlieu", "halong", "campha", "tienyen"):
        assert not spider._in_scope(f"https://{unit}.quangninh.gov.vn/Trang/Default.aspx")
    # Scrapy's own filter is told the superset; ours narrows it (redirects included).
    assert spider.allowed_domains == ["quangninh.gov.vn"]
    crawler = get_crawler(PortalSpider)
    crawler.spider = spider
    mw = PortalOffsiteMiddleware.from_crawler(crawler)
    assert mw.should_follow(Request("https://www.quangninh.gov.vn/x"), spider)
    assert not mw.should_follow(Request("https://binhlieu.quangninh.gov.vn/x"), spider)


def test_wildcard_hosts_in_the_registry(tmp_path):
    entry = {"id": "qn", "name": "QN", "base_url": "https://quangninh.gov.vn/", "family": "qnp",
             "start_urls": ["https://binhlieu.quangninh.gov.vn/"],
             "allowed_hosts": ["*.quangninh.gov.vn"]}
    portal = portal_from_dict(entry, "t")
    assert scrapy_domains(portal.allowed_hosts) == ["quangninh.gov.vn"]
    path = tmp_path / "r.toml"
    path.write_text('[[portals]]\nid = "qn"\nname = "QN"\nbase_url = "https://quangninh.gov.vn/"\n'
                    'family = "qnp"\nallowed_hosts = ["*.quangninh.gov.vn"]\n', encoding="utf-8")
    spider = PortalSpider(portal="qn", registry=str(path))
    assert spider._in_scope("https://binhlieu.quangninh.gov.vn/Trang/Default.aspx")
    assert not spider._in_scope("https://quangninh.gov.vn.evil.com/")
    # An exact host never lets a start URL on a subdomain through.
    entry["allowed_hosts"] = ["quangninh.gov.vn"]
    with pytest.raises(Exception, match="field 'start_urls'"):
        portal_from_dict(entry, "t")


def test_checked_in_registry_keeps_every_start_url_in_scope():
    for portal in load_registry().values():
        spider = PortalSpider(portal=portal.id)
        assert all(spider._in_scope(u) for u in portal.start_urls), portal.id


def test_article_keys_carry_the_site_only_off_the_base_site():
    qnp = get_family("qnp")
    base = "https://www.quangninh.gov.vn/"
    art = "/Trang/ChiTietTinTuc.aspx?nid=42"
    assert portal_article_key(qnp, "https://quangninh.gov.vn" + art, "42", base) == "42"
    assert portal_article_key(qnp, "http://WWW.quangninh.gov.vn" + art, "42", base) == "42"
    assert portal_article_key(qnp, "https://quangninh.gov.vn/So/SoNoiVu" + art, "42", base) \
        == "quangninh.gov.vn/So/sonoivu:42"
    assert portal_article_key(qnp, "https://binhlieu.quangninh.gov.vn" + art, "42", base) \
        == "binhlieu.quangninh.gov.vn:42"
    # A unit living under the province site: its own sub-site is its base.
    coto = "https://www.quangninh.gov.vn/donvi/huyencoto/"
    assert portal_article_key(qnp, coto.rstrip("/") + art, "42", coto) == "42"
    assert portal_article_key(qnp, "https://binhlieu.quangninh.gov.vn" + art, "42", None) == "42"


def _store(path: Path) -> ArchiveStore:
    store = ArchiveStore(path)
    store.upsert_portal({"id": "qn", "name": "QN", "base_url": "https://quangninh.gov.vn/",
                         "family": "qnp", "start_urls": ["https://quangninh.gov.vn/"],
                         "allowed_hosts": ["*.quangninh.gov.vn"]})
    store.start_crawl("c1", "qn", "2026-11-25T10:00:00.000000Z", {})
    return store


SITES = ("https://quangninh.gov.vn", "https://binhlieu.quangninh.gov.vn",
         "https://quangninh.gov.vn/So/sonoivu")
EXPECTED_KEYS = ["35530", "binhlieu.quangninh.gov.vn:35530", "quangninh.gov.vn/So/sonoivu:35530"]


def _keys(db: Path) -> list[tuple[str, int]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT article_id, versions FROM articles ORDER BY article_id"
                            ).fetchall()


def test_same_nid_on_three_sites_is_three_articles(tmp_path):
    store = _store(tmp_path / "archive.db")
    for n, site in enumerate(SITES):
        url = f"{site}/Trang/ChiTietTinTuc.aspx?nid=35530"
        record, key, canonical = analyse_page(url, FOUNDING, HTML, "qnp",
                                              "https://quangninh.gov.vn/")
        cid = store.add_capture({
            "crawl_id": "c1", "portal_id": "qn", "url": url, "status": 200,
            "fetched_at": f"2026-11-25T10:00:0{n}.000000Z", "content_type": HTML,
            "content_length": 1, "payload_digest": f"sha1:{n}", "warc_file": "f.warc.gz",
            "warc_offset": n, "warc_length": 1, "warc_record_id": f"<urn:uuid:{n}>",
            "request_record_id": None, "page_type": None, "extract_status": "skipped"})
        assert index_page(store, cid, "qn", f"2026-11-25T10:00:0{n}.000000Z", record, key,
                          canonical) == "ok"
    store.close()
    assert _keys(tmp_path / "archive.db") == [(k, 1) for k in sorted(EXPECTED_KEYS)]


def test_reindex_gives_the_same_site_keys(tmp_path):
    portal = {"id": "qn", "name": "QN", "base_url": "https://quangninh.gov.vn/",
              "family": "qnp", "start_urls": ["https://quangninh.gov.vn/"],
              "allowed_hosts": ["*.quangninh.gov.vn"]}
    info = {"software": "portal-archive/test", "portal-archive-crawl-id": "c1",
            "portal-archive-portal": json.dumps(portal), "portal-archive-family": "qnp"}
    when = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    with RotatingWarcWriter(tmp_path / "warc", "qn", info, clock=lambda: when) as writer:
        for site in SITES:
            writer.write_exchange(HttpExchange(
                url=f"{site}/Trang/ChiTietTinTuc.aspx?nid=35530",
                response_headers=[("Content-Type", HTML)], body=FOUNDING, fetched_at=when))
        files = list(writer.files)
    report = reindex(files, tmp_path / "re.db")
    assert report.articles == 3 and not report.errors
    assert _keys(tmp_path / "re.db") == [(k, 1) for k in sorted(EXPECTED_KEYS)]
