"""Search latency over a large archive: generate articles straight into a database (no crawl:
the replica's ground truth, BENCH_SEARCH_ARTICLES, default 100,000) and time 50 searches
through Datasette's in-process client, configured as ``portal-archive serve`` configures it.

Three paths are timed: the search box of the ``articles`` table and of the ``articles_browse``
view (``?_search=…``: page of 50, the match count and the configured facets) and the ranked
canned query (``/archive/search.json?q=…``). Queries are the
issue's seven (with and without diacritics, ``đ``) and words drawn from titles, half typed with
diacritics and half without. Prints median and p95; a benchmark, it asserts nothing.
Run alone with ``python -m tests.bench_search``; ``make bench`` runs it after the crawl figures.
"""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import unicodedata
from pathlib import Path
from urllib.parse import quote

from crawler.cli.serve import make_datasette
from db import ArchiveStore
from tests.replica.model import CATEGORIES, PORTALS, generate_articles

ISSUE_QUERIES = ["Binh Lieu", "binh lieu", "Bình Liêu", "BÌNH LIÊU", "dong rieng",
                 "Duong Manh Cuong", "Dương Mạnh Cường"]


def strip_marks(text: str) -> str:
    plain = "".join(c for c in unicodedata.normalize("NFD", text)
                    if not unicodedata.combining(c))
    return plain.replace("đ", "d").replace("Đ", "D")


def build(path: Path, count: int) -> list[str]:
    """Write ``count`` generated articles (+ the founding one); return the titles."""
    store = ArchiveStore(path)
    portal = PORTALS["binhlieu"]
    store.upsert_portal({"id": "binhlieu", "name": portal.site_name, "province": "Quảng Ninh",
                         "district": "Huyện Bình Liêu", "base_url": f"https://{portal.host}/",
                         "family": "qnp"})
    titles = []

    def rows():
        for art in generate_articles(count, 1, portal):
            p = art.published
            titles.append(art.title)
            yield ("binhlieu", str(art.nid), f"https://{portal.host}{art.url}", art.title,
                   f"{p[6:10]}-{p[3:5]}-{p[:2]}T{p[11:16]}:00+07:00", p, "minute", art.author,
                   art.summary, art.text, CATEGORIES[art.category], 1)

    store.close()
    # Bulk load without a journal (a throwaway file): the triggers still fill the FTS indexes.
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    with conn:
        conn.executemany(
            "INSERT INTO articles (portal_id, article_id, url, title, published_at,"
            " published_raw, date_precision, author, summary, body_text, category, versions)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows())
    conn.close()
    return titles


def pick_queries(titles: list[str], n: int = 50) -> list[str]:
    rng = random.Random(6)
    queries = list(ISSUE_QUERIES)
    while len(queries) < n:
        words = rng.choice(titles).split()
        start = rng.randrange(max(1, len(words) - 1))
        phrase = " ".join(words[start:start + rng.choice((1, 2, 2, 3))])
        queries.append(phrase if len(queries) % 2 else strip_marks(phrase))
    return queries


async def time_queries(ds, paths: list[str]) -> list[float]:
    timings = []
    for path in paths:
        start = time.perf_counter()
        response = await ds.client.get(path)
        timings.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path}: HTTP {response.status_code}")
    return timings


def report(label: str, timings: list[float]) -> None:
    ordered = sorted(timings)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    print(f"{label}: {len(timings)} queries, median {statistics.median(ordered):.1f} ms, "
          f"p95 {p95:.1f} ms, max {ordered[-1]:.1f} ms")


def main() -> int:
    count = int(os.environ.get("BENCH_SEARCH_ARTICLES", "100000"))
    keep = os.environ.get("BENCH_SEARCH_DB")  # reuse (or keep) the generated database here
    with tempfile.TemporaryDirectory(prefix="portal-archive-search-") as work:
        path = Path(keep) if keep else Path(work) / "archive.db"
        start = time.perf_counter()
        if path.exists():
            titles = [r[0] for r in sqlite3.connect(path).execute("SELECT title FROM articles")]
            print(f"search: reusing {path} ({len(titles)} articles)")
        else:
            titles = build(path, count)
            print(f"search: {len(titles)} generated articles written in "
                  f"{time.perf_counter() - start:.1f} s "
                  f"(DB {path.stat().st_size / 1e6:.0f} MB, folded FTS kept by triggers)")
        queries = pick_queries(titles)
        ds = make_datasette(str(path))
        paths = {
            "search box, articles table   /archive/articles.json?_search=":
                [f"/archive/articles.json?_search={quote(q)}" for q in queries],
            "search box, browse + facets  /archive/articles_browse.json?_search=":
                [f"/archive/articles_browse.json?_search={quote(q)}" for q in queries],
            "ranked canned query          /archive/search.json?q=":
                [f"/archive/search.json?q={quote(q)}" for q in queries],
        }

        async def run():
            await time_queries(ds, paths[next(iter(paths))][:3])  # warm cache and connections
            return {label: await time_queries(ds, urls) for label, urls in paths.items()}

        for label, timings in asyncio.run(run()).items():
            report(label, timings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
