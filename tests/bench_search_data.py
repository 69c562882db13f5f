"""The generated archive behind the query benchmark (tests/bench_search.py), cached on disk.

What :func:`archive` writes for ``n`` articles (the replica's ground truth, no crawl):

- portals: the replica's three (binhlieu, tienyen, bache), ``n / 3`` articles each (titles,
  dates 2019–2024, authors, categories, summaries, bodies; each has the founding article);
- crawls: one daily crawl per portal over the six years (03:00 local, 20:00 UTC: 6,576 crawls);
- captures: per crawl the home page and the six category listings, then every article the
  portal published the day before (its one capture: ``first_captured_at``,
  ``last_captured_at``, ``last_capture_id`` point at it);
- visit_counters: one row per metric per HTML capture, five metrics (``visits_today``,
  ``visits_yesterday``, ``visits_month``, ``visits_total``, ``online_now``) whose values move
  like a real counter (totals grow; today's count grows through the day);
- not generated: article_versions, article_captures (neither search nor the counters read them).

Fast path: the schema comes from :class:`db.ArchiveStore` (all migrations); the secondary
indexes are then dropped and rows bulk-inserted without a journal inside
:func:`db.bulk.deferred_search_index` (search-index triggers set aside, each search index
rebuilt once at the end), and the dropped indexes recreated from their own saved SQL. The
result's ``sqlite_master`` is checked equal to a freshly migrated database's.

Cache: ``data/bench/search-<n>-<key>.db``, where ``key`` hashes the schema's SQL and
``GENERATOR_VERSION``; building a new one removes the stale ones of the same size. Written to a
temporary name and renamed, so an interrupted run leaves no half-built cache.
"""

from __future__ import annotations

import hashlib
import heapq
import random
import sqlite3
import tempfile
import time
from datetime import UTC, timedelta
from pathlib import Path

from db import ArchiveStore
from db.bulk import deferred_search_index
from tests.replica.model import CATEGORIES, DAYS, FIRST_DAY, PORTALS, Article, generate_articles

GENERATOR_VERSION = 1
CACHE_DIR = Path(__file__).resolve().parents[1] / "data" / "bench"
METRICS = (("visits_today", "Hôm nay:"), ("visits_yesterday", "Hôm qua:"),
           ("visits_month", "Tháng này:"), ("visits_total", "Đã truy cập:"),
           ("online_now", "Đang truy cập:"))
LISTINGS = ("/", *(f"/Trang/DanhSachTinTuc.aspx?cid={c}" for c in CATEGORIES))
CRAWL_HOUR_LOCAL = 3  # 20:00 UTC the day before
ARTICLE_PAGE_BYTES = 64_000


def schema_sql(path: Path) -> list[tuple[str, str, str, str]]:
    """Every schema object of the database (type, name, table, SQL), in a stable order."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master "
                            "ORDER BY type, name").fetchall()
    conn.close()
    return rows


def fresh_schema(directory: Path) -> list[tuple[str, str, str, str]]:
    path = directory / "schema.db"
    ArchiveStore(path).close()
    return schema_sql(path)


def cache_key(schema: list[tuple[str, str, str, str]]) -> str:
    digest = hashlib.sha256(repr((GENERATOR_VERSION, schema)).encode("utf-8"))
    return digest.hexdigest()[:12]


def archive(n: int, cache_dir: Path = CACHE_DIR) -> tuple[Path, float | None]:
    """The generated database of ``n`` articles: (path, seconds spent building it, or None
    when it came from the cache)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="schema-", dir=cache_dir) as tmp:
        schema = fresh_schema(Path(tmp))
    path = cache_dir / f"search-{n}-{cache_key(schema)}.db"
    if path.exists():
        return path, None
    for stale in cache_dir.glob(f"search-{n}-*.db*"):
        stale.unlink()
    start = time.perf_counter()
    partial = path.with_suffix(".partial")
    for leftover in cache_dir.glob(partial.name + "*"):
        leftover.unlink()
    build(partial, n)
    got = schema_sql(partial)
    if got != schema:
        missing = sorted(set(schema) - set(got))
        raise SystemExit(f"generated schema differs from the project's: {missing[:3]}")
    partial.rename(path)
    return path, time.perf_counter() - start


def build(path: Path, n: int) -> None:
    """Write the generated archive into a new database at ``path``."""
    store = ArchiveStore(path)
    for key, portal in PORTALS.items():
        store.upsert_portal({"id": key, "name": portal.site_name, "province": "Quảng Ninh",
                             "district": f"Huyện {portal.name}",
                             "base_url": f"https://{portal.host}/", "family": "qnp",
                             "confirmed": 1})
    store.close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=OFF")  # a throwaway file until it is renamed
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-512000")
    # Search-index triggers and secondary indexes cost far more per row than one build at the
    # end (the search indexes are rebuilt by deferred_search_index).
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND "
        "tbl_name IN ('articles', 'captures', 'visit_counters')").fetchall()
    for name, _ in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    with deferred_search_index(conn):
        conn.execute("BEGIN")
        write_rows(conn, n)
        conn.execute("COMMIT")
    conn.execute("BEGIN")
    for _, sql in indexes:
        conn.execute(sql)
    conn.execute("COMMIT")
    conn.execute("PRAGMA journal_mode=WAL")  # what ArchiveStore leaves a database in
    conn.close()


