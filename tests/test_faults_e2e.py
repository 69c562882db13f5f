"""End to end on a hostile replica (tests/replica/faults.py): one bounded crawl of a small
site whose start URLs are every fault, then: the crawl ends within its bounds, every response
the server sent is in the WARC (bodies cut by a reset, a short body or the size limit as
truncated records), every failure is a ``fetch_failures`` row of the right kind (and
queryable in Datasette's canned query), misdeclared and legacy-encoded pages read right,
impossible and future dates stay empty, reindex gives the same capture rows, and ``verify``
is clean."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest

from archive import iter_records
from tests.archive_crawl import cli
from tests.portal_fixture import FAST_SETTINGS, ROOT
from tests.replica import ReplicaSite, serve_in_thread
from tests.replica.faults import ARTICLE_NIDS, TITLE, Faults, serve_fault_site

pytestmark = pytest.mark.e2e
TIME_LIMIT = 60
BOUNDS = ["-s", "DOWNLOAD_TIMEOUT=2", "-s", "RETRY_TIMES=1", "-s", "DOWNLOAD_MAXSIZE=1000000",
          "-s", "DEPTH_LIMIT=8", "-s", f"CLOSESPIDER_TIMEOUT={TIME_LIMIT}",
          "-s", "RETRY_AFTER_MAX=2", "-s", "REDIRECT_MAX_TIMES=5",
          "-s", "TRAPS_YEARS_AHEAD=0", "-s", "TRAPS_MAX_PAGE=3"]
# The server answered after the client gave up: no response to archive.
UNFINISHED = {"/faults/slow"}
# Bodies cut short, archived up to the cut with WARC-Truncated.
TRUNCATED = {"/faults/reset": "disconnect", "/faults/short": "disconnect",
             "/faults/big": "length"}
EXPECTED_KINDS = {
    "/faults/slow": "timeout", "/faults/reset": "data_loss", "/faults/short": "data_loss",
    "/faults/big": "too_large", "/faults/500": "http_500", "/faults/503": "http_503",
    "/faults/429": "http_429", "/faults/offsite": "offsite",
}


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    out = tmp_path_factory.mktemp("faults")
    server, base, registry = serve_fault_site(out)
    started = time.monotonic()
    try:
        result = cli("crawl", "binhlieu", "--registry", str(registry), "--out", str(out),
                     *FAST_SETTINGS, *BOUNDS, timeout=300)
    finally:
        server.shutdown()
        server.server_close()
    seconds = time.monotonic() - started
    assert result.returncode == 0, result.stderr[-4000:]
    # Every fault is a one-line log message (its detail is in fetch_failures), no traceback.
    assert "Traceback" not in result.stderr, result.stderr[-4000:]
    assert f"{base}faults/big: body larger than the download limit" in result.stderr
    conn = sqlite3.connect(out / "archive.db")
    conn.row_factory = sqlite3.Row
    yield {"out": out, "base": base, "db": conn, "log": list(server.request_log),
           "seconds": seconds}
    conn.close()


def test_crawl_ends_within_its_bounds(crawl):
    row = crawl["db"].execute("SELECT finish_reason, stats FROM crawls").fetchone()
    stats = json.loads(row["stats"])
    assert row["finish_reason"] == "finished"
    assert crawl["seconds"] < TIME_LIMIT
    assert stats["request_depth_max"] <= 8
    # The redirect loop stopped at REDIRECT_MAX_TIMES, the traps at their first step past
    # the rules: the server saw a bounded number of requests for each.
    paths = [path for _, path, _ in crawl["log"]]
    assert sum(p.startswith("/faults/loop") for p in paths) == 6
    assert sum(p.startswith("/faults/pager.aspx") for p in paths) == 3
    assert sum(p.startswith("/faults/calendar.aspx") for p in paths) <= 4
    assert sum(p.startswith("/faults/session.aspx") for p in paths) == 1
    # Retry-After (1 s) was honoured on 429 and 503, one retry each (RETRY_TIMES=1).
    assert paths.count("/faults/503") == 2 and paths.count("/faults/429") == 2
    assert stats["retry_after/waits"] >= 2


def test_every_completed_response_is_in_the_warc(crawl):
    archived: dict[str, int] = {}
    for warc in (crawl["out"] / "warc").glob("*.warc.gz"):
        for rec in iter_records(warc):
            if rec.rec_type in ("response", "revisit"):
                archived[rec.target_uri] = rec.status
    base = crawl["base"].rstrip("/")
    served = {(path, status) for method, path, status in crawl["log"]
              if method == "GET" and path not in UNFINISHED}
    assert len(served) > 40
    missing = [(p, s) for p, s in served if archived.get(base + p) != s]
    assert missing == []
    # The corrupt gzip body is kept as it came over the wire.
    assert archived[base + "/faults/gzip"] == 200


def test_cut_bodies_are_archived_as_truncated(crawl):
    db, base = crawl["db"], crawl["base"].rstrip("/")
    records: dict[str, list] = {}
    for warc in (crawl["out"] / "warc").glob("*.warc.gz"):
        for rec in iter_records(warc):
            if rec.rec_type == "response" and rec.target_uri.removeprefix(base) in TRUNCATED:
                records.setdefault(rec.target_uri.removeprefix(base), []).append(rec)
    # reset and short were retried once (RETRY_TIMES=1): both attempts are archived
    assert {p: len(r) for p, r in records.items()} == {
        "/faults/reset": 2, "/faults/short": 2, "/faults/big": 1}
    for path, recs in records.items():
        for rec in recs:
            assert rec.warc_headers["WARC-Truncated"] == TRUNCATED[path]
            announced = int(rec.header("Content-Length"))
            assert 0 < len(rec.entity) < announced
    big = records["/faults/big"][0]
    assert 1_000_000 < len(big.entity) < 1_000_000 + 256 * 1024  # up to the limit
    assert big.entity.startswith(b"<!DOCTYPE html>")
    rows = db.execute("SELECT url, truncated, extract_status, extract_reason, warc_record_id "
                      "FROM captures WHERE truncated IS NOT NULL").fetchall()
    assert sorted((r["url"].removeprefix(base), r["truncated"]) for r in rows) == sorted(
        (p, TRUNCATED[p]) for p, recs in records.items() for _ in recs)
    assert all(r["extract_status"] == "skipped" and "truncated" in r["extract_reason"]
               for r in rows)
    # one failure row per URL (after the retries), pointing at its last truncated record
    failures = {r["url"].removeprefix(base): r for r in db.execute(
        "SELECT * FROM fetch_failures WHERE kind IN ('data_loss', 'too_large')")}
    assert set(failures) == set(TRUNCATED)
    for path, row in failures.items():
        assert row["warc_record_id"] == records[path][-1].record_id
    assert "archived as truncated" in failures["/faults/big"]["detail"]


def test_corrupt_gzip_is_a_failure_row_and_explained(crawl):
    db, base = crawl["db"], crawl["base"].rstrip("/")
    failure = db.execute("SELECT * FROM fetch_failures WHERE kind = 'decode_error'").fetchone()
    assert failure["url"] == base + "/faults/gzip"
    assert "gzip body cannot be decoded (zlib.error" in failure["detail"]
    capture = db.execute("SELECT * FROM captures WHERE warc_record_id = ?",
                         [failure["warc_record_id"]]).fetchone()
    assert capture["url"] == base + "/faults/gzip" and capture["status"] == 200
    assert capture["extract_reason"] == "not extracted: decode_error: " + failure["detail"]


def test_reindex_gives_the_same_capture_rows(crawl, tmp_path):
    warcs = sorted(str(p) for p in (crawl["out"] / "warc").glob("*.warc.gz"))
    rebuilt = tmp_path / "rebuilt.db"
    result = cli("reindex", *warcs, "--db", str(rebuilt), timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    sql = ("SELECT url, status, truncated, page_type, extract_status, extract_reason "
           "FROM captures ORDER BY warc_record_id")
    again = sqlite3.connect(rebuilt)
    try:
        assert again.execute(sql).fetchall() == [tuple(r) for r in crawl["db"].execute(sql)]
    finally:
        again.close()


def test_every_failure_is_a_row_with_its_kind(crawl):
    db, base = crawl["db"], crawl["base"].rstrip("/")
    rows = db.execute("SELECT * FROM fetch_failures").fetchall()
    by_url = {r["url"]: r for r in rows}
    for path, kind in EXPECTED_KINDS.items():
        assert by_url[base + path]["kind"] == kind, path
        assert by_url[base + path]["detail"]
    assert by_url[base + "/faults/loop?n=5"]["kind"] == "redirect_loop"
    traps = {r["url"].removeprefix(base): r["detail"] for r in rows if r["kind"] == "trap"}
    assert "/faults/pager.aspx?Cat=92&Page=4" in traps
    assert any("session id" in d for d in traps.values())
    assert any("calendar year" in d for d in traps.values())
    crawl_id = db.execute("SELECT id FROM crawls").fetchone()[0]
    assert {r["crawl_id"] for r in rows} == {crawl_id}
    assert all(r["failed_at"].endswith("Z") for r in rows)
    # An HTTP error's row points at the archived error response.
    pointer = by_url[base + "/faults/503"]["warc_record_id"]
    capture = db.execute("SELECT status FROM captures WHERE warc_record_id = ?",
                         [pointer]).fetchone()
    assert capture["status"] == 503


def test_failures_canned_query_in_datasette(crawl):
    from datasette.app import Datasette

    metadata = json.loads((ROOT / "db/datasette/metadata.json").read_text(encoding="utf-8"))
    sql = metadata["databases"]["archive"]["queries"]["fetch_failures"]["sql"]
    rows = crawl["db"].execute(sql, {"portal": "binhlieu", "kind": "timeout"}).fetchall()
    assert [r["url"] for r in rows] == [crawl["base"] + "faults/slow"]
    ds = Datasette([str(crawl["out"] / "archive.db")], metadata=metadata)
    import asyncio

    async def get():
        return await ds.client.get("/archive/fetch_failures.json?portal=&kind=trap&_shape=array")

    response = asyncio.run(get())
    assert response.status_code == 200
    assert response.json() and {r["kind"] for r in response.json()} == {"trap"}


def test_misdeclared_and_legacy_encodings_read_right(crawl):
    titles = dict(crawl["db"].execute(
        "SELECT article_id, title FROM articles WHERE article_id LIKE '9900%'").fetchall())
    for nid in (990001, 990002, 990003, 990004, 990009):  # latin-1 header, cp1258, BOM, …
        assert titles[str(nid)] == TITLE, ARTICLE_NIDS[nid][0]


def test_bad_dates_stay_empty_and_explained(crawl):
    rows = {r["article_id"]: r for r in crawl["db"].execute(
        "SELECT a.article_id, a.published_at, c.extract_reason FROM articles a "
        "JOIN captures c ON c.url = a.url WHERE a.article_id IN ('990006','990007','990008')")}
    assert all(r["published_at"] is None for r in rows.values())
    assert "impossible date" in rows["990007"]["extract_reason"]
    assert "2099" in rows["990008"]["extract_reason"]
    untitled = crawl["db"].execute(
        "SELECT extract_status FROM captures WHERE url LIKE '%nid=990005'").fetchone()
    assert untitled["extract_status"] == "failed"


def test_verify_is_clean(crawl):
    result = cli("verify", "--db", str(crawl["out"] / "archive.db"), timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


@pytest.fixture(scope="module")
def pager(tmp_path_factory):
    """A replica whose only start URL is the endless pager, for the bounds with traps off."""
    site = ReplicaSite(articles=12, seed=1, chrome_kb=8)
    server, base = serve_in_thread(site, faults=Faults())
    yield server, base
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(("args", "reason", "most"), [
    (["-s", "CLOSESPIDER_PAGECOUNT=12"], "closespider_pagecount", 12 + 8),
    (["--limit", "10"], "finished", 10),  # the portal's URL budget
    (["-s", "DEPTH_LIMIT=5"], "finished", 6),
    (["-s", "CLOSESPIDER_TIMEOUT=2"], "closespider_timeout", None),
])
def test_endless_site_is_bounded(pager, tmp_path, args, reason, most):
    server, base = pager
    registry = tmp_path / "registry.toml"
    registry.write_text(
        f'[[portals]]\nid = "pager"\nname = "pager"\nbase_url = "{base}"\nfamily = "qnp"\n'
        f'start_urls = ["{base}faults/pager.aspx?Cat=92"]\nallowed_hosts = ["127.0.0.1"]\n'
        'confirmed = true\n', encoding="utf-8")
    before = len(server.request_log)
    started = time.monotonic()
    result = cli("crawl", "pager", "--registry", str(registry), "--out", str(tmp_path / "out"),
                 *FAST_SETTINGS, "-s", "TRAPS_ENABLED=False", "-s", "ROBOTSTXT_OBEY=False",
                 *args, timeout=300)
    seconds = time.monotonic() - started
    if reason == "closespider_timeout":
        # The CLI reports a crawl cut by its time limit as unfinished (exit 1), in one line.
        assert result.returncode == 1 and "closespider_timeout" in result.stderr
        assert "Traceback" not in result.stderr
    else:
        assert result.returncode == 0, result.stderr[-3000:]
    fetched = [p for _, p, _ in list(server.request_log)[before:] if "pager" in p]
    db = sqlite3.connect(tmp_path / "out" / "archive.db")
    finish_reason, pages = db.execute("SELECT finish_reason, pages FROM crawls").fetchone()
    db.close()
    assert finish_reason == reason
    if most is not None:
        assert 3 <= len(fetched) <= most
    else:
        assert seconds < 30 and len(fetched) > 3
    assert pages == len(fetched)  # every page fetched is archived and indexed
    verified = cli("verify", "--db", str(tmp_path / "out" / "archive.db"), timeout=300)
    assert verified.returncode == 0, verified.stdout[-2000:]
