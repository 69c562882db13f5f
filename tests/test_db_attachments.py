"""Attachment rows (db/attachments.py, m013): a requisite's capture and an article's link to it
give the same rows whichever comes first; a crawl that did not fetch a file links to the
latest archived copy; a skip never hides an archived attempt; requisites are not pages."""

from __future__ import annotations

import pytest

from db import ArchiveStore

PAGE = "http://h/Trang/ChiTietTinTuc.aspx?nid=1"
LOGO = "http://h/_catalogs/masterpage/QNP/images/banner.jpg"
PDF = "http://h/Documents/VanBan/2022/QD-1.pdf"
ARTICLE = {"url": PAGE, "page_type": "article", "title": "Họp Ban thường vụ HU",
           "published_at": "2022-01-27T10:16:00+07:00", "body_text": "Nội dung."}


def capture(crawl: str, n: int, url: str, kind: str | None = None, status: int = 200,
            warc_type: str = "response") -> dict:
    return {"crawl_id": crawl, "portal_id": "binhlieu", "url": url, "status": status,
            "fetched_at": f"2026-11-2{crawl[-1]}T10:00:{n:02d}.000000Z",
            "content_type": "image/jpeg" if kind == "image" else "text/html",
            "content_length": 10 * n, "payload_digest": f"sha1:{url}",
            "warc_file": f"{crawl}.warc.gz", "warc_offset": 100 * n, "warc_length": 50,
            "warc_record_id": f"<urn:uuid:{crawl}-{n}>", "request_record_id": None,
            "page_type": None, "extract_status": "skipped", "warc_type": warc_type,
            "resource_type": kind}


@pytest.fixture
def store(tmp_path):
    s = ArchiveStore(tmp_path / "archive.db")
    s.upsert_portal({"id": "binhlieu", "name": "Bình Liêu", "base_url": "http://h/",
                     "family": "qnp", "start_urls": ["http://h/"], "allowed_hosts": ["h"]})
    for crawl in ("c1", "c2"):
        s.start_crawl(crawl, "binhlieu", f"2026-11-2{crawl[-1]}T09:00:00.000000Z", {})
    yield s
    s.close()


def article_capture(store: ArchiveStore, crawl: str, n: int) -> int:
    capture_id = store.add_capture(capture(crawl, n, PAGE))
    store.add_article(capture_id, "binhlieu", capture(crawl, n, PAGE)["fetched_at"], ARTICLE,
                      "1", PAGE)
    return capture_id


def links(store: ArchiveStore) -> list[tuple]:
    return store.conn.execute(
        "SELECT c.warc_record_id, aa.url, aa.kind, t.crawl_id, t.status, t.warc_record_id "
        "FROM article_attachments aa JOIN captures c ON c.id = aa.capture_id LEFT JOIN "
        "attachments t ON t.id = aa.attachment ORDER BY 1, 2").fetchall()


def test_link_and_capture_meet_in_either_order(tmp_path):
    results = []
    for link_first in (True, False):
        store = ArchiveStore(tmp_path / f"{link_first}.db")
        store.upsert_portal({"id": "binhlieu", "name": "x", "base_url": "http://h/"})
        store.start_crawl("c1", "binhlieu", "2026-11-21T09:00:00.000000Z", {})
        page = article_capture(store, "c1", 1)
        if link_first:
            store.add_requisite_links(page, [(LOGO, "image")])
            store.add_capture(capture("c1", 2, LOGO, "image"))
        else:
            store.add_capture(capture("c1", 2, LOGO, "image"))
            store.add_requisite_links(page, [(LOGO, "image")])
        results.append(links(store))
        store.close()
    assert results[0] == results[1] == [
        ("<urn:uuid:c1-1>", LOGO, "image", "c1", "archived", "<urn:uuid:c1-2>")]


def test_a_crawl_that_did_not_fetch_a_file_links_the_latest_archived_copy(store):
    first = article_capture(store, "c1", 1)
    store.add_requisite_links(first, [(LOGO, "image"), (PDF, "document")])
    store.add_capture(capture("c1", 2, LOGO, "image"))
    store.add_capture(capture("c1", 3, PDF, "document", status=404))
    second = article_capture(store, "c2", 1)
    store.add_requisite_links(second, [(LOGO, "image"), (PDF, "document")])

    def of(record_id: str) -> dict[str, tuple]:
        return {r[1]: r[2:] for r in links(store) if r[0] == record_id}

    assert of("<urn:uuid:c2-1>") == {
        LOGO: ("image", "c1", "archived", "<urn:uuid:c1-2>"),
        PDF: ("document", None, None, None)}  # only a 404 before: nothing to link to
    # fetched after all in the second crawl (a revisit): its link moves to that row
    store.add_capture(capture("c2", 2, LOGO, "image", warc_type="revisit"))
    assert of("<urn:uuid:c2-1>")[LOGO] == ("image", "c2", "revisit", "<urn:uuid:c2-2>")
    assert of("<urn:uuid:c1-1>")[LOGO] == ("image", "c1", "archived", "<urn:uuid:c1-2>")
    assert of("<urn:uuid:c1-1>")[PDF] == ("document", "c1", "http_error", "<urn:uuid:c1-3>")


def test_skips_are_rows_with_a_reason_and_never_hide_an_archived_attempt(store):
    page = article_capture(store, "c1", 1)
    store.add_requisite_links(page, [(LOGO, "image"), (PDF, "document")])
    store.add_skipped_requisite("c1", "binhlieu", PDF, "document", "too_large: 300000 bytes",
                                "2026-11-21T10:00:05.000000Z")
    store.add_capture(capture("c1", 2, LOGO, "image", status=503))
    store.add_skipped_requisite("c1", "binhlieu", LOGO, "image", "timeout: took too long",
                                "2026-11-21T10:00:06.000000Z")
    rows = {r[0]: r[1:] for r in store.conn.execute(
        "SELECT url, status, http_status, capture_id IS NOT NULL, reason FROM attachments")}
    assert rows[PDF] == ("skipped", None, 0, "too_large: 300000 bytes")
    assert rows[LOGO] == ("http_error", 503, 1, "timeout: took too long")
    assert {r[1]: r[4] for r in links(store)} == {LOGO: "http_error", PDF: "skipped"}


def test_requisites_are_not_pages_and_not_linked_without_an_article(store):
    article_capture(store, "c1", 1)
    store.add_capture(capture("c1", 2, LOGO, "image"))
    listing = store.add_capture(capture("c1", 3, "http://h/Trang/Tin-tuc-su-kien.aspx"))
    assert store.add_requisite_links(listing, [(LOGO, "image")]) == 0
    store.finish_crawl("c1", "2026-11-21T11:00:00.000000Z", "finished", "finished", {})
    assert store.conn.execute("SELECT pages FROM crawls WHERE id = 'c1'").fetchone()[0] == 2
