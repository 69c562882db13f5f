"""Crash safety and resume: a crawl of the replica is killed with SIGKILL twice, at different
points, and resumed each time with ``crawl --resume``; afterwards every article is archived
exactly once (one response or revisit record, one article_captures row), nothing archived was
fetched again, the database matches reindex, and ``verify`` is clean."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from archive import iter_records
from tests.archive_crawl import cli
from tests.portal_fixture import FAST_SETTINGS, ROOT, start_replica, stop, write_registry
from tests.replica import FOUNDING_NID

pytestmark = pytest.mark.e2e
ARTICLES = 40
# Slow enough to be killed mid-crawl; small DB batches so the kill also cuts a transaction.
SLOW = ["-s", "DOWNLOAD_DELAY=0.03", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2",
        "-s", "ARCHIVE_DB_BATCH=7"]


def warc_bytes(out) -> int:
    return sum(p.stat().st_size for p in (out / "warc").glob("*.warc.gz"))


def crawl_and_kill(args: list[str], out, when_bytes: int) -> int:
    """Run a crawl and SIGKILL it once its WARC files pass ``when_bytes``; return its code."""
    proc = subprocess.Popen([sys.executable, "-m", "crawler.cli", *args], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if (out / "warc").exists() and warc_bytes(out) >= when_bytes:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.01)
    return proc.wait(timeout=60)


@pytest.fixture(scope="module")
def resumed(tmp_path_factory):
    out = tmp_path_factory.mktemp("resume")
    proc, base = start_replica("--articles", str(ARTICLES))
    try:
        registry = write_registry(out / "registry.toml", base)
        args = ["crawl", "binhlieu", "--registry", str(registry), "--out", str(out),
                *FAST_SETTINGS, *SLOW]
        codes = [crawl_and_kill(args, out, 350_000)]
        sizes = [warc_bytes(out)]
        spills = sorted(p.name for p in (out / "indexes").glob("*.spill"))
        codes.append(crawl_and_kill([*args, "--resume"], out, sizes[0] + 500_000))
        sizes.append(warc_bytes(out))
        final = cli(*args, "--resume")
    finally:
        stop(proc)
    db = sqlite3.connect(out / "archive.db")
    db.row_factory = sqlite3.Row
    yield {"out": out, "codes": codes, "sizes": sizes, "final": final, "db": db,
           "spills": spills}
    db.close()


def test_kills_happened_and_resume_finished(resumed):
    assert resumed["codes"] == [-signal.SIGKILL, -signal.SIGKILL]
    final = resumed["final"]
    assert final.returncode == 0, final.stderr[-3000:]
    assert "resume: continuing crawl binhlieu-" in final.stderr
    crawls = resumed["db"].execute("SELECT * FROM crawls").fetchall()
    assert len(crawls) == 1 and crawls[0]["status"] == "finished"
    # the last run answered what the killed runs had archived from the WARCs
    stats = json.loads(crawls[0]["stats"])
    assert stats["warc/resumed_from_archive"] >= 10
    # a finished crawl is not resumed again
    out = resumed["out"]
    again = cli("crawl", "binhlieu", "--registry", str(out / "registry.toml"), "--out",
                str(out), "--resume")
    assert again.returncode == 1
    assert "nothing to resume: no unfinished crawl of binhlieu" in again.stderr


def test_every_article_archived_exactly_once(resumed):
    db = resumed["db"]
    warcs = sorted((resumed["out"] / "warc").glob("*.warc.gz"))
    assert len(warcs) >= 3  # one file per run: a resumed run never appends to a killed file
    records = [r for w in warcs for r in iter_records(w)]
    resumed_files = [r for r in records if r.rec_type == "warcinfo"
                     and "portal-archive-resumed-at" in r.fields]
    assert len(resumed_files) == 2  # the two --resume runs say so in their warcinfo
    fetched = [r.target_uri for r in records if r.rec_type in ("response", "revisit")]
    assert len(fetched) == len(set(fetched)), "a URL was archived twice"
    articles = db.execute("SELECT article_id, (SELECT count(*) FROM article_captures ac "
                          "WHERE ac.article = a.id) AS n FROM articles a").fetchall()
    assert len(articles) == ARTICLES + 1 and all(a["n"] == 1 for a in articles)
    assert str(FOUNDING_NID) in {a["article_id"] for a in articles}
    assert db.execute("SELECT count(*) FROM captures").fetchone()[0] == len(fetched)
    # visit counters were not stored twice for a page met again on resume
    dup = db.execute("SELECT count(*) FROM (SELECT capture_id, metric FROM visit_counters "
                     "GROUP BY 1, 2 HAVING count(*) > 1)").fetchone()[0]
    assert dup == 0


def test_verify_clean_and_reindex_matches(resumed, tmp_path):
    out = resumed["out"]
    verify = cli("verify", "--db", str(out / "archive.db"))
    assert verify.returncode == 0, verify.stdout
    warcs = sorted(str(p) for p in (out / "warc").glob("*.warc.gz"))
    rebuilt = tmp_path / "rebuilt.db"
    assert cli("reindex", *warcs, "--db", str(rebuilt)).returncode == 0
    again = sqlite3.connect(rebuilt)
    for sql in ("SELECT url, status, warc_record_id, page_type, extract_status FROM captures "
                "ORDER BY warc_record_id",
                "SELECT portal_id, article_id, title, versions FROM articles ORDER BY 2",
                "SELECT capture_id IS NOT NULL, metric, value FROM visit_counters "
                "ORDER BY captured_at, metric"):
        assert again.execute(sql).fetchall() == [tuple(r) for r in resumed["db"].execute(sql)]
    # every WARC has its CDXJ index, including those of the killed runs
    for warc in warcs:
        name = warc.rsplit("/", 1)[1].replace(".warc.gz", ".cdxj")
        assert (out / "indexes" / name).exists()
    # the killed run left the half-made CDXJ lines of the file it was writing (its spill);
    # resume replaced them with the index made from the file
    assert len(resumed["spills"]) == 1
    assert not list((out / "indexes").glob("*.spill"))


def test_seal_moves_a_partial_trailing_record_aside(tmp_path):
    from crawler.resume import seal
    from tests.test_verify import write_sample

    path = write_sample(tmp_path)
    whole = path.read_bytes()
    last = list(iter_records(path))[-1]
    path.write_bytes(whole[:last.offset + last.length - 9])  # killed while writing
    note = seal(path)
    assert note == (f"{path.name}: partial record at offset {last.offset} "
                    f"({last.length - 9} bytes) moved to {path.name}.partial-{last.offset}")
    assert path.read_bytes() == whole[:last.offset]
    sidecar = tmp_path / f"{path.name}.partial-{last.offset}"
    assert sidecar.read_bytes() == whole[last.offset:last.offset + last.length - 9]
    assert seal(path) is None  # already whole
    # a resume killed after writing the sidecar, before cutting the file: sealed again
    path.write_bytes(whole[:last.offset + last.length - 9])
    assert seal(path) == note and path.read_bytes() == whole[:last.offset]
    assert sorted(p.name for p in tmp_path.glob("*.partial-*")) == [sidecar.name]
    # other bytes at the same offset go to a new sidecar, never over the first
    path.write_bytes(whole[:last.offset + last.length - 20])
    assert seal(path).endswith(f"moved to {path.name}.partial-{last.offset}-1")
    assert sidecar.read_bytes() == whole[last.offset:last.offset + last.length - 9]
    # damage before the end is reported by verify, never cut
    broken = bytearray(whole)
    broken[last.offset - 30] ^= 0xFF
    path.write_bytes(bytes(broken))
    assert seal(path) is None and path.read_bytes() == bytes(broken)
