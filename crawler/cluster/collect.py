"""Gather finished Scrapyd jobs' outputs (shards) into the central archive.

A shard is one job's output directory, ``NODE_OUT/shards/<job>/`` with ``warc/*.warc.gz``
and ``archive.db``. For each shard: its database must have exactly the migrations this code
has (another schema version is refused), and every crawl in it must be finished (a job
still running, or killed with its node, is left for later). Then its WARC files are copied
to ``OUT/warc/`` (via a temporary name; SHA-256 of source and copy compared; a file already
there with the same digest is not copied again, one with another digest is an error) and
indexed into ``OUT/archive.db`` by ``crawler.reindex`` with ``only_missing``: the central
database is built from the WARCs by the same code as ``portal-archive reindex``, rows point
at the copied files, and collecting a shard twice adds nothing.

A shard that fails a check is reported with its reason and skipped; the central archive is
not touched for it.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from crawler.cluster.errors import ShardError
from crawler.reindex import reindex


@dataclass
class ShardResult:
    shard: Path
    copied: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    captures: int = 0
    error: str | None = None


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def shard_dirs(root: Path) -> list[Path]:
    """The shards under ``root`` (``root/shards/*`` or ``root`` itself being one)."""
    if (root / "archive.db").exists():
        return [root]
    return sorted(p for p in (root / "shards").glob("*") if p.is_dir())


def check_shard(shard: Path) -> list[Path]:
    """The shard's WARC files, or ShardError saying why it cannot be merged."""
    from db.schema import MIGRATIONS

    if not shard.is_dir():
        raise ShardError(f"{shard}: not found (node unreachable or output not shared?)")
    db_path = shard / "archive.db"
    if not db_path.exists():
        raise ShardError(f"{shard}: no archive.db (job not started or failed early)")
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            applied = {r[0] for r in conn.execute("SELECT name FROM _migrations")}
            unfinished = conn.execute(
                "SELECT count(*) FROM crawls WHERE finished_at IS NULL OR status = 'running'"
            ).fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise ShardError(f"{shard}: unreadable database: {exc}") from exc
    known = {name for name, _ in MIGRATIONS}
    if applied != known:
        extra, missing = sorted(applied - known), sorted(known - applied)
        raise ShardError(f"{shard}: schema version differs from this archive's "
                         f"(unknown migrations: {', '.join(extra) or 'none'}; "
                         f"missing: {', '.join(missing) or 'none'})")
    if unfinished:
        raise ShardError(f"{shard}: {unfinished} crawl(s) not finished (still running, "
                         "or lost with its node)")
    warcs = sorted(p for p in (shard / "warc").glob("*.warc*")
                   if p.name.endswith((".warc", ".warc.gz")))
    if not warcs:
        raise ShardError(f"{shard}: no WARC files")
    return warcs


def copy_verified(src: Path, dest_dir: Path) -> bool:
    """Copy ``src`` into ``dest_dir``; False when an identical copy is already there."""
    dest = dest_dir / src.name
    want = sha256(src)
    if dest.exists():
        if sha256(dest) == want:
            return False
        raise ShardError(f"{src}: {dest} already exists with other content")
    tmp = dest_dir / f".{src.name}.part"
    with open(src, "rb") as fin, open(tmp, "wb") as fout:
        while block := fin.read(1 << 20):
            fout.write(block)
        fout.flush()
        os.fsync(fout.fileno())
    if sha256(tmp) != want:
        tmp.unlink()
        raise ShardError(f"{src}: copy's SHA-256 differs from the original")
    tmp.replace(dest)
    return True


def collect(shards: Iterable[Path], out: Path) -> list[ShardResult]:
    """Merge each shard into ``out`` (``out/warc``, ``out/archive.db``); one result each."""
    out = Path(out)
    warc_dir = out / "warc"
    warc_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for shard in shards:
        result = ShardResult(Path(shard))
        results.append(result)
        try:
            warcs = check_shard(result.shard)
            for src in warcs:
                (result.copied if copy_verified(src, warc_dir) else result.already
                 ).append(src.name)
        except ShardError as exc:
            result.error = str(exc)
            continue
        # Index every file of the shard (not only the new copies): a collect interrupted
        # after copying is completed here; records already indexed are skipped.
        report = reindex([warc_dir / name for name in result.copied + result.already],
                         out / "archive.db", only_missing=True)
        result.captures = report.captures
        if report.errors:
            result.error = "; ".join(report.errors[:3])
    return results
