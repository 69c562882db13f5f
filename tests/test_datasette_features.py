"""Datasette as researchers use it, on a small archive database written by the store: search
with and without diacritics (đ included), NFD queries, ranking, bad queries, facets, sandboxed
bodies, CSV for Excel, all-row exports, Atom feeds, and the publish mode."""

from __future__ import annotations

import asyncio
import csv
import io
import unicodedata

import pytest

from crawler.cli.serve import datasette_command, make_datasette
from db import ArchiveStore
from db.datasette.folding import fts_query

FOUNDING = ("Chiều ngày 27/1, đồng chí Dương Mạnh Cường, Bí thư Huyện ủy chủ trì cuộc họp Ban "
            "Thường vụ Huyện ủy Bình Liêu về đề án vùng nguyên liệu dong riềng.")
# (article_id, title, body, published_at, category, author)
ARTICLES = [
    ("35530", "Họp Ban thường vụ HU", FOUNDING, "2022-01-27T10:16:00+07:00", "Tin trong huyện",
     "Thu Hằng"),
    ("1001", "Binh Lieu don khach du lich", "Ban tin khong dau ve Binh Lieu va dong rieng.",
     "2021-05-03T08:00:00+07:00", "Kinh tế", "Lục Thị Hoa"),
    ("1002", "Hội nghị tại Bình Liêu", "Bình Liêu tổ chức hội nghị tổng kết năm.",
     "2023-12-30T15:45:00+07:00", "Tin trong huyện", None),
    ("1003", "Lễ hội <b>", "<script>alert(1)</script> Văn hóa Tày.",
     "2023-02-11T09:05:00+07:00", "Văn hóa - Xã hội", "Hải Yến"),
]
HOSTILE_HTML = ('<p>Văn hóa<script>window.top.__pwned = 1</script></p>'
                '<img src="x" onerror="window.top.__pwned = 2">')


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    return write_archive(tmp_path_factory.mktemp("ds") / "archive.db")


def write_archive(path) -> str:
    """A small archive of ``ARTICLES`` (portal ``binhlieu``) written by the store; its path."""
    store = ArchiveStore(path)
    store.upsert_portal({"id": "binhlieu", "name": "Bình Liêu", "base_url": "http://h/",
                         "province": "Quảng Ninh", "district": "Huyện Bình Liêu",
                         "family": "qnp", "start_urls": ["http://h/"], "allowed_hosts": ["h"]})
    store.start_crawl("c1", "binhlieu", "2026-11-25T10:00:00.000000Z", {})
    for n, (nid, title, body, published, category, author) in enumerate(ARTICLES, 1):
        url = f"http://h/Trang/ChiTietTinTuc.aspx?nid={nid}"
        cid = store.add_capture({
            "crawl_id": "c1", "portal_id": "binhlieu", "url": url, "status": 200,
            "fetched_at": f"2026-11-25T10:00:0{n}.000000Z", "content_type": "text/html",
            "warc_file": "f.warc.gz", "warc_offset": 100 * n, "warc_record_id": f"<urn:{n}>"})
        store.add_article(cid, "binhlieu", f"2026-11-25T10:00:0{n}.000000Z", {
            "url": url, "title": title, "published_at": published, "date_precision": "minute",
            "author": author, "summary": body[:40], "body_text": body, "category": category,
            "body_html": HOSTILE_HTML if nid == "1003" else f"<p>{body}</p>"}, nid, url)
    store.close()
    return str(path)


def fetch(db_path: str, *paths: str, publish: bool = False):
    ds = make_datasette(db_path, publish=publish, block_robots=publish)

    async def run():
        return [await ds.client.get(p) for p in paths]

    return asyncio.run(run())


QUERIES = ["Binh Lieu", "binh lieu", "Bình Liêu", "BÌNH LIÊU", "dong rieng", "Duong Manh Cuong",
           "Dương Mạnh Cường", "DƯƠNG MẠNH CƯỜNG", unicodedata.normalize("NFD", "Dương Mạnh Cường"),
           unicodedata.normalize("NFD", "Bình Liêu")]


@pytest.mark.parametrize("table", ["articles", "articles_browse"])
def test_search_with_and_without_diacritics_finds_the_founding_article(db_path, table):
    from urllib.parse import quote

    paths = [f"/archive/{table}.json?_shape=objects&_search={quote(q)}" for q in QUERIES]
    for query, response in zip(QUERIES, fetch(db_path, *paths), strict=True):
        assert response.status_code == 200, response.text[:300]
        ids = [r["article_id"] for r in response.json()["rows"]]
        assert "35530" in ids, (table, query, ids)
    # đ is folded only where it is typed: "Dương" never matches an article that lacks it
    none = fetch(db_path, f"/archive/{table}.json?_search=Duong+Tay&_shape=objects")[0]
    assert none.json()["rows"] == []


