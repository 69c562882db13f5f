"""``portal-archive crawl PORTAL --workers N``: one portal's crawl split over N processes.

Each worker is ``portal-archive crawl`` itself with ``-s CRAWL_SHARD=I/N`` (see
``crawler/sharding.py``): it walks the portal's navigation and archives its share of the
articles into the same output directory (its own WARC files, the shared database, whose
writes are short bursts so the workers never stall each other). The per-host concurrency is
divided and the delays multiplied, so the portal sees the load of one polite crawl. On a
terminal the workers' own progress lines are replaced by one line for all of them, read
from the database.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import click

from crawler.sharding import worker_overrides

PROGRESS_SECONDS = 2.0


def setting_overrides(items: tuple[str, ...]) -> list[tuple[str, str]]:
    """The ``-s NAME=VALUE`` options of ``crawl`` as (name, value) pairs; a malformed one is
    a usage error."""
    pairs = []
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{item!r}: expected NAME=VALUE", param_hint="-s")
        pairs.append((name, value))
    return pairs


def light_settings(out: str, overrides: tuple[str, ...]) -> dict[str, object]:
    """The crawl's settings as far as this process needs them (project defaults, ``--out``,
    ``-s`` overrides), read without importing Scrapy: a parent that only watches its
    workers should not cost the memory of another crawler."""
    from crawler import settings as defaults

    values: dict[str, object] = {k: getattr(defaults, k) for k in dir(defaults) if k.isupper()}
    values["ARCHIVE_OUT_DIR"] = out
    values.update(setting_overrides(overrides))
    return values


def run_workers(portal_id: str, target: list[str], out: str, settings, user_settings:
                tuple[str, ...], workers: int, limit: int | None, resume: bool) -> None:
    """Start the workers, show their joint progress, fail if any of them failed."""
    from crawler.incremental import db_path
    from db import ArchiveStore

    db = Path(db_path(settings))
    db.parent.mkdir(parents=True, exist_ok=True)
    ArchiveStore(db).close()  # migrated once, before the workers open it together
    overrides = worker_overrides(settings.get, workers)
    tty = sys.stderr.isatty()
    started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    shards = range(workers)
    if resume:  # continue the workers that did not finish; the others are done
        shards = [i for i in shards if _unfinished(db, portal_id, f"{i}/{workers}")]
        if not shards:
            # the workers finished; the sweep after them may not have (or not have run)
            if sweep(portal_id, target, out, db, user_settings, workers):
                return
            raise click.ClickException(f"nothing to resume: no unfinished worker of a "
                                       f"{workers}-worker crawl of {portal_id} in {db}")
    procs = []
    for index in shards:
        args = [sys.executable, "-m", "crawler.cli", "crawl", *target, "--out", out]
        if limit:  # the portal's URL budget, shared out
            args += ["--limit", str(-(-limit // workers))]
        for item in user_settings:
            args += ["-s", item]
        for name, value in overrides.items():
            args += ["-s", f"{name}={value}"]
        args += ["-s", f"CRAWL_SHARD={index}/{workers}"]
        if tty:
            args += ["-s", "PROGRESS_ENABLED=False"]
        args += ["--resume"] if resume else []
        procs.append(subprocess.Popen(args))
    last = 0.0
    while any(p.poll() is None for p in procs):
        if tty and time.monotonic() - last >= PROGRESS_SECONDS:
            last = time.monotonic()
            pages, articles = _progress(db, portal_id, started)
            running = sum(p.poll() is None for p in procs)
            click.echo(f"\r{portal_id}: {pages} pages, {articles} articles archived by "
                       f"{running}/{workers} workers ", nl=False, err=True)
        time.sleep(0.2)
    if tty:
        click.echo("", err=True)
    failed = [f"{i}/{workers} (exit {p.returncode})"
              for i, p in zip(shards, procs, strict=True) if p.returncode != 0]
    pages, articles = _progress(db, portal_id, started)
    click.echo(f"{portal_id}: {workers} workers archived {pages} pages, {articles} articles",
               err=True)
    if failed:
        raise click.ClickException(f"crawl of {portal_id} failed in worker(s) "
                                   f"{', '.join(failed)}")
    sweep(portal_id, target, out, db, user_settings, workers)


def sweep(portal_id: str, target: list[str], out: str, db: Path,
          user_settings: tuple[str, ...], workers: int) -> bool:
    """One more crawl, unsharded, of the articles the workers linked each other to from
    their articles and none of them (nor an earlier sweep of the run) archived
    (crawler/sweep.py). False when there was nothing to fetch."""
    from crawler.sweep import HANDOFF_DIR, leftovers, write_articles

    run, missing = leftovers(db, out, portal_id, workers)
    if not missing:
        return False
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    listed = write_articles(Path(out) / HANDOFF_DIR / f"sweep-{portal_id}-{stamp}.tsv",
                            missing)
    click.echo(f"{portal_id}: {len(missing)} article(s) linked only from another worker's "
               f"articles; one more crawl fetches them", err=True)
    args = [sys.executable, "-m", "crawler.cli", "crawl", *target, "--out", out]
    for item in user_settings:
        args += ["-s", item]
    args += ["-s", f"CRAWL_SWEEP={listed}", "-s", f"CRAWL_SWEEP_RUN={','.join(run)}"]
    if subprocess.run(args).returncode != 0:
        raise click.ClickException(f"crawl of {portal_id}: the sweep after the workers "
                                   f"failed ({listed}); --resume runs it again")
    return True


def _unfinished(db: Path, portal_id: str, shard: str) -> bool:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(
            "SELECT count(*) FROM crawls WHERE portal_id = ? AND coalesce(status, 'running') "
            "!= 'finished' AND json_extract(settings, '$.CRAWL_SHARD') = ?",
            [portal_id, shard]).fetchone()[0] > 0
    finally:
        conn.close()


def _progress(db: Path, portal_id: str, since: str) -> tuple[int, int]:
    """Captures and articles of the portal's crawls started since ``since`` (UTC)."""
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return conn.execute(
                """SELECT count(*), count(DISTINCT ac.article) FROM captures c
                   LEFT JOIN article_captures ac ON ac.capture_id = c.id
                   WHERE c.crawl_id IN (SELECT id FROM crawls WHERE portal_id = ?
                                        AND (started_at >= ? OR status = 'running'))""",
                [portal_id, since]
            ).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return 0, 0
