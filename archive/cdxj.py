"""CDXJ indexes of WARC files, made by cdxj-indexer (the webrecorder indexer pywb and
ReplayWeb.page use), so our indexes are exactly what those tools expect.

One index per WARC file (``DIR/indexes/<name>.cdxj``, written when the file is closed or by
``portal-archive index``), and a merged, sorted index for a WACZ package. Lines are
``<SURT urlkey> <14-digit timestamp> {json}`` with url, mime, status, digest, length, offset
and filename; responses, revisits and non-``warc-fields`` resources and metadata are indexed.
No settings are read.
"""

from __future__ import annotations

import io
import os
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
    half index. Returns the index path."""
    target = index_path(index_dir, warc_file)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.writelines(cdxj_lines([warc_file]))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    return target
