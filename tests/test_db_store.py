"""The database layer: migrations, captures, article identity and versions, counters, export."""

from __future__ import annotations

import io
import sqlite3

import pytest
import sqlite_utils

from db import ArchiveStore, SchemaTooNewError, migrate
from db.export import BadFilterError, export_rows, write_csv, write_jsonl


def capture(n: int, url: str = "http://h/Trang/ChiTietTinTuc.aspx?nid=1") -> dict:
    return {
        "crawl_id": "c1", "portal_id": "binhlieu", "url": url, "status": 200,
        "fetched_at": f"2026-11-25T10:00:0{n}.000000Z", "content_type": "text/html",
        "content_length": 100, "payload_digest": f"sha1:{n}", "warc_file": "f.warc.gz",
        "warc_offset": 100 * n, "warc_length": 50, "warc_record_id": f"<urn:uuid:{n}>",
        "request_record_id": None, "page_type": None, "extract_status": "skipped",
    }


def article(**kw) -> dict:
    rec = {"url": "http://h/Trang/ChiTietTinTuc.aspx?nid=1", "page_type": "article",
           "title": "Họp Ban thường vụ HU", "published_at": "2022-01-27T10:16:00+07:00",
           "published_raw": "27/01/2022 10:16", "date_precision": "minute",
           "author": "Thu Hằng", "summary": None, "body_text": "Nội dung.", "category": None,
           "view_count": None, "sources": {"title": "qnp"}}
    rec.update(kw)
    return rec


@pytest.fixture
def store(tmp_path):
    s = ArchiveStore(tmp_path / "archive.db")
    s.upsert_portal({"id": "binhlieu", "name": "Bình Liêu", "base_url": "http://h/",
                     "family": "qnp", "start_urls": ["http://h/"], "allowed_hosts": ["h"]})
    s.start_crawl("c1", "binhlieu", "2026-11-25T10:00:00.000000Z", {})
    yield s
    s.close()


def test_migrations_are_recorded_and_idempotent(tmp_path):
    db = sqlite_utils.Database(tmp_path / "x.db")
    assert migrate(db)[0] == "m001_core"
    assert migrate(db) == []
    assert {"portals", "crawls", "captures", "articles", "article_versions",
            "visit_counters", "article_captures"} <= set(db.table_names())
    assert "article_exports" in db.view_names()


def test_unknown_migration_is_refused(tmp_path):
    db = sqlite_utils.Database(tmp_path / "x.db")
    migrate(db)
    db.execute("INSERT INTO _migrations VALUES ('m999_future', 'now')")
    db.conn.commit()
    with pytest.raises(SchemaTooNewError, match="m999_future"):
        migrate(db)


def test_twins_map_to_one_article_and_edits_make_versions(store):
    c1 = store.add_capture(capture(1))
    c2 = store.add_capture(capture(2, "http://h/trang/chitiettintuc.aspx?nid=1&title=x.html"))
    c3 = store.add_capture(capture(3))
    canonical = "http://h/Trang/ChiTietTinTuc.aspx?nid=1"
    store.add_article(c1, "binhlieu", "t1", article(), "1", canonical)
    store.add_article(c2, "binhlieu", "t2", article(view_count=5), "1", canonical)
    store.add_article(c3, "binhlieu", "t3", article(body_text="Nội dung đã sửa."), "1", canonical)
    store.commit()
    rows = list(store.db["articles"].rows)
    assert len(rows) == 1
    assert rows[0]["versions"] == 2 and rows[0]["body_text"] == "Nội dung đã sửa."
    assert rows[0]["first_captured_at"] == "t1" and rows[0]["last_captured_at"] == "t3"
    assert store.db["article_versions"].count == 2
    assert store.db["article_captures"].count == 3
    assert store.add_capture(capture(1)) == c1  # the same WARC record is one capture


def test_fts_and_export(store):
    cid = store.add_capture(capture(1))
    store.add_article(cid, "binhlieu", "t1", article(), "1", "http://h/x?nid=1")
    store.add_counters(cid, "binhlieu", "t1", [
        {"metric": "visits_today", "value": 323, "label_raw": "Hôm nay", "value_raw": "323"},
        {"metric": "visits_total", "value": 2481457, "label_raw": "Đã truy cập",
         "value_raw": "2481457"}])
    store.commit()
    assert search(store, "thuong vu") == ["Họp Ban thường vụ HU"]
    rows = list(export_rows(store.conn, ["binhlieu"], "2022-01-27", "2022-01-27"))
    assert rows[0]["visits_today"] == 323 and rows[0]["visits_total"] == 2481457
    assert rows[0]["online_now"] is None and rows[0]["warc_record_id"] == "<urn:uuid:1>"
    assert list(export_rows(store.conn, until="2022-01-26")) == []
    out = io.StringIO()
    write_csv(iter(rows), out, bom=True)
    text = out.getvalue()
    assert text.startswith("\ufeffurl,portal,article_id,title,published_at,")
    assert "Họp Ban thường vụ HU" in text and "\r\n" in text
    out = io.StringIO()
    write_jsonl(iter(rows), out)
    assert '"title": "Họp Ban thường vụ HU"' in out.getvalue()


