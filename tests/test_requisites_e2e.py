"""End to end: page requisites and attachments. A crawl of the replica archives each article's
images, stylesheet, script and linked documents (PDF, DOCX, XLSX, ZIP) as their own records
with ``attachments`` rows pointing at them; the off-site ones are not fetched, the oversized
one is recorded with its reason, robots.txt still applies; reindex gives the same rows; a
second crawl writes revisits for the unchanged files; verify, warcio check, Datasette and
replay (the archived page shows its archived images) all agree."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from archive import iter_records, read_record_at
from crawler.requisites import REQUISITES_FIELD
from tests.archive_crawl import cli, crawl_into
from tests.portal_fixture import start_replica, stop
from tests.replica import ReplicaSite
from tests.replica.documents import OFFSITE_DOCUMENT, OFFSITE_IMAGE

pytestmark = pytest.mark.e2e
ARTICLES = 12
MAX_SIZE = 100_000  # the replica's "toan-van" PDF is ~300 KB
SETTINGS = ("-s", f"REQUISITES_MAX_SIZE={MAX_SIZE}")
TYPES = {"application/pdf", "application/zip",
         "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def sha1(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    out = tmp_path_factory.mktemp("requisites")
    proc, base = start_replica("--articles", str(ARTICLES))
    try:
        crawl_into(out, base, *SETTINGS)
        first = {p.name for p in (out / "warc").glob("*.warc.gz")}
        crawl_into(out, base, *SETTINGS)
    finally:
        stop(proc)
    db = sqlite3.connect(out / "archive.db")
    db.row_factory = sqlite3.Row
    crawls = [r[0] for r in db.execute("SELECT id FROM crawls ORDER BY started_at")]
    site = ReplicaSite(articles=ARTICLES)
    yield {"out": out, "db": db, "base": base, "crawls": crawls, "first": first,
           "site": site, "docs": site.by_nid[site.documents_nid]}
    db.close()


def rows(db, sql: str, *params) -> list[sqlite3.Row]:
    return db.execute(sql, params).fetchall()


def test_attachment_rows_point_at_their_records(crawled):
    db, out = crawled["db"], crawled["out"]
    first = crawled["crawls"][0]
    archived = rows(db, "SELECT * FROM attachments WHERE crawl_id = ? AND status = 'archived'",
                    first)
    assert {r["kind"] for r in archived} == {"image", "stylesheet", "script", "document"}
    assert TYPES <= {r["content_type"] for r in archived}
    for row in archived:
        record = read_record_at(out / "warc" / row["warc_file"], row["warc_offset"])
        assert record.rec_type == "response" and record.record_id == row["warc_record_id"]
        assert record.target_uri == row["url"]
        assert record.warc_headers["WARC-Payload-Digest"] == row["payload_digest"]
        assert sha1(record.entity) == row["payload_digest"] and len(record.entity) == row["size"]
        assert record.warc_headers["WARC-Resource-Type"] == row["kind"]
        capture = db.execute("SELECT * FROM captures WHERE id = ?", [row["capture_id"]]
                             ).fetchone()
        assert capture["warc_record_id"] == row["warc_record_id"]
        assert capture["resource_type"] == row["kind"] and capture["page_type"] is None
    # images differ from each other, so none of the first crawl's is a revisit
    assert not rows(db, "SELECT 1 FROM attachments WHERE crawl_id = ? AND status = 'revisit'",
                    first)
    # requisites are not pages: the crawl's page count leaves them out
    pages = db.execute("SELECT pages FROM crawls WHERE id = ?", [first]).fetchone()[0]
    assert pages == db.execute("SELECT count(*) FROM captures WHERE crawl_id = ? AND "
                               "resource_type IS NULL", [first]).fetchone()[0]


def test_the_documents_article_links_every_file_and_nothing_off_site(crawled):
    db, docs, base = crawled["db"], crawled["docs"], crawled["base"]
    first = crawled["crawls"][0]
    linked = {r["url"]: r for r in rows(
        db, "SELECT aa.url, aa.kind, t.status, t.content_type FROM article_attachments aa "
            "JOIN articles a ON a.id = aa.article JOIN attachments t ON t.id = aa.attachment "
            "WHERE a.article_id = ? AND aa.crawl_id = ?", str(docs.nid), first)}
    year, nid = docs.published_at.year, docs.nid
    on_site = {f"{base}Documents/VanBan/{year}/{name}" for name in (
        f"QD-{nid}-UBND.pdf", f"KH-{nid}.docx", f"BM-{nid}.xlsx", f"HS-{nid}.zip")}
    assert on_site <= set(linked) and all(linked[u]["kind"] == "document" for u in on_site)
    assert {linked[u]["content_type"] for u in on_site} == TYPES
    assert all(linked[u]["status"] == "archived" for u in on_site)
    assert f"{base}_catalogs/masterpage/QNP/css/style.css" in linked
    assert f"{base}_catalogs/masterpage/QNP/js/menu.js" in linked
    # the off-site document and image were seen on the page, never requested
    for table, column in (("captures", "url"), ("attachments", "url"),
                          ("article_attachments", "url"), ("fetch_failures", "url")):
        assert not rows(db, f"SELECT 1 FROM {table} WHERE {column} LIKE '%127.0.0.2%'"), table
    stats = json.loads(db.execute("SELECT stats FROM crawls WHERE id = ?", [first]
                                  ).fetchone()[0])
    assert stats["requisites/out_of_scope"] >= 2
    # the article's metadata record lists its requisites; the off-site link only as a link
    capture = db.execute("SELECT c.warc_record_id, c.warc_file FROM captures c JOIN "
                         "article_captures ac ON ac.capture_id = c.id JOIN articles a ON "
                         "a.id = ac.article WHERE a.article_id = ? AND c.crawl_id = ?",
                         [str(nid), first]).fetchone()
    meta = next(r for r in iter_records(crawled["out"] / "warc" / capture["warc_file"])
                if r.rec_type == "metadata"
                and r.warc_headers.get("WARC-Concurrent-To") == capture["warc_record_id"])
    listed = {url for _kind, url in json.loads(meta.fields[REQUISITES_FIELD])}
    assert listed == set(linked) and OFFSITE_IMAGE not in listed
    assert f"outlink: {OFFSITE_DOCUMENT} L a/@href" in meta.content.decode()


def test_oversized_and_robots_disallowed_requisites_are_recorded_with_a_reason(crawled):
    db, docs = crawled["db"], crawled["docs"]
    first = crawled["crawls"][0]
    big = db.execute("SELECT * FROM attachments WHERE crawl_id = ? AND url LIKE ?",
                     [first, f"%/BC-{docs.nid}-toan-van.pdf"]).fetchone()
    assert big is not None and big["kind"] == "document"
    if big["status"] == "skipped":  # Scrapy cancelled the download: nothing archived
        assert big["capture_id"] is None and big["size"] is None
        assert big["reason"].startswith("too_large: ") and str(MAX_SIZE) in big["reason"]
    else:  # the truncation middleware archived the first bytes as a truncated record
        assert big["status"] == "truncated" and big["reason"] == "truncated: length"
        assert MAX_SIZE <= big["size"] < 300_000
        record = read_record_at(crawled["out"] / "warc" / big["warc_file"], big["warc_offset"])
        assert record.warc_headers["WARC-Truncated"] == "length"
    # still linked to its article, so the article says what it is missing
    assert rows(db, "SELECT 1 FROM article_attachments WHERE attachment = ?", big["id"])
    # SharePoint's /_layouts/ (core.js, corev15.css) is disallowed by the replica's robots.txt
    robots = rows(db, "SELECT * FROM attachments WHERE crawl_id = ? AND url LIKE "
                      "'%/_layouts/%'", first)
    assert robots and all(r["status"] == "skipped" and r["reason"].startswith("robots: ")
                          for r in robots)
    assert {r["kind"] for r in robots} >= {"script", "stylesheet"}
    assert not rows(db, "SELECT 1 FROM captures WHERE url LIKE '%/_layouts/%'")
    report = db.execute("SELECT errors_by_kind FROM crawls WHERE id = ?", [first]).fetchone()
    assert "IgnoreRequest" not in report[0]  # a robots skip is not an error


def test_a_shared_requisite_is_fetched_once_and_linked_to_every_article(crawled):
    db = crawled["db"]
    for crawl in crawled["crawls"]:
        style = rows(db, "SELECT * FROM attachments WHERE crawl_id = ? AND url LIKE "
                         "'%/QNP/css/style.css'", crawl)
        assert len(style) == 1
        captures = rows(db, "SELECT count(*) FROM captures WHERE crawl_id = ? AND url = ?",
                        crawl, style[0]["url"])[0][0]
        articles = rows(db, "SELECT count(*) FROM article_captures ac JOIN captures c ON "
                            "c.id = ac.capture_id WHERE c.crawl_id = ?", crawl)[0][0]
        linked = rows(db, "SELECT count(*) FROM article_attachments WHERE attachment = ?",
                      style[0]["id"])[0][0]
        assert captures == 1 and linked == articles == ARTICLES + 1


def test_second_crawl_writes_revisits_for_unchanged_requisites(crawled):
    db, out = crawled["db"], crawled["out"]
    first, second = crawled["crawls"]
    before = {r["url"]: r for r in rows(db, "SELECT * FROM attachments WHERE crawl_id = ? "
                                            "AND status = 'archived'", first)}
    again = {r["url"]: r for r in rows(db, "SELECT * FROM attachments WHERE crawl_id = ?",
                                       second)}
    assert before and set(before) <= set(again)
    for url, old in before.items():
        new = again[url]
        assert new["status"] == "revisit" and new["payload_digest"] == old["payload_digest"]
        assert new["size"] == old["size"] and new["capture_id"] != old["capture_id"]
        record = read_record_at(out / "warc" / new["warc_file"], new["warc_offset"])
        assert record.rec_type == "revisit" and record.raw_payload == b""
        assert record.warc_headers["WARC-Refers-To"] == old["warc_record_id"]
        assert record.warc_headers["WARC-Resource-Type"] == old["kind"]
        assert new["warc_file"] not in crawled["first"]


def test_reindex_gives_the_same_attachment_rows(crawled, tmp_path):
    warcs = sorted(str(p) for p in (crawled["out"] / "warc").glob("*.warc.gz"))
    rebuilt = tmp_path / "rebuilt.db"
    result = cli("reindex", *warcs, "--db", str(rebuilt))
    assert result.returncode == 0, result.stderr
    again = sqlite3.connect(rebuilt)
    queries = (
        "SELECT crawl_id, portal_id, url, kind, status, http_status, content_type, size, "
        "payload_digest, fetched_at, warc_file, warc_offset, warc_record_id, redirect_to, "
        "reason FROM attachments ORDER BY crawl_id, url",
        "SELECT a.article_id, c.warc_record_id, aa.crawl_id, aa.url, aa.kind, t.crawl_id, "
        "t.warc_record_id FROM article_attachments aa JOIN articles a ON a.id = aa.article "
        "JOIN captures c ON c.id = aa.capture_id LEFT JOIN attachments t ON "
        "t.id = aa.attachment ORDER BY 2, 4",
        "SELECT warc_record_id, resource_type, page_type, extract_status FROM captures "
        "ORDER BY warc_record_id",
        "SELECT id, pages, articles, fetched, errors_by_kind FROM crawls ORDER BY id",
    )
    for sql in queries:
        live = [tuple(r) for r in crawled["db"].execute(sql)]
        assert live and live == again.execute(sql).fetchall(), sql
    again.close()


def test_verify_and_warcio_check_are_clean(crawled):
    out = crawled["out"]
    verify = cli("verify", "--db", str(out / "archive.db"))
    assert verify.returncode == 0, verify.stdout[-2000:]
    warcs = sorted(str(p) for p in (out / "warc").glob("*.warc.gz"))
    check = subprocess.run([Path(sys.executable).parent / "warcio", "check", *warcs],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout[-2000:]


def test_datasette_lists_an_articles_attachments_and_replays_its_images(crawled):
    from datasette.app import Datasette

    from crawler.cli.serve import datasette_metadata

    db, site = crawled["db"], crawled["site"]
    article = next(a for a in site.articles if a.images and a.nid != crawled["docs"].nid)
    db_path = str(crawled["out"] / "archive.db")
    ds = Datasette([db_path], metadata=datasette_metadata(db_path))
    page = db.execute("SELECT c.warc_file, c.warc_offset FROM captures c JOIN articles a "
                      "ON a.last_capture_id = c.id WHERE a.article_id = ?",
                      [str(article.nid)]).fetchone()

    async def run():
        listed = await ds.client.get(
            f"/archive/article_attachments_list.json?article={article.nid}&portal="
            "&_shape=objects")
        replayed = await ds.client.get(f"/-/replay/{page[0]}/{page[1]}")
        return listed, replayed

    listed, replayed = asyncio.run(run())
    assert listed.status_code == 200, listed.text[:500]
    found = {r["url"].rsplit("/", 1)[1]: r for r in listed.json()["rows"]}
    for src in article.images:
        name = src.rsplit("/", 1)[1]
        assert found[name]["used_as"] == "image" and found[name]["status"] == "revisit"
        assert found[name]["warc_offset"] is not None
    # the replayed page's images point at the archive, and the archive serves their bytes
    assert replayed.status_code == 200
    html = replayed.text
    image = article.images[0]
    assert f'src="{image}"' not in html and "/-/replay-url?url=" in html
    start = html.index("/-/replay-url?url=", html.index(image.rsplit("/", 1)[1]) - 200)
    link = html[start:html.index('"', start)].replace("&amp;", "&")
    wanted = parse_qs(urlsplit(link).query)["url"][0]
    assert wanted.endswith(image)

    async def fetch():
        return await ds.client.get(link)

    served = asyncio.run(fetch())
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert served.content == site.resolve(image).body(1, False)
    assert "default-src 'none'" in served.headers["content-security-policy"]


def test_verify_reports_an_attachment_row_that_disagrees_with_its_capture(crawled, tmp_path):
    import shutil

    copy = tmp_path / "archive"
    shutil.copytree(crawled["out"], copy)
    db = sqlite3.connect(copy / "archive.db")
    target = db.execute("SELECT id FROM attachments WHERE status = 'archived' LIMIT 1"
                        ).fetchone()[0]
    db.execute("UPDATE attachments SET warc_offset = warc_offset + 1 WHERE id = ?", [target])
    db.commit()
    db.close()
    result = cli("verify", "--db", str(copy / "archive.db"))
    assert result.returncode == 1
    assert f"archive.db:attachments#{target}: row-mismatch:" in result.stdout
    assert "FAILED: 1 problem(s)" in result.stdout
