"""Datasette shows the versions of an article and a readable diff between them."""

from __future__ import annotations

import asyncio

from crawler.cli.serve import make_datasette
from db import ArchiveStore


def capture(n: int) -> dict:
    return {"crawl_id": "c1", "portal_id": "binhlieu", "url": "http://h/x?nid=7", "status": 200,
            "fetched_at": f"2026-11-2{n}T10:00:00.000000Z", "content_type": "text/html",
            "content_length": 1, "payload_digest": f"sha1:{n}", "warc_file": "f.warc.gz",
            "warc_offset": n, "warc_length": 1, "warc_record_id": f"<urn:uuid:{n}>"}


def test_versions_and_their_diff(tmp_path):
    path = tmp_path / "archive.db"
    store = ArchiveStore(path)
    store.upsert_portal({"id": "binhlieu", "name": "Bình Liêu", "base_url": "http://h/",
                         "family": "qnp"})
    store.start_crawl("c1", "binhlieu", "2026-11-21T00:00:00Z", {})
    base = {"url": "http://h/x?nid=7", "page_type": "article", "title": "Họp Ban thường vụ HU",
            "published_at": "2022-01-27T10:16:00+07:00", "author": "Thu Hằng"}
    first = {**base, "body_text": "Đoạn một.\n\nĐoạn hai cũ.\n\nĐoạn ba."}
    second = {**base, "body_text": "Đoạn một.\n\nĐoạn hai đã sửa.\n\nĐoạn ba."}
    store.add_article(store.add_capture(capture(1)), "binhlieu", "t1", first, "7", "u")
    store.add_article(store.add_capture(capture(2)), "binhlieu", "t2", second, "7", "u")
    store.close()
    ds = make_datasette(str(path))

    async def run():
        data = (await ds.client.get(
            "/archive/article_version_diffs.json?article_id=7&_shape=objects")).json()
        rows = data["rows"]
        assert [r["version"] for r in rows] == [2]
        assert "-Đoạn hai cũ." in rows[0]["diff"] and "+Đoạn hai đã sửa." in rows[0]["diff"]
        assert "Đoạn ba." in rows[0]["diff"]  # context kept
        html = (await ds.client.get("/archive/article_version_diffs?article_id=7")).text
        assert '<pre class="version-diff"' in html
        assert "background:#ffebe9" in html and "background:#e6ffec" in html
        assert "<script" not in rows[0]["diff"]

    asyncio.run(run())
