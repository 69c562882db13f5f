"""``crawl --workers N``: one portal's crawl split over N processes (crawler/sharding.py).

End to end on the replica: two workers archive every article exactly once between them,
each records its shard, the politeness settings are shared out, ``verify`` is clean and
reindex gives the same rows; a worker killed mid-crawl is continued by ``--resume
--workers 2`` alone (the finished worker is left as it is). Unit tests pin the shard
function and the settings arithmetic."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from crawler.sharding import ShardError, parse_shard, shard_of, worker_overrides
from tests.archive_crawl import cli
from tests.portal_fixture import FAST_SETTINGS, ROOT, start_replica, stop, write_registry
from tests.replica import FOUNDING_NID

ARTICLES = 60


def test_parse_shard():
    assert parse_shard(None) is None and parse_shard("") is None
    assert parse_shard("0/1") is None  # one worker is the whole crawl
    assert parse_shard("1/3") == (1, 3)
    for bad in ("3/3", "-1/2", "1", "a/b", "1/0"):
        with pytest.raises(ShardError, match="Invalid shard: expected I/N"):
            parse_shard(bad)


def test_shard_of_is_stable_and_spreads():
    # crc32: the same in every process (Python's hash() is salted per process)
    assert shard_of("99001", 2) == shard_of("99001", 2)
    assert [shard_of(str(n), 4) for n in range(8)] == [
        __import__("zlib").crc32(str(n).encode()) % 4 for n in range(8)]
    counts = [0, 0]
    for n in range(1000):
        counts[shard_of(str(100000 + n), 2)] += 1
    assert 400 < counts[0] < 600


def test_worker_overrides_keep_the_portal_load():
    settings = {"CONCURRENT_REQUESTS_PER_DOMAIN": 2, "DOWNLOAD_DELAY": 0.5,
                "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0}
    assert worker_overrides(settings.get, 2) == {
        "CONCURRENT_REQUESTS_PER_DOMAIN": "1", "DOWNLOAD_DELAY": "1.0",
        "AUTOTHROTTLE_TARGET_CONCURRENCY": "0.5"}
    assert worker_overrides(settings.get, 4)["CONCURRENT_REQUESTS_PER_DOMAIN"] == "1"


def _db(out):
    conn = sqlite3.connect(out if out.suffix == ".db" else out / "archive.db")
    conn.row_factory = sqlite3.Row
    return conn


@pytest.fixture(scope="module")
def replica():
    proc, base = start_replica("--articles", str(ARTICLES), "--chrome-kb", "4")
    yield base
    stop(proc)


@pytest.mark.e2e
def test_two_workers_archive_every_article_once(replica, tmp_path):
    registry = write_registry(tmp_path / "registry.toml", replica)
    result = cli("crawl", "binhlieu", "--registry", str(registry), "--out", str(tmp_path),
                 "--workers", "2", *FAST_SETTINGS)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "binhlieu: 2 workers archived" in result.stderr
    with _db(tmp_path) as db:
        crawls = db.execute("SELECT * FROM crawls ORDER BY id").fetchall()
        assert len(crawls) == 2 and {c["status"] for c in crawls} == {"finished"}
        settings = [json.loads(c["settings"]) for c in crawls]
        assert sorted(s["CRAWL_SHARD"] for s in settings) == ["0/2", "1/2"]
        # FAST_SETTINGS ask for 8 requests per host: 4 per worker
        assert {s["CONCURRENT_REQUESTS_PER_DOMAIN"] for s in settings} == {"4"}
        # every article once, by one worker each, and both workers did some
        assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == ARTICLES + 1
        per_article = db.execute(
            "SELECT count(*) FROM article_captures GROUP BY article HAVING count(*) > 1"
        ).fetchall()
        assert per_article == []
        by_crawl = dict(db.execute(
            "SELECT c.crawl_id, count(*) FROM article_captures ac JOIN captures c "
            "ON c.id = ac.capture_id GROUP BY 1").fetchall())
        assert len(by_crawl) == 2 and min(by_crawl.values()) >= ARTICLES // 4
        founding = db.execute("SELECT title, author FROM articles WHERE article_id = ?",
                              [str(FOUNDING_NID)]).fetchone()
        assert tuple(founding) == ("Họp Ban thường vụ HU", "Thu Hằng")
    verify = cli("verify", "--db", str(tmp_path / "archive.db"))
    assert verify.returncode == 0, verify.stdout[-2000:]
    rebuilt = tmp_path / "rebuilt.db"
    run = cli("reindex", "--db", str(rebuilt), *map(str, sorted((tmp_path / "warc").glob(
        "*.warc.gz"))))
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    query = ("SELECT article_id, title, published_at, author, body_text FROM articles "
             "ORDER BY article_id")
    with _db(tmp_path) as live, _db(rebuilt) as again:
        assert [tuple(r) for r in live.execute(query)] == \
            [tuple(r) for r in again.execute(query)]


@pytest.mark.e2e
def test_resume_continues_only_the_killed_worker(replica, tmp_path):
    registry = write_registry(tmp_path / "registry.toml", replica)
    args = ["crawl", "binhlieu", "--registry", str(registry), "--out", str(tmp_path),
            "--workers", "2", *FAST_SETTINGS, "-s", "DOWNLOAD_DELAY=0.02"]
    parent = subprocess.Popen([sys.executable, "-m", "crawler.cli", *args], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    import psutil

    victim = None
    deadline = time.monotonic() + 60
    while victim is None and time.monotonic() < deadline:
        for child in psutil.Process(parent.pid).children():
            if "CRAWL_SHARD=1/2" in " ".join(child.cmdline()):
                victim = child
        time.sleep(0.05)
    assert victim is not None
    while len(list((tmp_path / "warc").glob("*.warc.gz"))) < 2 and \
            time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # mid-crawl
    victim.send_signal(signal.SIGKILL)
    _, err = parent.communicate(timeout=120)
    assert parent.returncode == 1
    assert "failed in worker(s) 1/2 (exit -9)" in err
    with _db(tmp_path) as db:
        status = dict(db.execute("SELECT json_extract(settings, '$.CRAWL_SHARD'), status "
                                 "FROM crawls").fetchall())
    assert status == {"0/2": "finished", "1/2": "running"}
    resumed = cli(*args, "--resume")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert resumed.stderr.count("resume: continuing crawl") == 1
    with _db(tmp_path) as db:
        assert db.execute("SELECT count(*) FROM crawls WHERE status = 'finished'"
                          ).fetchone()[0] == 2
        assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == ARTICLES + 1
        assert db.execute("SELECT count(*) FROM article_captures GROUP BY article "
                          "HAVING count(*) > 1").fetchall() == []
    verify = cli("verify", "--db", str(tmp_path / "archive.db"))
    assert verify.returncode == 0, verify.stdout[-2000:]
    again = cli(*args, "--resume")
    assert again.returncode == 1 and "nothing to resume: no unfinished worker" in again.stderr


SWEPT_ARTICLES = 100  # the smallest replica with such an article (seed 1)


def unlisted_across_shards(articles: int) -> int:
    """An article to leave out of the listings whose every linker (the up to five newer
    articles of its category, whose "older news" show it) belongs to the other of two
    shards: only a sweep can then archive it."""
    from tests.replica.site import ReplicaSite

    site = ReplicaSite(articles=articles, chrome_kb=2)
    special = {site.founding_nid, site.moved_target, site.documents_nid}
    for items in site.by_category.values():
        for p in range(5, len(items)):
            nid = items[p].nid
            linkers = [a.nid for a in items[max(0, p - 5):p]]
            if nid not in special and all(
                    shard_of(str(n), 2) != shard_of(str(nid), 2) for n in linkers):
                return nid
    raise AssertionError("no article fits: change ARTICLES")


@pytest.mark.e2e
def test_an_article_linked_only_from_the_other_workers_articles_is_swept(tmp_path):
    nid = unlisted_across_shards(SWEPT_ARTICLES)
    proc, base = start_replica("--articles", str(SWEPT_ARTICLES), "--chrome-kb", "2",
                               "--unlisted", str(nid))
    try:
        registry = write_registry(tmp_path / "registry.toml", base)
        result = cli("crawl", "binhlieu", "--registry", str(registry), "--out", str(tmp_path),
                     "--workers", "2", *FAST_SETTINGS)
    finally:
        stop(proc)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "binhlieu: 1 article(s) linked only from another worker's articles" in result.stderr
    with _db(tmp_path) as db:
        # every article once, the unlisted one too, by the sweep's crawl
        assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == SWEPT_ARTICLES + 1
        assert db.execute("SELECT count(*) FROM article_captures GROUP BY article "
                          "HAVING count(*) > 1").fetchall() == []
        crawls = {json.loads(c["settings"]).get("CRAWL_SHARD") or "sweep": c
                  for c in db.execute("SELECT * FROM crawls")}
        assert sorted(crawls) == ["0/2", "1/2", "sweep"]
        assert {c["status"] for c in crawls.values()} == {"finished"}
        swept = db.execute(
            "SELECT a.article_id, c.crawl_id FROM articles a JOIN article_captures ac ON "
            "ac.article = a.id JOIN captures c ON c.id = ac.capture_id WHERE c.crawl_id = ?",
            [crawls["sweep"]["id"]]).fetchall()
        assert [r[0] for r in swept] == [str(nid)]
        # the sweep fetched that page (and its requisites) and no other: no navigation
        # walked again, no article of the run fetched twice
        pages = db.execute("SELECT url FROM captures WHERE crawl_id = ? AND content_type "
                           "LIKE 'text/html%'", [crawls["sweep"]["id"]]).fetchall()
        assert [r[0] for r in pages] == [f"{base}Trang/ChiTietTinTuc.aspx?nid={nid}"]
    handed = (tmp_path / "handoffs").glob("*.tsv")
    assert any(f"{nid}\t" in p.read_text() for p in handed)
    # the run is complete, its sweep included: a resume has nothing left to fetch
    again = cli("crawl", "binhlieu", "--registry", str(registry), "--out", str(tmp_path),
                "--workers", "2", "--resume", *FAST_SETTINGS)
    assert again.returncode == 1 and "nothing to resume" in again.stderr, again.stderr[-2000:]
