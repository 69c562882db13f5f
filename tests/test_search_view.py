"""The fast search page ``articles_search`` (migration m020, ``plugins/search_view.py``) in a
real Datasette configured as ``serve`` configures it: it finds exactly what the table search
finds (with and without diacritics and đ), newest first, counted and paged from the search
index alone; bad queries find nothing without an error; rows link to the article pages."""

from __future__ import annotations

import asyncio
import csv
import io
import sqlite3
import unicodedata
from urllib.parse import quote

import pytest

from crawler.cli.serve import make_datasette
from db import ArchiveStore
from db.datasette.folding import fts_query
from tests.test_datasette_features import QUERIES, fetch, write_archive

SEARCH = "/archive/articles_search"


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    return write_archive(tmp_path_factory.mktemp("search") / "archive.db")


def ids(response) -> list[int]:
    return [row["id"] for row in response.json()["rows"]]


@pytest.mark.parametrize("query", QUERIES)
def test_finds_what_the_table_search_finds_newest_first(db_path, query):
    mine, table = fetch(db_path, f"{SEARCH}.json?_shape=objects&_search={quote(query)}",
                        f"/archive/articles.json?_shape=objects&_search={quote(query)}")
    assert mine.status_code == 200, mine.text
    expected = sorted(ids(table), reverse=True)
    assert expected and ids(mine) == expected
    assert mine.json()["filtered_table_rows_count"] == len(expected)


def test_rows_carry_the_article_columns(db_path):
    (page,) = fetch(db_path, f"{SEARCH}.json?_shape=objects&_search=Duong+Manh+Cuong")
    (row,) = page.json()["rows"]
    assert {k: row[k] for k in ("portal", "published_at", "title", "author", "category",
                                "article_id")} == {
        "portal": "binhlieu", "published_at": "2022-01-27T10:16:00+07:00",
        "title": "Họp Ban thường vụ HU", "author": "Thu Hằng", "category": "Tin trong huyện",
        "article_id": "35530"}
    assert row["url"] == "http://h/Trang/ChiTietTinTuc.aspx?nid=35530"


def test_html_page_links_rows_and_hides_the_index_cursor(db_path):
    (page,) = fetch(db_path, f"{SEARCH}?_search=B%C3%ACnh+Li%C3%AAu")
    html = page.text
    assert page.status_code == 200
    assert 'id="_search"' in html and 'value="Bình Liêu"' in html
    assert "search matches &#34;Bình Liêu&#34;" in html
    (row,) = fetch(db_path, "/archive/articles.json?_shape=objects&article_id=1002")
    article = row.json()["rows"][0]["id"]
    assert f'<a href="/archive/articles/{article}">{article}</a>' in html
    assert "th.col-search_match, td.col-search_match { display: none; }" in html
    # the ranked search is one click away; the page does not link to itself
    assert '"path": "/archive/search"' in html and '"path": "/archive/articles_search"' not in html


def test_without_a_query_it_lists_nothing_but_offers_the_box(db_path):
    page, data = fetch(db_path, SEARCH, f"{SEARCH}.json?_shape=objects&_search=+")
    assert page.status_code == 200 and 'id="_search"' in page.text
    assert data.json()["rows"] == [] and data.json()["filtered_table_rows_count"] == 0


@pytest.mark.parametrize("query", ['"', 'AND OR (', "NEAR(", "*", "a:b", "^x", "\x00", "x" * 5000])
def test_bad_queries_find_nothing_without_an_error(db_path, query):
    (page,) = fetch(db_path, f"{SEARCH}.json?_shape=objects&_search={quote(query)}")
    assert page.status_code == 200, page.text
    assert page.json()["rows"] == []


def test_a_nul_in_the_query_separates_words(db_path):
    """FTS5 would read a NUL (%00) as the end of the query, inside a quoted term."""
    nul, spaced = fetch(db_path, f"{SEARCH}.json?_shape=objects&_search=binh%00lieu",
                        f"{SEARCH}.json?_shape=objects&_search=binh+lieu")
    assert nul.status_code == 200 and ids(nul) == ids(spaced) and len(ids(nul)) == 3


def test_raw_mode_passes_fts5_syntax(db_path):
    (page,) = fetch(db_path, f"{SEARCH}.json?_shape=objects&_searchmode=raw"
                             "&_search=" + quote("cuong OR khach"))
    assert page.status_code == 200, page.text
    titles = {row["title"] for row in page.json()["rows"]}
    assert titles == {"Họp Ban thường vụ HU", "Binh Lieu don khach du lich"}


def test_pages_facets_and_csv_export_cover_every_match(db_path):
    size_one = f"{SEARCH}.json?_shape=objects&_size=1&_search=binh+lieu"
    seen, url = [], size_one
    while url:
        (page,) = fetch(db_path, url)
        seen += ids(page)
        url = page.json()["next_url"]
        url = url and url.split("localhost", 1)[-1]
    (everything,) = fetch(db_path, f"{SEARCH}.json?_shape=objects&_search=binh+lieu")
    assert len(seen) == 3 and seen == ids(everything)
    (facets,) = fetch(db_path, f"{SEARCH}.json?_search=binh+lieu&_facet=category")
    counts = {f["value"]: f["count"] for f in facets.json()["facet_results"]["category"]["results"]}
    assert counts == {"Tin trong huyện": 2, "Kinh tế": 1}
    # Datasette 0.65 streams a CSV a page at a time (_next offsets on a view): pages of one
    # row here, where the same URL without _stream holds one row
    export, one_page = fetch(db_path, f"{SEARCH}.csv?_search=binh+lieu&_stream=on&_size=1&_bom=1",
                             f"{SEARCH}.csv?_search=binh+lieu&_size=1")
    assert len(one_page.text.splitlines()) == 2  # heading and one row
    assert export.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert [int(r["id"]) for r in rows] == seen