def test_ranked_search_lists_exact_diacritics_first(db_path):
    accented, plain = fetch(db_path, "/archive/search.json?_shape=objects&q=B%C3%ACnh+Li%C3%AAu",
                            "/archive/search.json?_shape=objects&q=binh+lieu")
    rows = accented.json()["rows"]
    ids = [r["url"].rsplit("=", 1)[1] for r in rows]
    assert set(ids) == {"35530", "1001", "1002"}
    assert ids[-1] == "1001"  # the only one written without diacritics comes last
    assert rows[0]["exact_words"] == 2 and rows[-1]["exact_words"] == 0
    assert [r["url"].rsplit("=", 1)[1] for r in plain.json()["rows"]][0] == "1001"


BAD = ['"unbalanced', 'Bình "Liêu', "a AND (b OR", "NEAR(binh lieu)", "title:binh", "-binh",
       "*", '"', "'; DROP TABLE articles; --", "x" * 10_000, "binh " * 2_000, "\x00",
       "binh\x00lieu"]


def test_a_nul_in_a_query_is_a_space_on_every_search_path(db_path):
    """FTS5 reads its query as a C string: a NUL (%00) once ended it inside a quoted term
    ("unterminated string") on every search path."""
    paths = ["/archive/articles.json?_shape=objects&_search={}",
             "/archive/articles_browse.json?_shape=objects&_search={}",
             "/archive/articles_search.json?_shape=objects&_nocol=search_match&_search={}",
             "/archive/search.json?_shape=objects&q={}"]
    for path in paths:
        nul, spaced = fetch(db_path, path.format("binh%00lieu"), path.format("binh+lieu"))
        assert nul.status_code == 200, (path, nul.text[:300])
        assert nul.json()["rows"] == spaced.json()["rows"] and spaced.json()["rows"], path
    (feed,) = fetch(db_path, "/archive/feed_search.atom?q=binh%00lieu")
    assert feed.status_code == 200 and "Bình Liêu" in feed.text


@pytest.mark.parametrize("query", BAD, ids=range(len(BAD)))
def test_malformed_search_is_never_a_500(db_path, query):
    from urllib.parse import quote

    q = quote(query)
    for response in fetch(db_path, f"/archive/articles.json?_search={q}",
                          f"/archive/articles_browse?_search={q}",
                          f"/archive/articles_search.json?_search={q}",
                          f"/archive/search.json?q={q}", f"/archive/feed_search.atom?q={q}"):
        assert response.status_code in (200, 400), (response.status_code, response.text[:300])
    ok = fetch(db_path, f"/archive/articles.json?_search={q}&_shape=objects")[0]
    if query.startswith(("binh ", "NEAR(binh")):
        # quoted terms: operators are words, so "binh" alone still finds the articles
        assert query.startswith("NEAR") or ok.json()["rows"]


def test_facets_on_the_browse_view(db_path):
    data = fetch(db_path, "/archive/articles_browse.json?_shape=objects&_size=0")[0].json()
    facets = data["facet_results"]
    assert set(facets) >= {"portal", "province", "district", "category", "author", "year",
                           "month"}
    years = {f["value"]: f["count"] for f in facets["year"]["results"]}
    assert years == {"2021": 1, "2022": 1, "2023": 2}
    assert {f["value"] for f in facets["province"]["results"]} == {"Quảng Ninh"}
    row = fetch(db_path, "/archive/articles_browse.json?_shape=objects&article_id=35530"
                )[0].json()["rows"][0]
    # local time, not UTC: 10:16 on a Thursday in Vietnam
    assert (row["hour"], row["weekday"], row["month"]) == ("10", "4 Thu", "2022-01")


def test_bodies_render_in_a_sandbox_and_article_pages_link_versions(db_path):
    page, version = fetch(db_path, "/archive/articles/4", "/archive/article_versions/4")
    for response in (page, version):
        assert response.status_code == 200
        html = response.text
        assert '<iframe class="archived-body" sandbox=""' in html
        assert "<script>window.top" not in html and 'onerror="window' not in html
        assert "&lt;script&gt;window.top.__pwned = 1&lt;/script&gt;" in html  # inert srcdoc
    assert "article_versions?article=4" in page.text  # its versions
    assert "article_captures?article=4" in page.text  # its captures


