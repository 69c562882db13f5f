"""CDXJ indexes of WARC files, made by cdxj-indexer (the webrecorder indexer pywb and
ReplayWeb.page use), so our indexes are exactly what those tools expect.

One index per WARC file (``DIR/indexes/<name>.cdxj``, written when the file is closed or by
``portal-archive index``), and a merged, sorted index for a WACZ package. Lines are
``<SURT urlkey> <14-digit timestamp> {json}`` with url, mime, status, digest, length, offset
and filename; responses, revisits and non-``warc-fields`` resources and metadata are indexed.
No settings are read.
"""

from __future__ import annotations

import heapq
import io
import itertools
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from cdxj_indexer.main import CDXJIndexer


def warc_stem(path: str | os.PathLike) -> str:
    """``binhlieu-…-00000`` for ``binhlieu-…-00000.warc.gz``."""
    name = Path(path).name
    for ext in (".warc.gz", ".warc"):
        if name.endswith(ext):
            return name[: -len(ext)]
    return name


def cdxj_lines(warc_files: Iterable[str | os.PathLike]) -> list[str]:
    """The sorted CDXJ lines of the given WARC files (``filename`` is each file's name)."""
    out = io.StringIO()
    indexer = CDXJIndexer(out, [str(p) for p in warc_files], sort=True)
    indexer.process_all()
    return out.getvalue().splitlines(keepends=True)


def index_path(index_dir: str | os.PathLike, warc_file: str | os.PathLike) -> Path:
    return Path(index_dir) / f"{warc_stem(warc_file)}.cdxj"


def write_cdxj(warc_file: str | os.PathLike, index_dir: str | os.PathLike) -> Path:
    """Write (or rewrite) the CDXJ index of one WARC file; atomic, so a crash never leaves a
    half index. Returns the index path.

    The lines are sorted outside memory (sorted runs of ``SORT_RUN`` lines in temporary
    files, then merged): cdxj-indexer's own sort holds every line of the file, so the memory
    of a crawl closing a large WARC would grow with the file."""
    target = index_path(index_dir, warc_file)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".cdxj-") as work:
        unsorted = Path(work) / "unsorted"
        with open(unsorted, "w", encoding="utf-8") as raw:
            CDXJIndexer(raw, [str(warc_file)], sort=False).process_all()
        runs = _sorted_runs(unsorted, Path(work))
        with open(tmp, "w", encoding="utf-8") as fh:
            files = [open(run, encoding="utf-8") for run in runs]  # noqa: SIM115
            try:
                fh.writelines(heapq.merge(*files))
            finally:
                for f in files:
                    f.close()
            fh.flush()
            os.fsync(fh.fileno())
    os.replace(tmp, target)
    return target


SORT_RUN = 20_000  # lines sorted in memory at a time (~8 MB)


def _sorted_runs(unsorted: Path, work: Path) -> list[Path]:
    runs: list[Path] = []
    with open(unsorted, encoding="utf-8") as lines:
        while chunk := list(itertools.islice(lines, SORT_RUN)):
            chunk = [line if line.endswith("\n") else line + "\n" for line in chunk]
            chunk.sort()
            run = work / f"run-{len(runs):05d}"
            run.write_text("".join(chunk), encoding="utf-8")
            runs.append(run)
    return runs
