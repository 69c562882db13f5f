"""Deduplication across crawls: crawling again into the same output directory writes a
``revisit`` record (identical-payload-digest profile) for every payload already archived, the
extracted-content fingerprint tells changed from unchanged articles despite visit counters,
and reindex, verify, the CDXJ index and replay all understand revisits."""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from archive import iter_records
from archive.writer import REVISIT_PROFILE
from tests.archive_crawl import cli, crawl_into
from tests.portal_fixture import start_replica, stop
from tests.replica import FOUNDING_NID

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def twice(tmp_path_factory):
    out = tmp_path_factory.mktemp("dedup-crawl")
    incremental = tmp_path_factory.mktemp("dedup-incremental") / "archive"
    proc, base = start_replica("--articles", "6")
    try:
        crawl_into(out, base)
        first = {p.name for p in (out / "warc").glob("*.warc.gz")}
        crawl_into(out, base)
        # a third, incremental crawl (conditional requests) into a copy of the archive
        shutil.copytree(out, incremental)
        crawl_into(incremental, base, "--mode", "incremental",
                   "-s", "INCREMENTAL_REVISIT_SAMPLE=100")
    finally:
        stop(proc)
    warcs = sorted((out / "warc").glob("*.warc.gz"))
    records = {p.name: list(iter_records(p)) for p in warcs}
    db = sqlite3.connect(out / "archive.db")
    db.row_factory = sqlite3.Row
    yield {"out": out, "first": first, "warcs": warcs, "records": records, "db": db,
           "incremental": incremental}
    db.close()