def test_csv_for_excel_has_a_bom_and_every_row(db_path):
    excel, plain, canned, stream_json = fetch(
        db_path, "/archive/articles_browse.csv?_stream=on&_bom=1&_size=1&year=2023",
        "/archive/articles_browse.csv?_stream=on&_size=1",
        "/archive/articles_per_month.csv?_bom=1",
        "/archive/articles_browse.json?_shape=objects&_size=1")
    assert excel.status_code == 200
    assert excel.content.startswith(b"\xef\xbb\xbfid,portal,province,")
    assert excel.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in excel.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(excel.content.decode("utf-8-sig"))))
    assert sorted(r["article_id"] for r in rows) == ["1002", "1003"]  # past the page size of 1
    assert {r["province"] for r in rows} == {"Quảng Ninh"}
    assert not plain.content.startswith(b"\xef\xbb\xbf") and plain.content.count(b"\r\n") == 5
    assert canned.content.startswith(b"\xef\xbb\xbfportal_id,month,articles\r\n")
    # JSON: every row by following next_url (Datasette streams CSV only)
    ids, page = [], stream_json.json()
    while True:
        ids += [r["article_id"] for r in page["rows"]]
        if not page["next_url"]:
            break
        page = fetch(db_path, page["next_url"].replace("http://localhost", ""))[0].json()
    assert sorted(ids) == ["1001", "1002", "1003", "35530"]
    table = fetch(db_path, "/archive/articles_browse?year=2023")[0].text
    assert "csv-excel" in table and "_bom" in table  # the link script


def test_atom_feeds_per_portal_and_per_search(db_path):
    portal, search = fetch(db_path, "/archive/feed_new_articles.atom?portal=binhlieu",
                           "/archive/feed_search.atom?q=duong+manh+cuong")
    assert portal.status_code == 200 and portal.text.count("<entry>") == 4
    assert portal.text.index("Hội nghị tại Bình Liêu") < portal.text.index("Họp Ban thường vụ")
    assert search.text.count("<entry>") == 1 and "Họp Ban thường vụ HU" in search.text
    # crawled text goes out as escaped text, never as markup
    assert "<script>" not in portal.text and "&lt;script&gt;alert(1)" in portal.text


def test_publish_mode_denies_sql_keeps_canned_queries(db_path):
    sql, canned, table, robots, download = fetch(
        db_path, "/archive.json?sql=select+*+from+captures", "/archive/search.json?q=binh",
        "/archive/articles.json", "/robots.txt", "/archive.db", publish=True)
    assert sql.status_code == 403
    assert canned.status_code == 200 and canned.json()["rows"]
    assert table.status_code == 200
    assert robots.status_code == 200 and "Disallow: /" in robots.text
    assert download.status_code == 403
    open_sql, no_robots = fetch(db_path, "/archive.json?sql=select+1", "/robots.txt")
    assert open_sql.status_code == 200 and no_robots.status_code == 404
    args = datasette_command(db_path, "m.json", "127.0.0.1", 8001, publish=True)
    assert args[args.index("sql_time_limit_ms") + 1] == "1000"
    assert "--plugins-dir" in args and "--template-dir" in args


def test_export_cli_offers_the_same_filters(db_path, tmp_path):
    from click.testing import CliRunner

    from crawler.cli import main

    target = tmp_path / "found.csv"
    result = CliRunner().invoke(main, [
        "export", "articles", "--db", db_path, "--search", "Duong Manh Cuong", "--excel",
        "--category", "Tin trong huyện", "--author", "Thu Hằng", "-o", str(target)])
    assert result.exit_code == 0, result.output
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfurl,portal,article_id,title,")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [r["article_id"] for r in rows] == ["35530"]
    other = CliRunner().invoke(main, ["export", "articles", "--db", db_path, "--format", "jsonl",
                                      "--search", "binh lieu", "--category", "Kinh tế"])
    assert other.exit_code == 0 and '"article_id": "1001"' in other.output
    assert other.output.count("\n") == 1


def test_folded_index_follows_the_articles_table(tmp_path):
    store = ArchiveStore(tmp_path / "archive.db")
    store.upsert_portal({"id": "p", "name": "P", "base_url": "http://h/", "family": "qnp"})
    store.start_crawl("c1", "p", "2026-11-25T10:00:00.000000Z", {})

    def seen(n: int, title: str) -> None:
        cid = store.add_capture({"crawl_id": "c1", "portal_id": "p", "url": "http://h/a",
                                 "status": 200, "fetched_at": f"t{n}",
                                 "warc_record_id": f"<urn:{n}>"})
        store.add_article(cid, "p", f"t{n}", {"url": "http://h/a", "title": title,
                                              "body_text": "Đường Đông Đô"}, "1", "http://h/a")
        store.commit()

    def hits(query: str) -> int:
        return store.conn.execute(
            "SELECT count(*) FROM articles_folded_fts WHERE articles_folded_fts MATCH ?",
            [fts_query(query)]).fetchone()[0]

    seen(1, "Đại hội Đoàn")
    assert hits("dai hoi doan") == hits("duong dong do") == hits("ĐẠI HỘI") == 1
    seen(2, "Lễ hội mới")  # a new version: the old title leaves the index
    assert hits("dai hoi") == 0 and hits("le hoi moi") == 1
    store.conn.execute("INSERT INTO articles_folded_fts (articles_folded_fts) "
                       "VALUES ('integrity-check')")
    store.conn.execute("INSERT INTO articles_folded_fts (articles_folded_fts) VALUES ('rebuild')")
    assert hits("le hoi moi") == 1 and hits("duong") == 1
    store.close()
