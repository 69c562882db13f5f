"""``make bench``: crawl a generated replica with the full pipeline and with wget, print figures.

Generates a replica of BENCH_ARTICLES (default 5,000) articles, crawls it with
``portal-archive crawl`` (fetch, WARC with digests, extraction, SQLite; politeness off for the
benchmark only), then fetches the same site with ``wget --recursive --warc-file`` and prints
HTML pages/s, peak RSS and the ratio, times ``reindex`` of the crawl's WARCs and the extractor
(beside trafilatura) on its article pages, and prints a PASS/FAIL line per target of issue 8
(exit status 1 if one fails). A benchmark, not a test: ``make bench`` only, never ``make test``.
``BENCH_SEARCH=0`` skips the search-latency section.
Everything runs on 127.0.0.1.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import statistics
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


def count_responses(warc: Path) -> tuple[int, int]:
    """(all response records, text/html response records) of a WARC file."""
    from archive import iter_records

    total = html = 0
    for r in iter_records(warc):
        if r.rec_type == "response":
            total += 1
            html += (r.header("Content-Type") or "").lower().startswith("text/html")
    return total, html


def article_pages(warc_dir: Path, limit: int = 300) -> list[tuple[str, str]]:
    """(url, decoded HTML) of up to ``limit`` article responses of the crawl's WARCs."""
    from archive import iter_records
    from crawler.indexing import decode_html

    pages: list[tuple[str, str]] = []
    for path in sorted(warc_dir.glob("*.warc.gz")):
        for r in iter_records(path):
            if (r.rec_type == "response" and r.status == 200
                    and "ChiTietTinTuc" in r.target_uri):
                pages.append((r.target_uri, decode_html(r.content, r.header("Content-Type"))))
                if len(pages) >= limit:
                    return pages
    return pages


def extraction_ms(pages: list[tuple[str, str]]) -> tuple[float, float | None]:
    """Median ms/page of our extractor and of trafilatura (None when not installed)."""
    from crawler.extract import extract

    def median_ms(run) -> float:
        times = []
        for url, html in pages:
            start = time.perf_counter()
            run(url, html)
            times.append((time.perf_counter() - start) * 1000)
        return statistics.median(times)

    ours = median_ms(lambda url, html: extract(url, html, family="qnp").to_dict())
    try:
        import trafilatura
    except ImportError:
        return ours, None
    theirs = median_ms(lambda url, html: trafilatura.bare_extraction(
        html, url=url, with_metadata=True))
    return ours, theirs


# Targets of issue 8 ("Fast and lean"); `make bench` prints one PASS/FAIL line for each.
TARGET_RATIO = 1.0  # our HTML pages/s over wget's HTML pages/s
TARGET_RSS_MB = 250
TARGET_EXTRACT_MS = 2.0
TARGET_REINDEX_RATE = 500  # articles/s


def verdict(name: str, ok: bool, detail: str) -> bool:
    print(f"{'PASS' if ok else 'FAIL'} {name}: {detail}")
    return ok


