"""Resuming a crawl that was killed (``portal-archive crawl … --resume``).

A crawl killed with SIGKILL leaves WARC files readable up to their last complete record (each
record is one gzip member, flushed as it is written) and a database that may lag behind them
(rows are committed in batches). Before the crawl starts again, ``prepare_resume``:

1. finds the newest unfinished crawl of the portal in the output directory's database;
2. seals its WARC files: a partial trailing record (cut by the kill, never acknowledged to the
   database) is moved to a ``<file>.partial-<offset>`` sidecar and the file truncated to its
   last complete record, so every file verifies clean and no byte is thrown away; damage in
   the middle of a file is only reported;
3. indexes the records the database lacks (``reindex(only_missing=True)``, the same code as
   reindex), and writes each file's CDXJ index.

The crawl then runs again under the same crawl id; the WARC capture middleware answers every
URL this crawl already archived from its WARC record instead of the network
(``WARC_RESUME``), so the spider still walks listings and finds links, nothing archived is
fetched or written twice, and the pipeline skips pages already indexed.

Scrapy's JOBDIR is not used: its queue state is saved on a clean shutdown only, so a SIGKILL
loses it, while the WARC files and the database are exactly what survived.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from archive import CorruptWarcError, iter_records, read_record_at
from archive.cdxj import write_cdxj
from archive.reader import next_member
from crawler.errors import PortalArchiveError
from crawler.reindex import reindex


class NothingToResumeError(PortalArchiveError):
    """No unfinished crawl to resume."""


@dataclass
class ResumePlan:
    crawl_id: str
    started_at: str
    files: list[Path] = field(default_factory=list)
    sealed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    indexed: int = 0


def crawl_warcs(warc_dir: Path, crawl_id: str) -> list[Path]:
    """The WARC files whose warcinfo names ``crawl_id`` (each rotated file starts with one)."""
    found = []
    for path in sorted(Path(warc_dir).glob("*.warc.gz")):
        try:
            info = read_record_at(path, 0)
        except CorruptWarcError:
            continue
        if info.rec_type == "warcinfo" and info.fields.get("portal-archive-crawl-id") == crawl_id:
            found.append(path)
    return found


def seal(path: Path) -> str | None:
    """Cut a partial trailing record off ``path`` into a sidecar file; describe what was done.
    A file damaged before its end is left as it is (and reported by verify)."""
    try:
        for _record in iter_records(path, decode_content=False):  # framing only: no bodies
            pass
    except CorruptWarcError as exc:
        if next_member(path, exc.offset) is not None:
            return None  # damage in the middle: not ours to repair
        size = path.stat().st_size
        with open(path, "rb") as fh:
            fh.seek(exc.offset)
            tail = fh.read()
        sidecar = path.with_name(f"{path.name}.partial-{exc.offset}")
        # A resume killed between writing the sidecar and cutting the file left it behind:
        # the same bytes are not written twice, other bytes never overwrite it.
        if not (sidecar.exists() and sidecar.read_bytes() == tail):
            serial = 1
            while sidecar.exists():
                sidecar = path.with_name(f"{path.name}.partial-{exc.offset}-{serial}")
                serial += 1
            with open(sidecar, "xb") as out:
                out.write(tail)
                out.flush()
                os.fsync(out.fileno())
        with open(path, "r+b") as fh:
            fh.truncate(exc.offset)
            fh.flush()
            os.fsync(fh.fileno())
        return (f"{path.name}: partial record at offset {exc.offset} ({size - exc.offset} "
                f"bytes) moved to {sidecar.name}")
    return None


def prepare_resume(out_dir: str | os.PathLike, portal_id: str,
                   db_path: str | os.PathLike | None = None,
                   warc_dir: str | os.PathLike | None = None, shard: str = "") -> ResumePlan:
    """Make the archive in ``out_dir`` consistent and say which crawl to continue (the
    worker ``shard`` of a sharded crawl, ``CRAWL_SHARD``; "" for an unsharded one)."""
    out = Path(out_dir)
    db = Path(db_path) if db_path else out / "archive.db"
    if not db.exists():
        raise NothingToResumeError(f"nothing to resume: {db} does not exist")
    conn = sqlite3.connect(db)
    try:
        row = conn.execute(
            "SELECT id, started_at FROM crawls WHERE portal_id = ? AND "
            "coalesce(status, 'running') NOT IN ('finished') AND "
            "coalesce(json_extract(settings, '$.CRAWL_SHARD'), '') = ? "
            "ORDER BY started_at DESC LIMIT 1",
            [portal_id, shard or ""]).fetchone()
    finally:
        conn.close()
    if row is None:
        which = f" (worker {shard})" if shard else ""
        raise NothingToResumeError(f"nothing to resume: no unfinished crawl of {portal_id}"
                                   f"{which} in {db}")
    plan = ResumePlan(crawl_id=row[0], started_at=row[1])
    plan.files = crawl_warcs(Path(warc_dir) if warc_dir else out / "warc", plan.crawl_id)
    for path in plan.files:
        note = seal(path)
        if note:
            plan.sealed.append(note)
    report = reindex(plan.files, db, only_missing=True)
    plan.indexed = report.captures
    plan.problems = report.errors
    for path in plan.files:
        write_cdxj(path, out / "indexes")
    return plan


def apply_resume(settings, spider_kwargs: dict, portal_id: str) -> ResumePlan:
    """Prepare the archive and set up Scrapy to continue its unfinished crawl (used by
    ``portal-archive crawl --resume``): same crawl id and start, ``WARC_RESUME`` on."""
    import click

    out = Path(settings.get("ARCHIVE_OUT_DIR") or "data")
    plan = prepare_resume(out, portal_id, settings.get("ARCHIVE_DB_PATH"),
                          settings.get("WARC_DIR"), settings.get("CRAWL_SHARD") or "")
    for note in plan.sealed + plan.problems:
        click.echo(f"resume: {note}", err=True)
    click.echo(f"resume: continuing crawl {plan.crawl_id} ({len(plan.files)} WARC files, "
               f"{plan.indexed} captures indexed from them)", err=True)
    settings.set("WARC_RESUME", True, priority="cmdline")
    spider_kwargs.update(crawl_id=plan.crawl_id, started_at=plan.started_at)
    return plan
