"""Replay serves a page's images and stylesheets from the archive under the very URL the crawl
requested and archived them by: discovery (crawler/requisites.py) and replay
(crawler/replay.py) share ``requisite_url``, so a Vietnamese file name (``/ảnh/tin tức.jpg``,
which Scrapy's Request percent-encodes) or a ``#fragment`` is no 404 at replay."""

from __future__ import annotations

import asyncio
import html
import json
import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from datasette.app import Datasette
from scrapy import Request

from archive import HttpExchange, RotatingWarcWriter
from crawler.reindex import reindex
from crawler.replay import rewrite_requisites
from crawler.requisites import discover

SITE = "https://tinhuy.example.gov.vn"
URL = SITE + "/tin-tuc/bai-1.html"
PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Bài viết</title>
<link rel="stylesheet" href="/css/kiểu chữ.css#in"></head><body><p>Nội dung</p>
<img src="/ảnh/tin tức.jpg" alt="1"> <img src="/img/logo.png#top" alt="2">
<img srcset="/ảnh/nhỏ.jpg 480w, /ảnh/lớn.jpg#x 800w" alt="3"></body></html>"""
ENCODED = [SITE + "/css/ki%E1%BB%83u%20ch%E1%BB%AF.css",
           SITE + "/%E1%BA%A3nh/tin%20t%E1%BB%A9c.jpg", SITE + "/img/logo.png",
           SITE + "/%E1%BA%A3nh/nh%E1%BB%8F.jpg", SITE + "/%E1%BA%A3nh/l%E1%BB%9Bn.jpg"]


def test_discovery_lists_the_urls_the_crawl_requests():
    found = [r.url for r in discover(PAGE, URL)]
    assert found == ENCODED
    # the requisites middleware requests Request(url): the same URL, archived as such
    assert [Request(u).url for u in found] == found


def test_replay_asks_for_the_urls_discovery_found():
    asked: list[str] = []
    page = rewrite_requisites(PAGE, URL, lambda url: asked.append(url) or f"/r/{len(asked)}")
    assert sorted(asked) == sorted(ENCODED)
    assert 'srcset="/r/4 480w, /r/5 800w"' in page and "ảnh" not in page


def test_a_replayed_page_shows_its_archived_non_ascii_and_fragment_requisites(tmp_path):
    portal = {"id": "p", "name": "P", "base_url": SITE + "/", "family": "generic",
              "start_urls": [SITE + "/"], "allowed_hosts": [urlsplit(SITE).hostname]}
    info = {"software": "portal-archive/test", "portal-archive-crawl-id": "c1",
            "portal-archive-portal": json.dumps(portal), "portal-archive-family": "generic"}
    when = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    bodies = {}
    with RotatingWarcWriter(tmp_path / "warc", "p", info, clock=lambda: when) as writer:
        _, page, _ = writer.write_exchange(HttpExchange(
            url=URL, response_headers=[("Content-Type", "text/html; charset=utf-8")],
            body=PAGE.encode(), fetched_at=when))
        for n, requisite in enumerate(discover(PAGE, URL)):
            url = Request(requisite.url).url  # what the crawl requests and archives
            bodies[url] = f"bytes of requisite {n}".encode()
            writer.write_exchange(HttpExchange(
                url=url, response_headers=[("Content-Type", "image/jpeg")],
                body=bodies[url], fetched_at=when))
        files = list(writer.files)
    assert not reindex(files, tmp_path / "archive.db").errors
    ds = Datasette([str(tmp_path / "archive.db")])

    async def run():
        replayed = await ds.client.get(f"/-/replay/{page.filename}/{page.offset}")
        links = sorted({html.unescape(m) for m in
                        re.findall(r'/-/replay-url\?[^"\s]+', replayed.text)})
        return replayed, links, [await ds.client.get(link) for link in links]

    replayed, links, served = asyncio.run(run())
    assert replayed.status_code == 200, replayed.text
    wanted = [parse_qs(urlsplit(link).query)["url"][0] for link in links]
    assert sorted(wanted) == sorted(bodies)
    for url, response in zip(wanted, served, strict=True):
        assert response.status_code == 200, (url, response.text)
        assert response.content == bodies[url]
