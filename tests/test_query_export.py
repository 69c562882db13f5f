"""Every row of a canned query as CSV (and for Excel) or JSON, past Datasette's 1,000-row cap:
the streaming export of db/datasette/plugins/query_export.py, with the query's parameters,
its time limit per batch, the CSV size cap, permissions, and publish mode (no other SQL)."""

from __future__ import annotations

import asyncio
import csv
import io
import json

import pytest
from datasette.app import Datasette

from crawler.cli.serve import PLUGINS_DIR, make_datasette
from db import ArchiveStore

FAILURES = 1500  # more than max_returned_rows (1,000)
FAILED_PAGES = 1100


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("export") / "archive.db"
    store = ArchiveStore(path)
    store.upsert_portal({"id": "binhlieu", "name": "Bình Liêu", "base_url": "http://h/",
                         "family": "qnp", "start_urls": ["http://h/"], "allowed_hosts": ["h"]})
    store.start_crawl("c1", "binhlieu", "2026-11-25T10:00:00.000000Z", {})
    store.db["fetch_failures"].insert_all(
        {"crawl_id": "c1", "portal_id": "binhlieu", "url": f"http://h/{i}",
         "kind": "dns" if i % 3 == 0 else "timeout", "detail": f"Lỗi số {i}",
         "failed_at": f"2026-11-25T{10 + i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z"}
        for i in range(FAILURES))
    for i in range(FAILED_PAGES):
        cid = store.add_capture({
            "crawl_id": "c1", "portal_id": "binhlieu", "url": f"http://h/p{i}", "status": 200,
            "fetched_at": f"2026-11-25T11:{i // 60 % 60:02d}:{i % 60:02d}.000000Z",
            "content_type": "text/html", "warc_file": "f.warc.gz", "warc_offset": i,
            "warc_record_id": f"<urn:p{i}>"})
        store.set_extraction(cid, "article", "failed", "title: không tìm thấy")
    store.close()
    return str(path)


def get(ds: Datasette, *paths: str):
    async def run():
        return [await ds.client.get(p) for p in paths]
    return asyncio.run(run())


def rows_of(csv_text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(csv_text)))


@pytest.mark.parametrize("publish", [False, True])
def test_every_row_of_a_canned_query_as_csv_and_json(db_path, publish):
    ds = make_datasette(db_path, publish=publish)
    capped, everything, dns, json_all, excel = get(
        ds, "/archive/fetch_failures.csv?portal=&kind=",
        "/-/export/archive/fetch_failures.csv?portal=&kind=",
        "/-/export/archive/fetch_failures.csv?portal=binhlieu&kind=dns",
        "/-/export/archive/fetch_failures.json",
        "/-/export/archive/fetch_failures.csv?kind=&_bom=1")
    assert len(rows_of(capped.text)) - 1 <= 1000  # Datasette's own CSV of a query: capped
    assert everything.status_code == 200
    assert everything.headers["content-type"] == "text/csv; charset=utf-8"
    table = rows_of(everything.text)
    assert table[0] == ["failed_at", "portal_id", "kind", "url", "detail", "warc_record_id",
                        "crawl_id"]
    assert len(table) - 1 == FAILURES
    assert len({row[3] for row in table[1:]}) == FAILURES  # each failure once
    assert table[1][0] > table[-1][0]  # the query's own order (newest first)
    assert len(rows_of(dns.text)) - 1 == FAILURES // 3  # the parameters filter
    data = json.loads(json_all.text)  # missing parameters are "" as on the query page
    assert len(data) == FAILURES and data[0]["detail"].startswith("Lỗi số")
    assert excel.content.startswith(b"\xef\xbb\xbffailed_at,")  # Excel: BOM, every row
    assert excel.content.decode("utf-8-sig").count("\r\n") == FAILURES + 1
    assert 'filename="fetch_failures-excel.csv"' in excel.headers["content-disposition"]


def test_a_query_without_parameters(db_path):
    (r,) = get(make_datasette(db_path), "/-/export/archive/failed_extractions.csv")
    table = rows_of(r.text)
    assert len(table) - 1 == FAILED_PAGES
    assert table[1][table[0].index("extract_reason")] == "title: không tìm thấy"


def test_publish_mode_runs_no_other_sql(db_path):
    ds = make_datasette(db_path, publish=True)
    sql, smuggled, missing, no_db = get(
        ds, "/archive.json?sql=select+1",
        "/-/export/archive/fetch_failures.csv?sql=select+name+from+sqlite_master",
        "/-/export/archive/no_such_query.csv", "/-/export/nodb/fetch_failures.csv")
    assert sql.status_code in (400, 403)
    assert rows_of(smuggled.text)[0][0] == "failed_at"  # ?sql= means nothing to the export
    assert missing.status_code == 404 and no_db.status_code == 404