def main() -> int:
    articles = int(os.environ.get("BENCH_ARTICLES", "5000"))
    work = Path(tempfile.mkdtemp(prefix="portal-archive-bench-"))
    proc, base = start_replica("--articles", str(articles))
    verdicts: list[bool] = []
    try:
        print(f"replica: {articles} articles at {base}")
        registry = write_registry(work / "registry.toml", base)
        out = work / "ours"
        seconds, code, rss = run_measured(
            [sys.executable, "-m", "crawler.cli", "crawl", "binhlieu", "--registry",
             str(registry), "--out", str(out), "-s", "AUTOTHROTTLE_ENABLED=False",
             "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS=16",
             "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16", "-s", "LOG_LEVEL=WARNING",
             "-s", "PROGRESS_ENABLED=False",
             # HTML pages/s against wget's HTML pages/s, which rejects images (below): the
             # articles' images and documents are not fetched here either.
             "-s", "REQUISITES_ENABLED=False"], ROOT)
        if code:
            print(f"crawl failed with exit status {code}")
            return 1
        conn = sqlite3.connect(out / "archive.db")
        pages = conn.execute("SELECT count(*) FROM captures").fetchone()[0]
        html_pages = conn.execute(
            "SELECT count(*) FROM captures WHERE lower(content_type) LIKE 'text/html%'"
        ).fetchone()[0]
        arts = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        conn.close()
        warcs = sorted((out / "warc").glob("*.warc.gz"))
        warc_bytes = sum(p.stat().st_size for p in warcs)
        db_bytes = (out / "archive.db").stat().st_size
        ours_rate = html_pages / seconds
        print(f"portal-archive: {pages} responses, {html_pages} HTML ({arts} articles) in "
              f"{seconds:.1f} s = {ours_rate:.1f} HTML pages/s, peak RSS {rss / 1e6:.0f} MB, "
              f"WARC {warc_bytes / max(arts, 1) / 1e3:.1f} KB/article, "
              f"DB {db_bytes / max(arts, 1) / 1e3:.1f} KB/article")
        verdicts.append(verdict("crawl peak RSS", rss / 1e6 <= TARGET_RSS_MB,
                                f"{rss / 1e6:.0f} MB (target <= {TARGET_RSS_MB} MB)"))

        # Reindex: rebuild a database from the crawl's WARC files alone.
        rseconds, rcode, _ = run_measured(
            [sys.executable, "-m", "crawler.cli", "reindex", *map(str, warcs),
             "--db", str(work / "reindex.db")], ROOT)
        if rcode:
            print(f"reindex failed with exit status {rcode}")
            verdicts.append(False)
        else:
            rrate = arts / rseconds
            print(f"reindex: {len(warcs)} WARC files, {arts} articles in {rseconds:.1f} s = "
                  f"{rrate:.0f} articles/s")
            verdicts.append(verdict("reindex rate", rrate >= TARGET_REINDEX_RATE,
                                    f"{rrate:.0f} articles/s (target >= "
                                    f"{TARGET_REINDEX_RATE})"))

        sample = article_pages(out / "warc")
        ours_ms, traf_ms = extraction_ms(sample)
        beside = f", trafilatura {traf_ms:.2f} ms" if traf_ms is not None else ""
        verdicts.append(verdict("extraction median", ours_ms <= TARGET_EXTRACT_MS,
                                f"{ours_ms:.2f} ms/article page over {len(sample)} pages"
                                f"{beside} (target <= {TARGET_EXTRACT_MS} ms)"))

        wget = shutil.which("wget")
        if not wget:
            print("wget not installed: no comparison")
            return 0 if all(verdicts) else 1
        wdir = work / "wget"
        wdir.mkdir()
        # wget also follows <img src>: images are rejected by extension so that its time, like
        # ours, goes to HTML pages; responses are then counted by Content-Type, HTML apart,
        # and the ratio compares HTML pages/s with HTML pages/s. (wget still fetches the
        # twin URLs of articles, print views and case variants, that we collapse: those are
        # HTML and count for it.)
        wseconds, _wcode, wrss = run_measured(
            [wget, "--recursive", "--level=inf", "--quiet", "--domains=127.0.0.1",
             "--reject-regex", "javascript:", "--reject", IMAGE_SUFFIXES,
             "--warc-file", str(wdir / "wget"),
             "--no-warc-keep-log", "-P", str(wdir / "files"), base], ROOT)
        wpages, whtml = count_responses(wdir / "wget.warc.gz")
        wget_rate = whtml / wseconds
        print(f"wget --recursive --warc-file: {wpages} responses, {whtml} HTML in "
              f"{wseconds:.1f} s = {wget_rate:.1f} HTML pages/s, peak RSS {wrss / 1e6:.0f} MB")
        ratio = ours_rate / wget_rate
        print(f"ratio (portal-archive / wget HTML pages/s): {ratio:.2f}")
        verdicts.append(verdict("crawl rate vs wget", ratio >= TARGET_RATIO,
                                f"{ratio:.2f}x wget's HTML pages/s (target >= "
                                f"{TARGET_RATIO:.1f}x)"))
    finally:
        stop(proc)
        shutil.rmtree(work, ignore_errors=True)
    print("not measured here: flat memory (a 20,000-article crawl within 10% of the "
          "5,000-article one: run BENCH_ARTICLES=20000 and compare)")
    return 0 if all(verdicts) else 1


IMAGE_SUFFIXES = "jpg,jpeg,png,gif,bmp,webp,svg,ico"


def search_section() -> int:
    """Search latency over generated articles (tests/bench_search.py), after the crawl."""
    from tests import bench_search

    print()
    return bench_search.main()


if __name__ == "__main__":
    # BENCH_SEARCH=0 skips the search section (quick crawl iterations).
    crawl_status = main()
    search_status = search_section() if os.environ.get("BENCH_SEARCH", "1") != "0" else 0
    sys.exit(crawl_status or search_status)
