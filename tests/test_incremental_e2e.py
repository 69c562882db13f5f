"""End to end: a full crawl of the replica on day 1, then an incremental crawl on day 2 (5 new,
2 edited, 1 removed, 1 re-dated articles) into the same --out directory; the run reports, the
change rows, reindex equality, `portal-archive runs` and Datasette's canned queries."""

from __future__ import annotations

import asyncio
import json
import sqlite3

import pytest

from tests.archive_crawl import cli
from tests.portal_fixture import FAST_SETTINGS, write_registry
from tests.replica import ReplicaSite, serve_in_thread
from tests.replica.model import EDIT_NOTE

pytestmark = pytest.mark.e2e
# Big enough that the fixed cost of an incremental crawl (robots.txt, home, six listings and
# their next pages, the revisits) stays under a tenth of a full crawl.
ARTICLES = 400


@pytest.fixture(scope="module")
def crawls(tmp_path_factory):
    out = tmp_path_factory.mktemp("incremental")
    server, base = serve_in_thread(ReplicaSite(articles=ARTICLES))
    try:
        registry = write_registry(out / "registry.toml", base)
        args = ("crawl", "binhlieu", "--registry", str(registry), "--out", str(out),
                "--mode", "incremental", *FAST_SETTINGS)
        first = cli(*args)  # nothing archived yet: says so and runs in full
        day1_requests = len(server.request_log)
        server.site = ReplicaSite(articles=ARTICLES, day=2)  # the same port, a day later
        second = cli(*args)
        day2_requests = len(server.request_log) - day1_requests
    finally:
        server.shutdown()
        server.server_close()
    assert first.returncode == 0, first.stderr[-3000:]
    assert second.returncode == 0, second.stderr[-3000:]
    conn = sqlite3.connect(out / "archive.db")
    conn.row_factory = sqlite3.Row
    runs = conn.execute("SELECT * FROM crawls ORDER BY started_at").fetchall()
    yield {"out": out, "db": conn, "first": first, "second": second, "runs": runs,
           "requests": (day1_requests, day2_requests), "truth": server.site.day_changes}
    conn.close()


def events(db, crawl_id: str, kind: str) -> set[int]:
    return {int(r[0]) for r in db.execute(
        "SELECT a.article_id FROM article_events e JOIN articles a ON a.id = e.article "
        "WHERE e.crawl_id = ? AND e.kind = ?", [crawl_id, kind])}


def test_incremental_without_earlier_crawl_says_so_and_runs_full(crawls):
    assert "no earlier crawl of binhlieu" in crawls["first"].stderr
    assert "no earlier crawl" not in crawls["second"].stderr
    full, incremental = crawls["runs"]
    assert (full["mode"], incremental["mode"]) == ("full", "incremental")
    assert full["new"] == ARTICLES + 1 and full["changed"] == full["removed"] == 0


def test_day2_fetches_under_a_tenth_and_finds_exactly_the_changes(crawls):
    full, incremental = crawls["runs"]
    assert incremental["fetched"] < 0.1 * full["fetched"], (incremental["fetched"],
                                                            full["fetched"])
    day1, day2 = crawls["requests"]
    assert day2 < 0.1 * day1 and day2 == incremental["fetched"]
    report = {k: incremental[k] for k in ("new", "changed", "removed", "redated")}
    assert report == {"new": 5, "changed": 2, "removed": 1, "redated": 1}
    truth, db = crawls["truth"], crawls["db"]
    assert events(db, incremental["id"], "new") == set(truth.new)
    assert events(db, incremental["id"], "changed") == set(truth.edited)
    assert events(db, incremental["id"], "removed") == set(truth.removed)
    assert events(db, incremental["id"], "redated") == set(truth.redated)
    # the revisits of unchanged articles were conditional and answered 304
    not_modified = db.execute("SELECT count(*) FROM captures WHERE crawl_id = ? AND "
                              "status = 304", [incremental["id"]]).fetchone()[0]
    assert not_modified > 0 and incremental["unchanged"] >= not_modified
    assert incremental["seconds"] > 0 and incremental["bytes"] > 0
    assert json.loads(incremental["errors_by_kind"]) == {"http_404": 1}  # the removed one


def test_changes_keep_every_version_and_the_removed_article(crawls):
    db, truth = crawls["db"], crawls["truth"]
    for nid in truth.edited:
        row = db.execute("SELECT id, versions, body_text FROM articles WHERE article_id = ?",
                         [str(nid)]).fetchone()
        assert row["versions"] == 2 and EDIT_NOTE in row["body_text"]
        old = db.execute("SELECT body_text FROM article_versions WHERE article = ? AND "
                         "version = 1", [row["id"]]).fetchone()[0]
        assert EDIT_NOTE not in old
    removed = db.execute("SELECT a.*, c.fetched_at, c.status FROM articles a JOIN captures c "
                         "ON c.id = a.removed_capture_id WHERE a.article_id = ?",
                         [str(truth.removed[0])]).fetchone()
    assert removed["removed_at"] == removed["fetched_at"] and removed["status"] == 404
    assert removed["removed_status"] == 404 and removed["title"] and removed["versions"] == 1
    redated = db.execute("SELECT * FROM articles WHERE article_id = ?",
                         [str(truth.redated[0])]).fetchone()
    assert redated["redated"] == 1 and redated["versions"] == 2
    old_date, new_date = db.execute(
        "SELECT old, new FROM article_events WHERE kind = 'redated'").fetchone()
    assert new_date == redated["published_at"] and old_date > new_date
    assert db.execute("SELECT count(*) FROM articles WHERE removed_at IS NOT NULL"
                      ).fetchone()[0] == 1


