"""Reindex in worker processes (``--jobs``) writes exactly the rows of a serial reindex: every
table row by row, on a crawl with revisits, a second day's edits and a truncated WARC; the
window of pages ahead of the writes stays bounded; the full-text indexes built once at the
end are those the triggers keep; an interrupted reindex leaves only ``NAME.partial``."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from archive import CorruptWarcError, iter_records
from crawler import reindex_work
from crawler.reindex import PARTIAL, reindex
from crawler.reindex_work import MAX_WINDOW, ResponseTask, analyse_response, in_order
from db import ArchiveStore
from db.bulk import deferred_search_index, index_triggers
from tests.archive_crawl import cli
from tests.portal_fixture import FAST_SETTINGS, write_registry
from tests.replica import ReplicaSite, serve_in_thread


def table_rows(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table (FTS shadow tables included), in rowid order."""
    conn = sqlite3.connect(path)
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    rows = {}
    for name in names:
        # when each migration ran is the only thing that may differ between two runs
        columns = "name" if name == "_migrations" else "*"
        try:  # rowid: insertion order, ids included
            rows[name] = conn.execute(f'SELECT {columns} FROM "{name}" ORDER BY rowid'
                                      ).fetchall()
        except sqlite3.OperationalError:  # WITHOUT ROWID: ordered by its key
            rows[name] = conn.execute(f'SELECT {columns} FROM "{name}"').fetchall()
    conn.close()
    return rows


