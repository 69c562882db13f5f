"""The articles a sharded crawl's workers left to each other, and the sweep that fetches them.

A worker of ``crawl --workers N`` (``crawler/sharding.py``) walks the whole navigation, so
every article a listing or the home page shows reaches its owner. An article linked only
from *articles* is different: a worker reads only its own share of articles, so the link
from an article of shard 0 to an article of shard 1 is seen by worker 0 alone, which does
not archive it. Each worker therefore writes down the other shards' articles it meets on
article pages (``HandoffLog``: ``<ARCHIVE_OUT_DIR>/handoffs/<crawl id>.tsv``, one
``key<TAB>url`` line each, appended; a killed worker may lose its last lines, but resumed it
reads its archived pages again, finds them again and appends to the same file). When every
worker has finished, the parent (``crawl_workers``) keeps those that no worker of the run
archived (``leftovers``) and runs one more, unsharded crawl of them (``CRAWL_SWEEP``: the
file of leftovers; ``CRAWL_SWEEP_RUN``: the run's crawl ids), which follows only links to
articles the run has not archived either. The portal sees one more short, polite crawl;
nothing the workers could reach together is missing. What a sweep archived counts for the run
(``run_sweeps``), so ``--resume`` after an interrupted sweep fetches only the rest.

Settings: ``ARCHIVE_OUT_DIR``; ``CRAWL_SWEEP`` (``""``), ``CRAWL_SWEEP_RUN`` (``""``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from crawler.seen import SeenSet

HANDOFF_DIR = "handoffs"


def handoff_path(out_dir: str | Path, crawl_id: str) -> Path:
    return Path(out_dir) / HANDOFF_DIR / f"{crawl_id}.tsv"


class HandoffLog:
    """Another worker's articles met on this worker's article pages, each written once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen = SeenSet()
        self._fh: IO[str] | None = None

    def add(self, key: str, url: str) -> None:
        if "\t" in key or "\n" in key or "\n" in url or not self._seen.add(key):
            return
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - kept open
        self._fh.write(f"{key}\t{url}\n")

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
        self._seen.close()


def read_articles(paths: Iterable[Path]) -> dict[str, str]:
    """key → URL from handoff or sweep files (missing files, torn and foreign lines
    skipped)."""
    found: dict[str, str] = {}
    for path in paths:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            continue
        for line in text.split("\n")[:-1]:  # a last line without its newline is torn
            key, sep, url = line.partition("\t")
            if sep and key and url.startswith(("http://", "https://")):
                found.setdefault(key, url)
    return found


def run_crawl_ids(conn: sqlite3.Connection, portal_id: str, workers: int) -> list[str]:
    """The latest crawl of each shard of an N-worker crawl of the portal (a resumed worker
    keeps its crawl id)."""
    ids = []
    for index in range(workers):
        row = conn.execute(
            "SELECT id FROM crawls WHERE portal_id = ? AND json_extract(settings, "
            "'$.CRAWL_SHARD') = ? ORDER BY started_at DESC LIMIT 1",
            [portal_id, f"{index}/{workers}"]).fetchone()
        if row:
            ids.append(row[0])
    return ids


def _captured_sql(crawl_ids: list[str]) -> str:
    marks = ", ".join("?" * len(crawl_ids))
    return ("SELECT DISTINCT a.article_id FROM article_captures ac JOIN articles a ON "
            "a.id = ac.article JOIN captures c ON c.id = ac.capture_id WHERE "
            f"c.crawl_id IN ({marks})")


def run_sweeps(conn: sqlite3.Connection, portal_id: str, crawl_ids: list[str]) -> list[str]:
    """Sweeps of the portal started since the first of the run's worker crawls (what an
    earlier, interrupted sweep of the run archived counts as archived)."""
    if not crawl_ids:
        return []
    marks = ", ".join("?" * len(crawl_ids))
    return [row[0] for row in conn.execute(
        "SELECT id FROM crawls WHERE portal_id = ? AND coalesce(json_extract(settings, "
        "'$.CRAWL_SWEEP'), '') != '' AND started_at >= (SELECT min(started_at) FROM crawls "
        f"WHERE id IN ({marks})) ORDER BY started_at", [portal_id, *crawl_ids])]


def leftovers(db: Path, out_dir: str | Path, portal_id: str, workers: int
              ) -> tuple[list[str], dict[str, str]]:
    """The run's crawl ids (its workers' and any sweep's since), and the articles its
    workers handed to each other that none of them archived (key → URL); each handed key is
    looked up, none of the run's are kept."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        workers_ids = run_crawl_ids(conn, portal_id, workers)
        handed = read_articles(handoff_path(out_dir, crawl_id) for crawl_id in workers_ids)
        ids = workers_ids + run_sweeps(conn, portal_id, workers_ids)
        sql = (_captured_sql(ids) + " AND a.portal_id = ? AND a.article_id = ? LIMIT 1"
               if ids else "")
        missing = {key: url for key, url in handed.items()
                   if conn.execute(sql, [*ids, portal_id, key]).fetchone() is None}
    finally:
        conn.close()
    return ids, missing


def write_articles(path: Path, articles: dict[str, str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{key}\t{url}\n" for key, url in articles.items()),
                    encoding="utf-8")
    return path


def archived_set(db: Path, crawl_ids: list[str]) -> SeenSet:
    """Keys of the articles the given crawls captured, on disk (the sweep's spider asks it
    for every article link; a run may hold a million)."""
    done = SeenSet()
    if db.exists() and crawl_ids:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            for (key,) in conn.execute(_captured_sql(crawl_ids), crawl_ids):
                done.add(key)
        finally:
            conn.close()
    return done