def test_query_pages_link_to_the_full_export(db_path):
    ds = make_datasette(db_path)
    page, search, hostile = get(
        ds, "/archive/fetch_failures?portal=&kind=dns", "/archive/search?q=binh+lieu",
        "/archive/search?q=%3C%2Fscript%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E")
    assert '"/-/export/archive/fetch_failures.csv?portal=&kind=dns"' in page.text.replace(
        "\\u0026", "&")
    # The ranked search shows its 500 best; every match is on the browse view's search.
    assert "/archive/articles_browse.csv?_search=binh+lieu&_stream=on" in search.text.replace(
        "\\u0026", "&")
    assert "<script>alert(1)" not in hostile.text.split("var lines", 1)[1]


def _custom(db_path: str, queries: dict, **settings) -> Datasette:
    return Datasette([db_path], plugins_dir=str(PLUGINS_DIR),
                     metadata={"databases": {"archive": {"queries": queries}}},
                     settings={"sql_time_limit_ms": 200, **settings})


COUNT = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT :n) "


def test_time_limit_per_batch_and_size_cap(db_path):
    ds = _custom(db_path, {
        "slow": COUNT.replace(":n", "100000000") + "SELECT count(*) FROM c",
        # rows past 1,500 each cost a long count: the second batch runs out of time
        "slow_later": COUNT.replace(":n", "3000") + "SELECT x, (WITH RECURSIVE d(y) AS "
        "(SELECT 1 UNION ALL SELECT y + 1 FROM d WHERE y < CASE WHEN x > 1500 THEN 100000000 "
        "ELSE 1 END) SELECT count(*) FROM d) AS cost FROM c",
        "big": COUNT + "SELECT x, printf('%.1000c', 'x') AS filler FROM c",
        "quick": COUNT + "SELECT x FROM c",
    }, max_csv_mb=1)
    slow, later, big, quick = get(
        ds, "/-/export/archive/slow.csv", "/-/export/archive/slow_later.csv",
        "/-/export/archive/big.csv?n=5000", "/-/export/archive/quick.json?n=2500")
    assert slow.status_code == 400 and "time limit (200 ms)" in slow.text
    lines = later.text.strip().splitlines()
    assert len(lines) == 1 + 1000 + 1 and "time limit" in lines[-1]  # one batch, then why
    assert len(big.content) <= 1024 * 1024 + 200
    assert big.text.strip().splitlines()[-1].startswith("export stopped: more than 1048576")
    assert [row["x"] for row in json.loads(quick.text)] == list(range(1, 2501))


def test_permissions_and_writable_queries(db_path):
    ds = _custom(db_path, {
        "private": {"sql": "SELECT 1 AS one", "allow": {"id": "editor"}},
        "writer": {"sql": "DELETE FROM fetch_failures", "write": True},
    })
    private, writer = get(ds, "/-/export/archive/private.csv", "/-/export/archive/writer.csv")
    assert private.status_code == 403
    assert writer.status_code == 400
    ds2 = make_datasette(db_path)
    (count,) = get(ds2, "/-/export/archive/fetch_failures.csv")
    assert len(rows_of(count.text)) - 1 == FAILURES  # nothing was deleted


def test_search_boxes_lead_to_the_ranked_search(tmp_path):
    """Datasette's table search has no relevance order: the search boxes of articles and
    articles_browse link to the ranked canned query, whose article cells link to articles,
    and to the fast search page."""
    path = tmp_path / "archive.db"
    store = ArchiveStore(path)
    store.upsert_portal({"id": "binhlieu", "name": "Bình Liêu", "base_url": "http://h/",
                         "family": "qnp", "start_urls": ["http://h/"], "allowed_hosts": ["h"]})
    store.start_crawl("c1", "binhlieu", "2026-11-25T10:00:00.000000Z", {})
    for n, title in enumerate(("Binh Lieu khong dau", "Họp tại Bình Liêu"), 1):
        url = f"http://h/Trang/ChiTietTinTuc.aspx?nid={n}"
        cid = store.add_capture({
            "crawl_id": "c1", "portal_id": "binhlieu", "url": url, "status": 200,
            "fetched_at": f"2026-11-25T10:00:0{n}.000000Z", "content_type": "text/html",
            "warc_file": "f.warc.gz", "warc_offset": n, "warc_record_id": f"<urn:{n}>"})
        store.add_article(cid, "binhlieu", f"2026-11-25T10:00:0{n}.000000Z", {
            "url": url, "title": title, "published_at": f"2022-01-2{n}T10:00:00+07:00",
            "body_text": title, "date_precision": "minute"}, str(n), url)
    store.close()
    ds = make_datasette(str(path))
    table, browse, ranked, data = get(
        ds, "/archive/articles?_search=B%C3%ACnh+Li%C3%AAu", "/archive/articles_browse",
        "/archive/search?q=B%C3%ACnh+Li%C3%AAu",
        "/archive/search.json?_shape=objects&q=B%C3%ACnh+Li%C3%AAu")
    for page in (table, browse):
        assert "ranked-search" in page.text and '"path": "/archive/search"' in page.text
        # and the fast search, which counts from the index (tests/test_search_view.py)
        assert '"path": "/archive/articles_search", "param": "_search"' in page.text
    rows = data.json()["rows"]
    assert [r["title"] for r in rows] == ["Họp tại Bình Liêu", "Binh Lieu khong dau"]
    first = rows[0]["article"]
    assert f'<a href="/archive/articles/{first}">{first}</a>' in ranked.text