def utc(dt) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_rows(conn: sqlite3.Connection, n: int) -> None:
    per_portal = {key: n // len(PORTALS) + (i < n % len(PORTALS))
                  for i, key in enumerate(PORTALS)}
    by_day: dict[tuple[int, str], list[Article]] = {}
    streams = [generate_articles(per_portal[key], 1, portal) for key, portal in PORTALS.items()]
    for art in heapq.merge(*streams, key=lambda a: a.published_at):
        day = (art.published_at - FIRST_DAY).days
        by_day.setdefault((day, art.portal.key), []).append(art)
    capture_id = article_id = 0
    counters = {key: Counter(key) for key in PORTALS}
    for crawl_day in range(1, DAYS + 1):
        for key, portal in PORTALS.items():
            start = FIRST_DAY + timedelta(days=crawl_day, hours=CRAWL_HOUR_LOCAL)
            crawl_id = f"{key}-{start.astimezone(UTC):%Y%m%dT%H%M%SZ}"
            arts = by_day.pop((crawl_day - 1, key), [])
            pages = [(f"https://{portal.host}{u}", "listing", None) for u in LISTINGS]
            pages += [(f"https://{portal.host}{a.url}", "article", a) for a in arts]
            captures, articles, visits = [], [], []
            warc_offset = 0
            for i, (url, page_type, art) in enumerate(pages):
                capture_id += 1
                at = utc(start + timedelta(seconds=i))
                digest = hashlib.sha1(f"{crawl_id}{i}".encode()).hexdigest()
                captures.append((
                    capture_id, crawl_id, key, url, 200, at, "text/html; charset=utf-8",
                    ARTICLE_PAGE_BYTES, f"sha1:{digest}", f"{crawl_id}-00000.warc.gz",
                    warc_offset, 21_000, f"<urn:uuid:{uuid_of(capture_id)}>", page_type, "ok"))
                warc_offset += 21_500
                visits += counters[key].rows(capture_id, at, start, i)
                if art is not None:
                    article_id += 1
                    articles.append(article_row(article_id, art, at, capture_id))
            conn.execute(
                "INSERT INTO crawls (id, portal_id, started_at, finished_at, status, "
                "finish_reason, pages, articles, errors, bytes) VALUES (?, ?, ?, ?, 'finished', "
                "'finished', ?, ?, 0, ?)",
                (crawl_id, key, utc(start), utc(start + timedelta(seconds=len(pages))),
                 len(pages), len(arts), len(pages) * ARTICLE_PAGE_BYTES))
            conn.executemany(
                "INSERT INTO captures (id, crawl_id, portal_id, url, status, fetched_at, "
                "content_type, content_length, payload_digest, warc_file, warc_offset, "
                "warc_length, warc_record_id, page_type, extract_status) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", captures)
            conn.executemany(
                "INSERT INTO articles (id, portal_id, article_id, url, title, published_at, "
                "published_raw, date_precision, author, summary, body_text, category, "
                "view_count, first_captured_at, last_captured_at, versions, last_capture_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", articles)
            conn.executemany(
                "INSERT INTO visit_counters (portal_id, captured_at, capture_id, metric, value, "
                "label_raw, value_raw) VALUES (?, ?, ?, ?, ?, ?, ?)", visits)
    if by_day:
        raise SystemExit(f"{len(by_day)} article days fell outside the crawl calendar")


def uuid_of(number: int) -> str:
    return f"00000000-0000-4000-8000-{number:012x}"


def article_row(pk: int, art: Article, captured_at: str, capture_id: int) -> tuple:
    p = art.published
    views = random.Random(pk).randrange(20, 5000)
    return (pk, art.portal.key, str(art.nid), f"https://{art.portal.host}{art.url}", art.title,
            f"{p[6:10]}-{p[3:5]}-{p[:2]}T{p[11:16]}:00+07:00", p, "minute", art.author,
            art.summary, art.text, CATEGORIES[art.category], views, captured_at, captured_at,
            1, capture_id)


class Counter:
    """A portal's visit counter widget through the years (daily traffic with a weekly rhythm
    and slow growth)."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.rng = random.Random(f"counters:{key}")
        self.base = self.rng.randrange(300, 3000)
        self.total = self.rng.randrange(100_000, 2_000_000)
        self.day = None
        self.yesterday = self.today_full = self.month_sum = 0

    def _advance(self, start) -> None:
        day = start.date()
        if day == self.day:
            return
        if self.day is not None:
            self.total += self.today_full
            same_month = day.month == self.day.month
            self.month_sum = self.month_sum + self.today_full if same_month else 0
        self.yesterday, self.day = self.today_full, day
        growth = 1 + (day.toordinal() - FIRST_DAY.date().toordinal()) / 2000
        weekend = 0.6 if day.weekday() >= 5 else 1.0
        self.today_full = int(self.base * growth * weekend * self.rng.uniform(0.7, 1.3))

    def rows(self, capture_id: int, at: str, start, index: int) -> list[tuple]:
        self._advance(start)
        today = self.today_full // 8 + index // 4  # 03:00 local: an eighth of the day so far
        values = (today, self.yesterday, self.month_sum + today, self.total + today,
                  5 + (capture_id * 7919) % 40)
        return [(self.key, at, capture_id, metric, value, label, f"{value:,}".replace(",", "."))
                for (metric, label), value in zip(METRICS, values, strict=True)]