def test_second_crawl_writes_revisits_that_point_at_the_first(twice):
    by_id = {r.record_id: r for recs in twice["records"].values() for r in recs}
    second = [r for name, recs in twice["records"].items() if name not in twice["first"]
              for r in recs]
    revisits = [r for r in second if r.rec_type == "revisit"]
    assert revisits
    for rev in revisits:
        h = rev.warc_headers
        original = by_id[h["WARC-Refers-To"]]
        assert original.rec_type == "response" and original.filename in twice["first"]
        assert h["WARC-Profile"] == REVISIT_PROFILE
        assert h["WARC-Payload-Digest"] == original.warc_headers["WARC-Payload-Digest"]
        assert h["WARC-Refers-To-Target-URI"] == original.target_uri
        assert h["WARC-Refers-To-Date"] == original.date
        assert rev.raw_payload == b"" and rev.status == 200
    urls = {r.target_uri for r in revisits}
    assert any(u.endswith("/robots.txt") for u in urls)
    assert any(u.endswith(f"nid={FOUNDING_NID}") for u in urls)
    db = twice["db"]
    rows = db.execute("SELECT warc_record_id, refers_to FROM captures WHERE "
                      "warc_type = 'revisit'").fetchall()
    assert sorted(tuple(r) for r in rows) == sorted(
        (r.record_id, r.warc_headers["WARC-Refers-To"]) for r in revisits)
    check = subprocess.run([Path(sys.executable).parent / "warcio", "check",
                            *map(str, twice["warcs"])], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout[-2000:]


def test_content_fingerprint_masks_counters(twice):
    db = twice["db"]
    crawls = [r[0] for r in db.execute("SELECT id FROM crawls ORDER BY started_at")]
    assert len(crawls) == 2
    # pages whose bytes changed (visit counters) were archived whole the second time …
    changed = db.execute(
        "SELECT count(*) FROM article_captures ac JOIN captures c ON c.id = ac.capture_id "
        "WHERE c.crawl_id = ? AND c.warc_type = 'response'", [crawls[1]]).fetchone()[0]
    assert changed > 0
    # … but every article is still one version: the fingerprint ignores the counters
    versions = db.execute("SELECT article_id, versions FROM articles").fetchall()
    assert versions and all(v["versions"] == 1 for v in versions)
    per_article = db.execute("SELECT count(*) FROM article_captures GROUP BY article"
                             ).fetchall()
    assert {n for (n,) in per_article} == {2}


def test_reindex_verify_and_cdxj_understand_revisits(twice, tmp_path):
    rebuilt = tmp_path / "rebuilt.db"
    result = cli("reindex", *map(str, twice["warcs"]), "--db", str(rebuilt))
    assert result.returncode == 0, result.stderr
    sql = ("SELECT crawl_id, url, status, content_length, payload_digest, warc_type, "
           "refers_to, warc_record_id, page_type, extract_status FROM captures "
           "ORDER BY warc_record_id")
    again = sqlite3.connect(rebuilt)
    assert again.execute(sql).fetchall() == [tuple(r) for r in twice["db"].execute(sql)]
    sql = "SELECT article, version_id, captured_at, view_count FROM article_captures ORDER BY 1, 3"
    assert again.execute(sql).fetchall() == [tuple(r) for r in twice["db"].execute(sql)]
    verify = cli("verify", "--db", str(twice["out"] / "archive.db"))
    assert verify.returncode == 0, verify.stdout
    # the revisits alone, without the first crawl's files, cannot be reindexed silently
    seconds = [str(p) for p in twice["warcs"] if p.name not in twice["first"]]
    partial = cli("reindex", *seconds, "--db", str(tmp_path / "partial.db"))
    assert partial.returncode == 1 and "not in the given files" in partial.stderr
    lines = [json.loads(line.split(" ", 2)[2]) for p in (twice["out"] / "indexes").glob("*")
             for line in p.read_text().splitlines()]
    assert any(entry.get("mime") == "warc/revisit" for entry in lines)
    # a WACZ of the second crawl carries the first crawl's files its revisits point into
    import zipfile

    package = tmp_path / "second.wacz"
    assert cli("wacz", "--db", str(twice["out"] / "archive.db"), "-o",
               str(package)).returncode == 0
    names = {n.split("/", 1)[1] for n in zipfile.ZipFile(package).namelist()
             if n.startswith("archive/")}
    assert names == {p.name for p in twice["warcs"]}


def test_replay_of_a_revisit_shows_the_original_payload(twice):
    from datasette.app import Datasette

    db = twice["db"]
    row = db.execute("SELECT warc_file, warc_offset, refers_to FROM captures WHERE "
                     "warc_type = 'revisit' AND url LIKE ?", [f"%nid={FOUNDING_NID}"]
                     ).fetchone()
    ds = Datasette([str(twice["out"] / "archive.db")])

    async def run():
        return await ds.client.get(f"/-/replay/{row['warc_file']}/{row['warc_offset']}")

    resp = asyncio.run(run())
    assert resp.status_code == 200 and "Họp Ban thường vụ HU" in resp.text
    assert "revisit: identical payload archived" in resp.text


def test_not_modified_answers_are_server_not_modified_revisits(twice, tmp_path):
    """An incremental crawl revisits known articles with conditional requests; each 304 is a
    revisit record of the server-not-modified profile, and the archive still verifies and
    reindexes to the same rows."""
    from archive.writer import NOT_MODIFIED_PROFILE

    out = twice["incremental"]
    db = sqlite3.connect(out / "archive.db")
    crawl_id = db.execute("SELECT id FROM crawls ORDER BY started_at DESC").fetchone()[0]
    rows = db.execute("SELECT warc_file, warc_record_id, refers_to, payload_digest, warc_type "
                      "FROM captures WHERE crawl_id = ? AND status = 304", [crawl_id]
                      ).fetchall()
    assert rows and all(r[4] == "revisit" and r[3] == "" for r in rows)
    records = {r.record_id: r for p in sorted((out / "warc").glob("*.warc.gz"))
               for r in iter_records(p)}
    for _file, record_id, refers_to, _digest, _type in rows:
        rec = records[record_id]
        assert rec.rec_type == "revisit" and rec.status == 304
        assert rec.warc_headers["WARC-Profile"] == NOT_MODIFIED_PROFILE
        assert "WARC-Payload-Digest" not in rec.warc_headers
        original = records[refers_to]
        assert original.rec_type == "response" and original.target_uri == rec.target_uri
        assert rec.warc_headers["WARC-Refers-To-Date"] == original.date
    verify = cli("verify", "--db", str(out / "archive.db"))
    assert verify.returncode == 0, verify.stdout
    warcs = sorted(str(p) for p in (out / "warc").glob("*.warc.gz"))
    rebuilt = tmp_path / "rebuilt.db"
    assert cli("reindex", *warcs, "--db", str(rebuilt)).returncode == 0
    sql = ("SELECT url, status, content_length, payload_digest, warc_type, refers_to, "
           "warc_record_id FROM captures ORDER BY warc_record_id")
    assert sqlite3.connect(rebuilt).execute(sql).fetchall() == db.execute(sql).fetchall()
    check = subprocess.run([Path(sys.executable).parent / "warcio", "check", *warcs],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout[-2000:]


def test_reindex_finds_an_original_in_a_later_file(twice, tmp_path):
    # Renamed so that the second crawl's files sort (and are read) first: their revisits
    # refer ahead, to files not read yet (as WARCs of concurrent crawls from elsewhere
    # may); reindex looks the originals up once.
    renamed = []
    for path in twice["warcs"]:
        prefix = "b" if path.name in twice["first"] else "a"
        renamed.append(tmp_path / f"{prefix}-{path.name}")
        shutil.copy(path, renamed[-1])
    rebuilt = tmp_path / "rebuilt.db"
    result = cli("reindex", *map(str, renamed), "--db", str(rebuilt))
    assert result.returncode == 0, result.stderr
    sql = ("SELECT url, status, content_length, payload_digest, warc_type, refers_to, "
           "warc_record_id FROM captures ORDER BY warc_record_id")
    with sqlite3.connect(rebuilt) as again:
        assert again.execute(sql).fetchall() == [tuple(r) for r in twice["db"].execute(sql)]