def search(store, words: str) -> list[str]:
    """Titles of the articles the search index finds (the one index: m019)."""
    return [r[0] for r in store.conn.execute(
        "SELECT a.title FROM articles_folded_fts f JOIN articles a ON a.id = f.rowid "
        "WHERE articles_folded_fts MATCH ? ORDER BY f.rank", [words])]


def test_articles_are_indexed_for_search_once(store):
    """One full-text index (m019): the folded one every search uses."""
    fts = [r[0] for r in store.conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%USING fts5%'")]
    assert fts == ["articles_folded_fts"]
    triggers = {r[0] for r in store.conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'articles'")}
    assert triggers == {"articles_folded_ai", "articles_folded_ad", "articles_folded_au"}


def test_search_index_is_written_once_per_text(store):
    """An article's text is indexed when it arrives and again only when it changes: a
    recapture that changes its view count leaves the search index alone."""
    def index_writes(action) -> int:
        before = store.conn.total_changes  # counts the rows triggers write too
        action()
        return store.conn.total_changes - before

    first = store.add_capture(capture(1))
    store.add_article(first, "binhlieu", "t1", article(), "1", "http://h/x?nid=1")
    again = store.add_capture(capture(2))
    plain = store.conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert index_writes(lambda: store.conn.execute(
        "UPDATE articles SET view_count = 7, last_captured_at = 't2'")) == plain
    assert index_writes(lambda: store.conn.execute(  # the text set to what it was
        "UPDATE articles SET title = title, body_text = body_text")) == plain
    store.add_article(again, "binhlieu", "t2", article(title="Họp Ban Chấp hành"), "1",
                      "http://h/x?nid=1")
    store.commit()
    assert search(store, "chap hanh") == ["Họp Ban Chấp hành"]
    assert search(store, "thuong vu") == []
    store.conn.execute("INSERT INTO articles_folded_fts (articles_folded_fts) "
                       "VALUES ('integrity-check')")


def test_export_says_when_a_date_has_no_time(store):
    """A date-only article is stored at midnight: date_precision tells it from 00:00."""
    midnight = article(published_at="2022-01-27T00:00:00+07:00", published_raw="27/01/2022",
                       date_precision="day")
    at_zero = article(url="http://h/x?nid=2", published_at="2022-01-27T00:00:00+07:00",
                      published_raw="27/01/2022 00:00", date_precision="minute")
    undated = article(url="http://h/x?nid=3", published_at=None, published_raw=None,
                      date_precision=None)
    for n, (rec, key) in enumerate(((midnight, "1"), (at_zero, "2"), (undated, "3")), 1):
        cid = store.add_capture(capture(n, rec["url"]))
        store.add_article(cid, "binhlieu", f"t{n}", rec, key, rec["url"])
    store.commit()
    rows = {r["article_id"]: r for r in export_rows(store.conn)}
    assert [rows[k]["date_precision"] for k in "123"] == ["day", "minute", None]
    assert rows["1"]["published_at"] == rows["2"]["published_at"]
    out = io.StringIO()
    write_csv(iter(rows.values()), out)
    header, *lines = out.getvalue().splitlines()
    assert header.endswith(",warc_record_id,date_precision")  # appended: positions kept
    assert sorted(line.rsplit(",", 1)[1] for line in lines) == ["", "day", "minute"]


def test_bad_filters_are_clear(store):
    with pytest.raises(BadFilterError, match="--since '27/01/2022'"):
        list(export_rows(store.conn, since="27/01/2022"))


def test_a_file_that_is_not_a_database(tmp_path):
    path = tmp_path / "junk.db"
    path.write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(Exception, match="junk.db"):
        ArchiveStore(path)
    assert path.read_bytes() == b"not sqlite at all" * 100  # nothing overwritten


def test_finish_crawl_counts(store):
    cid = store.add_capture(capture(1))
    store.set_extraction(cid, "article", "failed", "title: not found")
    store.finish_crawl("c1", "end", "finished", "finished", {"errors": 2})
    row = store.db["crawls"].get("c1")
    assert (row["pages"], row["errors"], row["status"]) == (1, 3, "finished")
    assert sqlite3.connect(store.path).execute("select count(*) from captures").fetchone()