def schema(path: Path) -> set[tuple]:
    conn = sqlite3.connect(path)
    rows = set(conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"))
    conn.close()
    return rows


def fts_intact(path: Path) -> None:
    conn = sqlite3.connect(path)
    # raises on a mismatch
    conn.execute("INSERT INTO articles_folded_fts (articles_folded_fts) VALUES ('integrity-check')")
    conn.close()


@pytest.fixture(scope="module")
def two_days(tmp_path_factory):
    """Day 1, then day 2 (edits, new and removed articles) crawled in full into the same
    directory: the second crawl's unchanged payloads are revisits."""
    out = tmp_path_factory.mktemp("reindex-jobs")
    server, base = serve_in_thread(ReplicaSite(articles=6, chrome_kb=2))
    try:
        registry = write_registry(out / "registry.toml", base)
        args = ("crawl", "binhlieu", "--registry", str(registry), "--out", str(out),
                *FAST_SETTINGS)
        first = cli(*args)
        server.site = ReplicaSite(articles=6, chrome_kb=2, day=2)
        second = cli(*args)
    finally:
        server.shutdown()
        server.server_close()
    assert first.returncode == 0, first.stderr[-3000:]
    assert second.returncode == 0, second.stderr[-3000:]
    return out


@pytest.mark.e2e
def test_jobs_give_the_serial_rows_with_revisits_and_a_truncated_warc(two_days, tmp_path):
    warcs = sorted((two_days / "warc").glob("*.warc.gz"))
    assert len(warcs) == 2
    cut_dir = tmp_path / "warc"
    cut_dir.mkdir()
    for warc in warcs:
        shutil.copy(warc, cut_dir)
    cut = cut_dir / warcs[-1].name  # day 2: its revisits point into day 1's file
    data = cut.read_bytes()
    cut.write_bytes(data[:len(data) * 2 // 3])
    kept = []
    try:
        for path in sorted(cut_dir.glob("*.warc.gz")):
            for record in iter_records(path):
                if record.rec_type in ("response", "revisit"):
                    kept.append(record.record_id)
    except CorruptWarcError as exc:
        bad_offset = exc.offset
    files = [str(p) for p in sorted(cut_dir.glob("*.warc.gz"))]
    runs = {}
    for jobs in (1, 2):
        db = tmp_path / f"jobs{jobs}.db"
        result = cli("reindex", *files, "--db", str(db), "--jobs", str(jobs))
        assert result.returncode == 1, result.stderr
        assert (f"error: {cut}: corrupt or truncated WARC record at offset {bad_offset}"
                in result.stderr)
        assert not Path(str(db) + PARTIAL).exists()
        runs[jobs] = (db, result.stderr.replace(str(db), "DB").splitlines())
    (serial, serial_log), (parallel, parallel_log) = runs[1], runs[2]
    assert serial_log == parallel_log
    one, two = table_rows(serial), table_rows(parallel)
    assert one.keys() == two.keys()
    for table in one:
        assert one[table] == two[table], table
    # the readable records of the cut file are kept, revisits and new versions among them
    conn = sqlite3.connect(parallel)
    assert sorted(r[0] for r in conn.execute("SELECT warc_record_id FROM captures")
                  ) == sorted(kept)
    assert conn.execute("SELECT count(*) FROM captures WHERE warc_type = 'revisit' "
                        "AND refers_to IS NOT NULL").fetchone()[0] > 0
    conn.close()
    fts_intact(parallel)
    fresh = tmp_path / "fresh.db"
    ArchiveStore(fresh).close()
    assert schema(parallel) == schema(fresh)  # the search triggers are back, unchanged


@pytest.mark.e2e
def test_jobs_give_the_live_crawls_rows(two_days, tmp_path):
    rebuilt = tmp_path / "rebuilt.db"
    warcs = [str(p) for p in sorted((two_days / "warc").glob("*.warc.gz"))]
    result = cli("reindex", *warcs, "--db", str(rebuilt), "--jobs", "2")
    assert result.returncode == 0, result.stderr
    live, again = table_rows(two_days / "archive.db"), table_rows(rebuilt)
    # day 2's edits are there: second versions and their events
    assert {r[5] for r in again["article_events"]} >= {"new", "changed", "redated"}
    assert max(r[2] for r in again["article_versions"]) == 2
    for table in ("captures", "articles", "article_versions", "article_captures",
                  "article_events", "visit_counters", "attachments", "article_attachments"):
        assert live[table] == again[table], table
    fts_intact(rebuilt)


@pytest.mark.e2e
def test_completing_a_database_extracts_only_the_records_it_lacks(two_days, tmp_path,
                                                                  monkeypatch):
    """``only_missing`` (resume, collect) drops the records the database indexed already
    before decoding or extracting them: a database lacking day 2 is completed with the rows a
    full reindex gives, extracting day 2's pages alone; completing it again extracts none."""
    warcs = sorted((two_days / "warc").glob("*.warc.gz"))
    full, part = tmp_path / "full.db", tmp_path / "part.db"
    reindex(warcs, full)
    reindex(warcs[:1], part)
    extracted = []
    real = reindex_work.analyse_page

    def spy(url, *args, **kwargs):
        extracted.append(url)
        return real(url, *args, **kwargs)

    monkeypatch.setattr(reindex_work, "analyse_page", spy)
    report = reindex(warcs, part, only_missing=True)
    conn = sqlite3.connect(full)
    day2 = sorted(r[0] for r in conn.execute(
        "SELECT url FROM captures WHERE warc_file = ? AND page_type IS NOT NULL",
        [warcs[1].name]))
    conn.close()
    assert day2 and sorted(extracted) == day2
    assert not report.errors and report.captures > 0
    one, two = table_rows(full), table_rows(part)
    for table in ("crawls", "captures", "articles", "article_versions", "article_captures",
                  "article_events", "visit_counters", "attachments", "article_attachments",
                  "fetch_failures"):
        assert one[table] == two[table], table
    extracted.clear()
    again = reindex(warcs, part, only_missing=True)  # (jobs=1: the spy sees every page)
    assert extracted == [] and again.captures == 0 and not again.errors
    assert table_rows(part) == two
    fts_intact(part)


def page_task(n: int, extract: bool = True) -> ResponseTask:
    html = (f"<html><head><title>Tin {n}</title></head><body><h1>Tin số {n}</h1>"
            f"<p>Nội dung bài {n}.</p></body></html>").encode()
    return ResponseTask(url=f"http://127.0.0.1:1/Trang/ChiTietTinTuc.aspx?nid={n}", status=200,
                        headers=[("Content-Type", "text/html; charset=utf-8")],
                        content_type="text/html; charset=utf-8", entity=html, original=None,
                        extract=extract, family="qnp", base_url="http://127.0.0.1:1/")


class Item:
    def __init__(self, n: int, task: ResponseTask | None) -> None:
        self.n, self.task = n, task


def test_in_order_uses_the_pool_keeps_the_order_and_a_bounded_window(monkeypatch):
    submitted = []

    class Spy(reindex_work.ProcessPoolExecutor):
        def submit(self, fn, *args, **kwargs):
            submitted.append(len(args[0]))
            return super().submit(fn, *args, **kwargs)

    monkeypatch.setattr(reindex_work, "ProcessPoolExecutor", Spy)
    # pages, light tasks (a requisite: no extraction) and steps without a task, mixed; then
    # a long run of light ones
    items = [Item(n, page_task(n, extract=n % 5 != 0 and n < 300) if n % 7 else None)
             for n in range(1200)]
    produced = 0

    def source():
        nonlocal produced
        for item in items:
            produced += 1
            yield item

    consumed, lead, pending = [], 0, 0  # pending: pages sent ahead, not yet consumed
    for item, analysis in in_order(source(), jobs=2):
        lead = max(lead, produced - len(consumed))
        heavy = sum(1 for i in items[:produced] if i.task and not i.task.light)
        pending = max(pending, heavy - sum(1 for n, _ in consumed
                                           if items[n].task and not items[n].task.light))
        consumed.append((item.n, analysis))
    assert [n for n, _ in consumed] == list(range(len(items)))
    expected = [analyse_response(i.task) if i.task else None for i in items]
    assert [a for _, a in consumed] == expected
    # real extractions, each of its own page
    assert [a.page[1] for a in expected if a and a.page] == [
        str(i.n) for i in items if i.task and i.task.extract]
    assert sum(submitted) == sum(1 for i in items if i.task and not i.task.light)
    assert pending <= reindex_work.CHUNK_SIZE * reindex_work.CHUNKS_AHEAD * 2 + 1
    assert lead <= MAX_WINDOW + 1 < len(items)


def fill(store: ArchiveStore) -> None:
    """Two articles, the first edited (a new version: its indexed text changes)."""
    store.upsert_portal({"id": "binhlieu", "name": "Bình Liêu", "base_url": "http://h/"})
    store.start_crawl("c1", "binhlieu", "2026-11-21T09:00:00Z", {})
    texts = [(1, "Đường Bình Liêu", "Đổi mới nông thôn"), (2, "Họp Ban thường vụ", "Nội dung"),
             (1, "Đường Bình Liêu mở rộng", "Đổi mới giao thông")]
    for n, (nid, title, body) in enumerate(texts):
        url = f"http://h/Trang/ChiTietTinTuc.aspx?nid={nid}"
        capture_id = store.add_capture({
            "crawl_id": "c1", "portal_id": "binhlieu", "url": url, "status": 200,
            "fetched_at": f"2026-11-21T10:00:0{n}Z", "content_type": "text/html",
            "warc_file": "c1.warc.gz", "warc_offset": 100 * n, "warc_length": 50,
            "warc_record_id": f"<urn:uuid:c1-{n}>", "extract_status": "skipped",
            "warc_type": "response"})
        store.add_article(capture_id, "binhlieu", f"2026-11-21T10:00:0{n}Z",
                          {"url": url, "page_type": "article", "title": title,
                           "body_text": body}, str(nid), url)
    store.commit()


def test_deferred_search_index_restores_triggers_and_builds_the_same_index(tmp_path):
    live, bulk = ArchiveStore(tmp_path / "live.db"), ArchiveStore(tmp_path / "bulk.db")
    before = schema(tmp_path / "bulk.db")
    assert {name for name, _, _ in index_triggers(bulk.conn)} == {
        "articles_folded_ai", "articles_folded_ad", "articles_folded_au"}
    # a trigger writing somewhere besides an index keeps running
    bulk.conn.execute("CREATE TABLE audit (id INTEGER)")
    bulk.conn.execute("CREATE TRIGGER both_ai AFTER INSERT ON articles BEGIN "
                      "INSERT INTO audit VALUES (new.id); INSERT INTO articles_folded_fts "
                      "(articles_folded_fts, rowid, title, body_text) VALUES ('delete', new.id, "
                      "new.title, new.body_text); END")
    assert "both_ai" not in {name for name, _, _ in index_triggers(bulk.conn)}
    bulk.conn.execute("DROP TRIGGER both_ai")
    bulk.conn.execute("DROP TABLE audit")
    fill(live)
    with deferred_search_index(bulk.conn) as rebuilt:
        assert rebuilt == ["articles_folded_fts"]
        assert not index_triggers(bulk.conn)
        fill(bulk)
    assert schema(tmp_path / "bulk.db") == before
    for fts, words in [("articles_folded_fts", "Bình"), ("articles_folded_fts", "mở rộng"),
                       ("articles_folded_fts", "nông"), ("articles_folded_fts", "duong binh"),
                       ("articles_folded_fts", "giao thong"), ("articles_folded_fts", "hop")]:
        sql = f"SELECT rowid FROM {fts} WHERE {fts} MATCH ? ORDER BY rowid"
        found = bulk.conn.execute(sql, [words]).fetchall()
        assert found == live.conn.execute(sql, [words]).fetchall(), (fts, words)
    assert bulk.conn.execute("SELECT rowid FROM articles_folded_fts WHERE articles_folded_fts "
                             "MATCH 'duong binh lieu mo rong'").fetchall() == [(1,)]
    live.close()
    bulk.close()
    fts_intact(tmp_path / "bulk.db")


@pytest.mark.e2e
def test_an_interrupted_reindex_leaves_only_a_partial_file(two_days, tmp_path, monkeypatch):
    warcs = sorted((two_days / "warc").glob("*.warc.gz"))
    target = tmp_path / "rebuilt.db"

    def boom(*args, **kwargs):
        raise RuntimeError("interrupted")

    monkeypatch.setattr("crawler.reindex.index_page", boom)
    with pytest.raises(RuntimeError):
        reindex(warcs, target, jobs=2)
    assert not target.exists() and Path(str(target) + PARTIAL).exists()
    monkeypatch.undo()
    report = reindex(warcs, target, jobs=2)  # the partial file is replaced
    assert report.articles and not report.errors
    assert target.exists() and not Path(str(target) + PARTIAL).exists()
    fts_intact(target)


def _die(tasks):
    os._exit(3)  # a worker killed mid-reindex (out of memory, a signal)


@pytest.mark.e2e
def test_a_dead_worker_is_one_line_and_leaves_the_partial_file(two_days, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from crawler.cli.reindex import reindex as command

    monkeypatch.setattr(reindex_work, "_analyse_all", _die)
    target = tmp_path / "rebuilt.db"
    warcs = [str(p) for p in sorted((two_days / "warc").glob("*.warc.gz"))]
    result = CliRunner().invoke(command, [*warcs, "--db", str(target), "--jobs", "2"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: a worker process of reindex died (")
    assert f"{target}{PARTIAL} is incomplete" in result.output
    assert not target.exists() and Path(str(target) + PARTIAL).exists()