REINDEX_KEYS = {
    "article_events": "SELECT a.article_id, e.crawl_id, e.seen_at, e.kind, e.old, e.new, "
                      "c.warc_record_id FROM article_events e JOIN articles a ON "
                      "a.id = e.article JOIN captures c ON c.id = e.capture_id "
                      "ORDER BY c.warc_record_id, e.kind",
    "articles": "SELECT article_id, versions, removed_at, removed_status, redated, "
                "published_at FROM articles ORDER BY article_id",
    "crawls": "SELECT id, mode, fetched, new, changed, unchanged, removed, redated, "
              "errors_by_kind, seconds, bytes FROM crawls ORDER BY id",
    "portal_health": "SELECT * FROM portal_health ORDER BY crawl_id",
    # day 2 links its articles to day 1's copies of the files it did not fetch again
    "article_attachments": "SELECT c.warc_record_id, aa.url, aa.kind, t.crawl_id, "
                           "t.warc_record_id, t.status FROM article_attachments aa JOIN "
                           "captures c ON c.id = aa.capture_id LEFT JOIN attachments t ON "
                           "t.id = aa.attachment ORDER BY 1, 2",
}


def test_reindex_derives_the_same_changes_and_reports(crawls, tmp_path):
    warcs = sorted(str(p) for p in (crawls["out"] / "warc").glob("*.warc.gz"))
    rebuilt = tmp_path / "rebuilt.db"
    result = cli("reindex", *warcs, "--db", str(rebuilt))
    assert result.returncode == 0, result.stderr
    again = sqlite3.connect(rebuilt)
    for table, sql in REINDEX_KEYS.items():
        live = [tuple(r) for r in crawls["db"].execute(sql)]
        assert live, table
        assert live == [tuple(r) for r in again.execute(sql)], table
    again.close()


def test_archived_requisites_are_linked_not_fetched_again(crawls):
    db = crawls["db"]
    full, incremental = crawls["runs"]
    day1 = {r[0] for r in db.execute("SELECT url FROM captures WHERE crawl_id = ?",
                                      [full["id"]])}
    day2 = [r[0] for r in db.execute("SELECT url FROM captures WHERE crawl_id = ? AND "
                                      "resource_type IS NOT NULL", [incremental["id"]])]
    assert day2 and not set(day2) & day1  # only the new articles' files were fetched
    style = db.execute(
        "SELECT count(*), group_concat(DISTINCT t.crawl_id) FROM article_attachments aa "
        "JOIN attachments t ON t.id = aa.attachment WHERE aa.crawl_id = ? AND "
        "aa.url LIKE '%/QNP/css/style.css'", [incremental["id"]]).fetchone()
    # every article captured whole on day 2 (new, edited, re-dated) uses day 1's stylesheet
    assert style[0] >= 8 and style[1] == full["id"]


def test_runs_command_prints_each_report(crawls):
    db_path = str(crawls["out"] / "archive.db")
    table = cli("runs", "--db", db_path)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split()[:8] == ["crawl", "mode", "fetched", "new", "changed", "unchanged",
                                    "removed", "redated"]
    incremental = next(line for line in lines if " incremental " in line).split()
    assert incremental[3:5] == ["5", "2"] and incremental[6:8] == ["1", "1"]
    as_json = json.loads(cli("runs", "--db", db_path, "--format", "json").stdout)
    assert [r["mode"] for r in as_json] == ["full", "incremental"]
    assert as_json[1]["errors_by_kind"] == {"http_404": 1}
    assert {r["health"] for r in as_json} == {"ok"}
    missing = cli("runs", "--db", str(crawls["out"] / "nope.db"))
    assert missing.returncode == 1 and "nope.db" in missing.stderr


def test_datasette_shows_changes_and_status_changes(crawls):
    from datasette.app import Datasette

    from crawler.cli.serve import datasette_metadata

    db_path = str(crawls["out"] / "archive.db")
    ds = Datasette([db_path], metadata=datasette_metadata(db_path))

    async def get(path: str) -> dict:
        response = await ds.client.get(path)
        assert response.status_code == 200, (path, response.text[:500])
        return response.json()

    async def run() -> None:
        found = await get("/archive/article_changes.json?portal=binhlieu&_shape=objects")
        kinds = sorted(r["kind"] for r in found["rows"])
        assert kinds == ["changed", "changed", "redated", "removed"]
        status = await get("/archive/portal_status_changes.json?_shape=objects")
        assert status["rows"] == []  # ok both days

    asyncio.run(run())
