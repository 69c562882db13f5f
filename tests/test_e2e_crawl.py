"""End to end: crawl the replica portal in a subprocess, then check the WARC files, the SQLite
rows against the replica's ground truth, reading records back by offset, reindex, export and
Datasette's answers."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from archive import iter_records, read_record_at
from crawler.indexing import analyse_page
from tests.archive_crawl import cli, crawl_into
from tests.portal_fixture import start_replica, stop
from tests.replica import FOUNDING_NID, MISSING_NID, MOVED_NID, NO_TITLE_NID, ReplicaSite

pytestmark = pytest.mark.e2e
ARTICLES = 240
SPECIAL = {FOUNDING_NID, MISSING_NID, MOVED_NID, NO_TITLE_NID}


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    out = tmp_path_factory.mktemp("crawl")
    proc, base = start_replica("--articles", str(ARTICLES))
    try:
        result = crawl_into(out, base)  # asserts the crawl finished
    finally:
        stop(proc)
    conn = sqlite3.connect(out / "archive.db")
    conn.row_factory = sqlite3.Row
    yield {"out": out, "base": base, "db": conn, "stderr": result.stderr}
    conn.close()


def truth() -> dict[int, object]:
    site = ReplicaSite(articles=ARTICLES, seed=1)
    return {a.nid: a for a in site.articles}


def nfc(text: str | None) -> str | None:
    return unicodedata.normalize("NFC", text) if text is not None else None


def test_founding_article_exactly(crawl):
    db = crawl["db"]
    row = db.execute("SELECT * FROM articles WHERE article_id = ?", [str(FOUNDING_NID)]
                     ).fetchone()
    assert row is not None
    assert row["title"] == "Họp Ban thường vụ HU"
    assert row["published_at"] == "2022-01-27T10:16:00+07:00"
    assert row["published_raw"] == "27/01/2022 10:16"
    assert row["author"] == "Thu Hằng"
    assert row["portal_id"] == "binhlieu"
    body = row["body_text"]
    assert "dong riềng" in body and "Dương Mạnh Cường" in body
    assert "Thu Hằng" not in body and "Gửi ý kiến phản hồi" not in body
    assert "TIN ĐÃ ĐƯA" not in body and "\xa0" not in body
    counters = dict(db.execute(
        "SELECT metric, value FROM visit_counters WHERE capture_id = ?",
        [row["last_capture_id"]]).fetchall())
    assert counters == {"visits_today": 323, "visits_total": 2481457}
    labels = {r[0] for r in db.execute(
        "SELECT label_raw FROM visit_counters WHERE capture_id = ?", [row["last_capture_id"]])}
    assert labels == {"Hôm nay", "Đã truy cập"}


def test_every_replica_article_archived_with_right_fields(crawl):
    db = crawl["db"]
    rows = {int(r["article_id"]): r for r in db.execute(
        "SELECT a.*, v.author_raw FROM articles a "
        "JOIN article_versions v ON v.id = a.current_version_id")}
    expected = {nid: a for nid, a in truth().items() if nid not in SPECIAL}
    missing = set(expected) - set(rows)
    assert not missing, f"{len(missing)} articles not archived, e.g. {sorted(missing)[:5]}"
    wrong = []
    for nid, art in expected.items():
        row = rows[nid]
        day, time_ = art.published.split(" ")
        d, m, y = day.split("/")
        # author_raw is the byline as shown; author is the name with role words and the
        # unit stripped ("Bài, ảnh: Lục Thị Hoa" -> "Lục Thị Hoa"), so it lies inside it.
        byline = nfc(art.author)
        author_ok = (row["author"] is None and byline is None) or (
            byline is not None and row["author_raw"] == byline and row["author"]
            and row["author"] in byline and ":" not in row["author"]
            and "(" not in row["author"])
        if (row["title"] != nfc(art.title)
                or row["published_at"] != f"{y}-{m}-{d}T{time_}:00+07:00"
                or not author_ok):
            wrong.append((nid, row["title"], row["published_at"], row["author"], byline))
    assert not wrong, wrong[:5]
    # twins (&title=, lower-case paths) never make a second article
    assert len(rows) == len(expected) + 1  # + the founding article


def test_every_response_is_captured_including_robots_redirects_errors(crawl):
    db = crawl["db"]
    base = crawl["base"]
    urls = {r["url"]: r for r in db.execute("SELECT * FROM captures")}
    assert urls[base + "robots.txt"]["status"] == 200
    assert urls[base]["status"] == 302
    assert urls[base]["redirect_to"] == base + "Trang/Default.aspx"
    moved = [r for u, r in urls.items() if f"nid={MOVED_NID}" in u]
    assert moved and moved[0]["status"] == 301 and moved[0]["redirect_to"]
    missing = [r for u, r in urls.items() if f"nid={MISSING_NID}" in u]
    assert missing and missing[0]["status"] == 404
    # robots.txt is obeyed and the scope is kept
    assert not [u for u in urls if "GuiYKien" in u or "TimKiem" in u or "/_layouts/" in u]
    assert all(u.startswith(base) for u in urls)
    # every capture row points at its own record
    for row in db.execute("SELECT * FROM captures ORDER BY random() LIMIT 60"):
        rec = read_record_at(crawl["out"] / "warc" / row["warc_file"], row["warc_offset"])
        assert rec.record_id == row["warc_record_id"]
        assert rec.target_uri == row["url"] and rec.status == row["status"]
        assert rec.length == row["warc_length"]


def test_failed_extraction_is_archived_and_explained(crawl):
    db = crawl["db"]
    row = db.execute("SELECT * FROM captures WHERE url LIKE ?", [f"%nid={NO_TITLE_NID}%"]
                     ).fetchone()
    assert row is not None and row["status"] == 200
    assert row["extract_status"] == "failed"
    assert "title" in row["extract_reason"]
    stats = db.execute("SELECT * FROM crawls").fetchone()
    assert stats["status"] == "finished" and stats["errors"] >= 1
    # pages: every capture but the articles' requisites (images, stylesheets, documents)
    assert stats["pages"] == db.execute("SELECT count(*) FROM captures WHERE "
                                        "resource_type IS NULL").fetchone()[0]


def test_warc_files_are_valid_and_complete(crawl):
    warcs = sorted((crawl["out"] / "warc").glob("*.warc.gz"))
    assert warcs and all(w.name.startswith("binhlieu-") for w in warcs)
    check = subprocess.run([Path(sys.executable).parent / "warcio", "check", *map(str, warcs)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout[-2000:]
    records = [r for w in warcs for r in iter_records(w)]
    responses = [r for r in records if r.rec_type == "response"]
    requests = {r.warc_headers["WARC-Concurrent-To"]: r for r in records
                if r.rec_type == "request"}
    assert all(r.record_id in requests for r in responses)
    assert records[0].rec_type == "warcinfo"
    assert records[-1].rec_type == "metadata"
    info = records[0].fields
    assert json.loads(info["portal-archive-portal"])["id"] == "binhlieu"
    ua = dict(requests[responses[0].record_id].http_headers)["User-Agent"]
    assert ua.startswith("portal-archive/") and "+http" in ua
    # the wire bytes: gzip-encoded bodies are stored as sent
    gz = [r for r in responses if (r.header("Content-Encoding") or "") == "gzip"]
    assert gz and all(r.raw_payload[:2] == b"\x1f\x8b" for r in gz)
    db = crawl["db"]
    assert db.execute("SELECT count(*) FROM captures").fetchone()[0] == len(responses)


def test_row_offsets_give_back_the_rows_page(crawl):
    db = crawl["db"]
    for row in db.execute(
            "SELECT a.title, a.article_id, c.warc_file, c.warc_offset, c.content_type, c.url "
            "FROM articles a JOIN captures c ON c.id = a.last_capture_id "
            "ORDER BY random() LIMIT 25"):
        rec = read_record_at(crawl["out"] / "warc" / row["warc_file"], row["warc_offset"])
        page, key, _ = analyse_page(rec.target_uri, rec.content, row["content_type"], "qnp")
        assert page["title"] == row["title"] and key == row["article_id"]


TABLE_KEYS = {
    "captures": "SELECT crawl_id, portal_id, url, status, fetched_at, content_type, "
                "content_length, payload_digest, redirect_to, warc_file, warc_offset, "
                "warc_length, warc_record_id, request_record_id, page_type, extract_status, "
                "extract_reason FROM captures ORDER BY warc_record_id",
    "articles": "SELECT portal_id, article_id, url, title, published_at, published_raw, "
                "date_precision, author, summary, body_text, category, view_count, versions, "
                "first_captured_at, last_captured_at FROM articles ORDER BY portal_id, "
                "article_id",
    "article_versions": "SELECT a.article_id, v.version, v.content_hash, v.title, v.body_html, "
                        "v.author_raw, v.sources, c.warc_record_id FROM article_versions v "
                        "JOIN articles a ON a.id = v.article JOIN captures c ON "
                        "c.id = v.first_capture_id ORDER BY a.article_id, v.version",
    "visit_counters": "SELECT v.portal_id, v.captured_at, c.warc_record_id, v.metric, "
                      "v.value, v.label_raw, v.value_raw FROM visit_counters v JOIN captures c "
                      "ON c.id = v.capture_id ORDER BY c.warc_record_id, v.metric",
    "portals": "SELECT * FROM portals",
    "crawls": "SELECT id, portal_id, started_at, finished_at, status, finish_reason, pages, "
              "articles, errors, bytes, settings FROM crawls",
}


def test_reindex_gives_the_same_rows(crawl, tmp_path):
    warcs = sorted(str(p) for p in (crawl["out"] / "warc").glob("*.warc.gz"))
    new = tmp_path / "rebuilt.db"
    result = cli("reindex", *warcs, "--db", str(new))
    assert result.returncode == 0, result.stderr
    rebuilt = sqlite3.connect(new)
    for table, sql in TABLE_KEYS.items():
        live = crawl["db"].execute(sql).fetchall()
        again = rebuilt.execute(sql).fetchall()
        assert [tuple(r) for r in live] == [tuple(r) for r in again], table
    again = cli("reindex", *warcs, "--db", str(new))
    assert again.returncode == 1 and "exists" in again.stderr


def test_export_csv_for_excel(crawl, tmp_path):
    target = tmp_path / "articles.csv"
    result = cli("export", "articles", "--db", str(crawl["out"] / "archive.db"), "--format",
                 "csv", "--excel", "--portal", "binhlieu", "--since", "2022-01-27",
                 "--until", "2022-01-27", "-o", str(target))
    assert result.returncode == 0, result.stderr
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfurl,portal,article_id,title,published_at,author,")
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    founding = [r for r in rows if r["article_id"] == str(FOUNDING_NID)]
    assert founding and founding[0]["visits_today"] == "323"
    assert founding[0]["visits_total"] == "2481457" and founding[0]["author"] == "Thu Hằng"
    assert founding[0]["warc_record_id"].startswith("<urn:uuid:")
    bad = cli("export", "articles", "--db", str(crawl["out"] / "archive.db"), "--since",
              "27/01/2022", "-o", str(tmp_path / "never.csv"))
    assert bad.returncode == 1 and "--since" in bad.stderr
    assert not (tmp_path / "never.csv").exists()


def test_datasette_serves_search_facets_and_canned_queries(crawl):
    from datasette.app import Datasette

    from crawler.cli.serve import datasette_metadata

    db_path = str(crawl["out"] / "archive.db")
    ds = Datasette([db_path], metadata=datasette_metadata(db_path))

    async def get(path: str) -> dict:
        response = await ds.client.get(path)
        assert response.status_code == 200, (path, response.text[:500])
        return response.json()

    async def run() -> None:
        found = await get("/archive/articles.json?_search=thuong+vu+HU&_shape=objects")
        assert "Họp Ban thường vụ HU" in [r["title"] for r in found["rows"]]
        facets = await get("/archive/articles.json?_facet=portal_id&_shape=objects")
        assert facets["facet_results"]
        newest = await get("/archive/newest_articles_per_portal.json?_shape=objects")
        assert newest["rows"] and newest["rows"][0]["portal_id"] == "binhlieu"
        series = await get("/archive/visit_counters_over_time.json?portal=binhlieu"
                           "&_shape=objects")
        assert {r["metric"] for r in series["rows"]} >= {"visits_today", "visits_total"}
        monthly = await get("/archive/articles_per_month.json?_shape=objects")
        assert sum(r["articles"] for r in monthly["rows"]) == ARTICLES + 1

    asyncio.run(run())