def test_count_and_first_page_read_only_the_index(db_path):
    """What makes the page fast: the count never touches ``articles`` and the page's order is
    the index's own (no sort of the matches)."""
    conn = sqlite3.connect(db_path)
    conn.create_function("escape_fts", 1, fts_query)
    where = "WHERE search_match MATCH escape_fts('binh')"
    count = [r[3] for r in conn.execute(
        f"EXPLAIN QUERY PLAN SELECT count(*) FROM articles_search {where}")]
    page = [r[3] for r in conn.execute(
        f"EXPLAIN QUERY PLAN SELECT * FROM articles_search {where} ORDER BY id DESC LIMIT 51")]
    conn.close()
    assert len(count) == 1 and count[0].startswith("SCAN f VIRTUAL TABLE")
    assert page[0].startswith("SCAN f VIRTUAL TABLE") and not any("TEMP B-TREE" in s for s in page)
    # each shown column one lookup in the covering index, never the article's own page
    assert sum("SEARCH a USING COVERING INDEX articles_browse_cover" in s for s in page) == 7
    assert not any("SEARCH a USING INTEGER PRIMARY KEY" in s for s in page)


def test_follows_edits_of_an_article(tmp_path):
    """A recapture that changes an article's text changes what the page finds."""
    path = tmp_path / "archive.db"
    store = ArchiveStore(path)
    store.upsert_portal({"id": "p", "name": "P", "base_url": "http://h/", "family": "qnp",
                         "start_urls": ["http://h/"], "allowed_hosts": ["h"]})
    store.start_crawl("c1", "p", "2026-11-25T10:00:00.000000Z", {})
    url = "http://h/Trang/ChiTietTinTuc.aspx?nid=1"
    for n, body in enumerate(("Đường giao thông nông thôn", "Trường học mới khánh thành"), 1):
        cid = store.add_capture({
            "crawl_id": "c1", "portal_id": "p", "url": url, "status": 200,
            "fetched_at": f"2026-11-25T10:00:0{n}.000000Z", "content_type": "text/html",
            "warc_file": "f.warc.gz", "warc_offset": n, "warc_record_id": f"<urn:{n}>"})
        store.add_article(cid, "p", f"2026-11-25T10:00:0{n}.000000Z", {
            "url": url, "title": "Tin xã", "body_text": body}, "1", url)
    store.close()
    ds = make_datasette(str(path))

    async def run():
        return [await ds.client.get(f"{SEARCH}.json?_shape=objects&_search={q}")
                for q in ("duong+giao+thong", "truong+hoc")]

    old, new = asyncio.run(run())
    assert old.json()["rows"] == [] and len(new.json()["rows"]) == 1


def test_nfd_and_nfc_queries_agree(db_path):
    nfd = unicodedata.normalize("NFD", "Dương Mạnh Cường")
    a, b = fetch(db_path, f"{SEARCH}.json?_shape=objects&_search={quote(nfd)}",
                 f"{SEARCH}.json?_shape=objects&_search=duong+manh+cuong")
    assert ids(a) == ids(b) and len(ids(a)) == 1


def test_column_searches_use_the_index_column_filter(db_path):
    title, body, both, without = fetch(
        db_path, f"{SEARCH}.json?_shape=objects&_search_title=binh+lieu",
        f"{SEARCH}.json?_shape=objects&_search_body_text=binh+lieu",
        f"{SEARCH}.json?_shape=objects&_search_title=binh&_search_body_text=dong+rieng",
        f"{SEARCH}.json?_shape=objects&_search_title=")
    assert {r["article_id"] for r in title.json()["rows"]} == {"1001", "1002"}
    assert {r["article_id"] for r in body.json()["rows"]} == {"35530", "1001", "1002"}
    assert {r["article_id"] for r in both.json()["rows"]} == {"1001"}
    assert without.json()["rows"] == []  # an empty column search is no search


@pytest.mark.parametrize("path", ["_search_author=x", "_search_search_match=x",
                                  "search_match=1", "search_match__gt=0", "_search_a%27b=x"])
def test_what_is_no_search_of_the_index_is_a_400(db_path, path):
    (page,) = fetch(db_path, f"{SEARCH}.json?{path}")
    assert page.status_code == 400, page.text


def test_nocol_leaves_the_index_cursor_out_of_exports(db_path):
    page, export = fetch(db_path, f"{SEARCH}.json?_search=binh+lieu&_nocol=search_match",
                         f"{SEARCH}.csv?_search=binh+lieu&_nocol=search_match")
    assert page.status_code == 200 and "search_match" not in page.json()["columns"]
    assert len(page.json()["rows"]) == 3
    assert export.text.splitlines()[0] == ",".join(
        ["id", "portal", "published_at", "title", "author", "category", "url", "article_id"])
