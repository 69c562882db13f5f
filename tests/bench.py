"""``make bench``: crawl a generated replica with the full pipeline and with wget, print figures.

Generates a replica of BENCH_ARTICLES (default 5,000) articles, crawls it with
``portal-archive crawl`` (fetch, WARC with digests, extraction, SQLite; politeness off for the
benchmark only), then fetches the same site with ``wget --recursive --warc-file`` and prints
pages/s, peak RSS and the ratio. A benchmark, not a test: it prints, it does not assert.
Everything runs on 127.0.0.1.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from tests.portal_fixture import ROOT, start_replica, stop, write_registry


def run_measured(args: list[str], cwd: Path) -> tuple[float, int, int]:
    """Run a command; return (seconds, exit code, peak RSS in bytes of it and its children)."""
    start = time.perf_counter()
    # stderr to a file, not a pipe: a chatty child (wget) would block on a full pipe.
    log = tempfile.TemporaryFile()
    proc = psutil.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=log)
    peak = 0
    while proc.poll() is None:
        try:
            procs = [proc, *proc.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in procs))
        except psutil.Error:
            pass
        time.sleep(0.1)
    seconds = time.perf_counter() - start
    if proc.returncode:
        log.seek(0)
        sys.stderr.write(log.read().decode(errors="replace")[-3000:])
    log.close()
    return seconds, proc.returncode, peak


def count_wget_responses(warc: Path) -> int:
    from archive import iter_records

    return sum(1 for r in iter_records(warc) if r.rec_type == "response")


def main() -> int:
    articles = int(os.environ.get("BENCH_ARTICLES", "5000"))
    work = Path(tempfile.mkdtemp(prefix="portal-archive-bench-"))
    proc, base = start_replica("--articles", str(articles))
    try:
        print(f"replica: {articles} articles at {base}")
        registry = write_registry(work / "registry.toml", base)
        out = work / "ours"
        seconds, code, rss = run_measured(
            [sys.executable, "-m", "crawler.cli", "crawl", "binhlieu", "--registry",
             str(registry), "--out", str(out), "-s", "AUTOTHROTTLE_ENABLED=False",
             "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS=16",
             "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16", "-s", "LOG_LEVEL=WARNING",
             "-s", "PROGRESS_ENABLED=False"], ROOT)
        if code:
            print(f"crawl failed with exit status {code}")
            return 1
        conn = sqlite3.connect(out / "archive.db")
        pages = conn.execute("SELECT count(*) FROM captures").fetchone()[0]
        arts = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        warc_bytes = sum(p.stat().st_size for p in (out / "warc").glob("*.warc.gz"))
        db_bytes = (out / "archive.db").stat().st_size
        ours_rate = pages / seconds
        print(f"portal-archive: {pages} responses ({arts} articles) in {seconds:.1f} s = "
              f"{ours_rate:.1f} pages/s, peak RSS {rss / 1e6:.0f} MB, "
              f"WARC {warc_bytes / max(arts, 1) / 1e3:.1f} KB/article, "
              f"DB {db_bytes / max(arts, 1) / 1e3:.1f} KB/article")
        wget = shutil.which("wget")
        if not wget:
            print("wget not installed: no comparison")
            return 0
        wdir = work / "wget"
        wdir.mkdir()
        wseconds, _wcode, wrss = run_measured(
            [wget, "--recursive", "--level=inf", "--quiet", "--domains=127.0.0.1",
             "--reject-regex", "javascript:", "--warc-file", str(wdir / "wget"),
             "--no-warc-keep-log", "-P", str(wdir / "files"), base], ROOT)
        wpages = count_wget_responses(wdir / "wget.warc.gz")
        wget_rate = wpages / wseconds
        print(f"wget --recursive --warc-file: {wpages} responses in {wseconds:.1f} s = "
              f"{wget_rate:.1f} pages/s, peak RSS {wrss / 1e6:.0f} MB")
        print(f"ratio (portal-archive / wget pages/s): {ours_rate / wget_rate:.2f}")
    finally:
        stop(proc)
        shutil.rmtree(work, ignore_errors=True)
    return 0


def search_section() -> int:
    """Search latency over generated articles (tests/bench_search.py), after the crawl."""
    from tests import bench_search

    print()
    return bench_search.main()


if __name__ == "__main__":
    sys.exit(main() or search_section())
