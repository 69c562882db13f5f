"""CDXJ indexes of WARC files, made by cdxj-indexer (the webrecorder indexer pywb and
ReplayWeb.page use), so our indexes are exactly what those tools expect.

One index per WARC file (``DIR/indexes/<name>.cdxj``), and a merged, sorted index for a WACZ
package. Lines are ``<SURT urlkey> <14-digit timestamp> {json}`` with url, mime, status,
digest, length, offset and filename; responses, revisits and non-``warc-fields`` resources and
metadata are indexed.

A crawl makes each file's lines as it writes its records (``InlineIndex``: the writer's
``on_record`` and ``on_close`` hooks), from the record objects it holds (``cdxj_line``: the
line cdxj-indexer makes of each record, without its import in every crawl), into an
unsorted ``<name>.cdxj.spill`` beside the index; closing the file sorts the spill into the
index. ``write_cdxj`` makes the same index by reading the file again
(``portal-archive index``, resuming a killed crawl, whose stale spill it removes).
No settings are read.
"""

from __future__ import annotations

import contextlib
import heapq
import io
import itertools
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from warcio.recordloader import ArcWarcRecord, ArcWarcRecordLoader
from warcio.timeutils import iso_date_to_timestamp

from archive.exchange import WarcPointer

if TYPE_CHECKING:
    from cdxj_indexer.main import CDXJIndexer

logger = logging.getLogger(__name__)


def warc_stem(path: str | os.PathLike) -> str:
    """``binhlieu-…-00000`` for ``binhlieu-…-00000.warc.gz``."""
    name = Path(path).name
    for ext in (".warc.gz", ".warc"):
        if name.endswith(ext):
            return name[: -len(ext)]
    return name


def cdxj_lines(warc_files: Iterable[str | os.PathLike]) -> list[str]:
    """The sorted CDXJ lines of the given WARC files (``filename`` is each file's name)."""
    from cdxj_indexer.main import CDXJIndexer

    out = io.StringIO()
    indexer = CDXJIndexer(out, [str(p) for p in warc_files], sort=True)
    indexer.process_all()
    _release(indexer)
    return out.getvalue().splitlines(keepends=True)


def index_path(index_dir: str | os.PathLike, warc_file: str | os.PathLike) -> Path:
    return Path(index_dir) / f"{warc_stem(warc_file)}.cdxj"


def write_cdxj(warc_file: str | os.PathLike, index_dir: str | os.PathLike) -> Path:
    """Write (or rewrite) the CDXJ index of one WARC file; atomic, so a crash never leaves a
    half index. Returns the index path.

    The lines are sorted outside memory (sorted runs of ``SORT_RUN`` lines in temporary
    files, then merged): cdxj-indexer's own sort holds every line of the file, so the memory
    of a crawl closing a large WARC would grow with the file."""
    from cdxj_indexer.main import CDXJIndexer

    target = index_path(index_dir, warc_file)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".cdxj-") as work:
        unsorted = Path(work) / "unsorted"
        with open(unsorted, "w", encoding="utf-8") as raw:
            indexer = CDXJIndexer(raw, [str(warc_file)], sort=False)
            indexer.process_all()
            _release(indexer)
        _sort_into(unsorted, target, Path(work))
    # A crawl killed while writing this file left its lines half made: this index replaces them.
    spill_path(index_dir, warc_file).unlink(missing_ok=True)
    return target


def _release(indexer: CDXJIndexer) -> None:
    """Close the temporary file cdxj-indexer opens (a BufferWARCWriter, to digest a revisit
    that has no payload digest) and never closes."""
    if indexer.writer is not None:
        indexer.writer.out.close()
        indexer.writer = None


def spill_path(index_dir: str | os.PathLike, warc_file: str | os.PathLike) -> Path:
    """Where a crawl collects the unsorted lines of a WARC file it is writing."""
    return Path(index_dir) / f"{warc_stem(warc_file)}.cdxj.spill"


def _sort_into(unsorted: Path, target: Path, work: Path) -> None:
    """Sort the lines of ``unsorted`` into ``target`` (atomically, fsync'd)."""
    tmp = target.with_name(target.name + ".tmp")
    runs = _sorted_runs(unsorted, work)
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


class _At:
    """What cdxj-indexer asks its record iterator: where the record lies in the file."""

    __slots__ = ("length", "offset")

    def __init__(self, offset: int = 0, length: int = 0) -> None:
        self.offset, self.length = offset, length

    def get_record_offset(self) -> int:
        return self.offset

    def get_record_length(self) -> int:
        return self.length


# What cdxj-indexer (main.py, CDXJIndexer with its defaults) indexes and how: the records,
# the JSON fields in their order, the MIME type cut at the first ';' or space.
INDEXED_RECORDS = frozenset({"response", "revisit", "resource", "metadata"})
_MIME_CUT = re.compile(r"[;\s]")


def indexed(record: ArcWarcRecord) -> bool:
    """Whether cdxj-indexer indexes ``record`` (its ``filter_record``)."""
    return record.rec_type in INDEXED_RECORDS and not (
        record.rec_type in ("resource", "metadata")
        and record.rec_headers.get_header("Content-Type") == "application/warc-fields")


def cdxj_line(record: ArcWarcRecord, filename: str, offset: int, length: int) -> str:
    """The CDXJ line cdxj-indexer makes of an ``indexed`` ``record`` (read from ``filename``
    at ``offset``, ``length`` bytes): the line its ``process_index_entry`` gives
    (tests/test_cdxj_inline.py compares them over every kind of record the crawl writes),
    without importing it into every crawl process: its import (pyamf, pkg_resources) cost
    ~150 ms of each crawl's start-up CPU. A record with no payload digest other than a revisit
    (which gets none) is handed to cdxj-indexer, which computes one."""
    rec_type = record.rec_type
    headers = record.rec_headers
    content_type = headers.get_header("Content-Type")
    digest = headers.get_header("WARC-Payload-Digest")
    if not digest and rec_type != "revisit":
        return _indexer_line(record, filename, offset, length)
    http = record.http_headers
    index: dict[str, str] = {}
    url = headers.get_header("WARC-Target-URI")
    if url is not None:
        index["url"] = url
    if rec_type == "revisit":
        mime: str | None = "warc/revisit"
    else:
        if rec_type == "response":
            mime = http.get_header("Content-Type") if http else None
        else:
            mime = content_type
        if mime:
            mime = _MIME_CUT.split(mime, 1)[0].strip()
    if mime is not None:
        index["mime"] = mime
    if http and rec_type in ("response", "revisit"):
        index["status"] = http.get_statuscode()
    if digest is not None:
        index["digest"] = digest
    index.update(length=str(length), offset=str(offset), filename=filename)
    return f"{_urlkey(url)} {iso_date_to_timestamp(headers.get_header('WARC-Date'))} " \
           f"{json.dumps(index)}\n"


@lru_cache(maxsize=256)  # a page's request, response and metadata records share its URL
def _urlkey(url: str | None) -> str | None:
    import surt  # its import (tldextract, requests) waits for the first line

    try:
        return surt.surt(url)
    except Exception:  # noqa: BLE001 - as cdxj-indexer: the URL itself then
        return url


def _indexer_line(record: ArcWarcRecord, filename: str, offset: int, length: int) -> str:
    from cdxj_indexer.main import CDXJIndexer

    out = io.StringIO()
    indexer = CDXJIndexer(None, [])
    indexer.curr_filename = filename
    indexer.process_index_entry(_At(offset, length), record, filename, out)
    _release(indexer)
    return out.getvalue()


class InlineIndex:
    """The CDXJ index of each WARC file a writer writes, made as its records are written:
    ``add`` is the writer's ``on_record`` hook, ``finish`` its ``on_close`` hook. The index
    is byte for byte what ``write_cdxj`` makes from the closed file, without reading,
    gunzipping and parsing every record of it again.

    Each line is ``cdxj_line`` (what cdxj-indexer's ``filter_record`` and
    ``process_index_entry`` make) of the record object the writer formatted (after it was
    written, so its headers are as written). What the indexer reads of it (WARC-Type,
    -Target-URI, -Date, -Payload-Digest, Content-Type; the HTTP status line and Content-Type) reads
    back the same from the file unless parsing would change it (whitespace around a value, a
    line break in one, a target URI in ``<>`` or with a space): a file with such a record is
    indexed from the file when it is closed. A revisit with no payload digest (a 304) gets no
    digest either way (warcio computes none for revisits); every other record has one from
    warcio's record builder, so the indexer never reads a record's payload here.

    Lines go to ``<name>.cdxj.spill`` beside the index as they are made (memory stays flat),
    and are sorted into the index when the file is closed. Indexing never fails a write: after
    an error the file's index is made from the file when it is closed."""

    def __init__(self, index_dir: str | os.PathLike) -> None:
        self.index_dir = Path(index_dir)
        self._file: str | None = None  # the WARC file being written (its name)
        self._spill: io.TextIOWrapper | None = None  # None: its index is made from the file
        self.from_file = 0  # files indexed from the file after all (an error, an odd record)

    def add(self, record: ArcWarcRecord, pointer: WarcPointer) -> None:
        """Index one record just written at ``pointer``."""
        if pointer.filename != self._file:
            self._start(pointer.filename)
        if self._spill is None:
            return
        try:
            if not indexed(record):
                return
            if not _reads_back_the_same(record):
                logger.info("%s: record at %d has headers a reader normalises; the file "
                            "is indexed from the file when closed", self._file, pointer.offset)
                self._abandon()
                return
            self._spill.write(cdxj_line(record, self._file, pointer.offset, pointer.length))
        except Exception as exc:  # noqa: BLE001 - the index is then made from the file
            logger.warning("CDXJ lines of %s: %s (indexed from the file when closed)",
                           self._file, exc)
            self._abandon()

    def finish(self, warc_file: str | os.PathLike) -> Path:
        """Write the index of the closed ``warc_file``; returns its path."""
        name = Path(warc_file).name
        spill_fh = self._spill if name == self._file else None
        if name == self._file:
            self._file, self._spill = None, None
        spill = spill_path(self.index_dir, name)
        if spill_fh is not None:
            try:
                spill_fh.close()
                target = index_path(self.index_dir, name)
                with tempfile.TemporaryDirectory(dir=self.index_dir, prefix=".cdxj-") as work:
                    _sort_into(spill, target, Path(work))
                spill.unlink()
                return target
            except OSError as exc:  # e.g. removed by ``portal-archive index`` meanwhile
                logger.warning("CDXJ lines of %s: %s (indexed from the file)", name, exc)
        self.from_file += 1
        return write_cdxj(warc_file, self.index_dir)

    def _start(self, name: str) -> None:
        if self._spill is not None:  # a file that was never closed: made from the file
            self._abandon()
        self._file = name
        try:
            self.index_dir.mkdir(parents=True, exist_ok=True)
            self._spill = open(  # noqa: SIM115 - open while the WARC file is written
                spill_path(self.index_dir, name), "w", encoding="utf-8")
        except OSError as exc:
            logger.warning("CDXJ lines of %s: %s (indexed from the file when closed)", name, exc)

    def _abandon(self) -> None:
        spill, self._spill = self._spill, None
        if spill is not None:
            with contextlib.suppress(OSError):
                spill.close()
            with contextlib.suppress(OSError):
                Path(spill.name).unlink()


_SPACE = re.compile(r"\s")
_HTTP_RECORDS = ArcWarcRecordLoader.HTTP_RECORDS
_HTTP_SCHEMES = ArcWarcRecordLoader.HTTP_SCHEMES


def _plain(value: str | None) -> bool:
    """A header value a reader parses back unchanged (it strips values and splits lines)."""
    return value is None or (value == value.strip() and "\n" not in value)


def _reads_back_the_same(record: ArcWarcRecord) -> bool:
    """Whether warcio, reading ``record`` from the file, gives the indexer the same values
    as the record object does."""
    headers = record.rec_headers
    uri = headers.get_header("WARC-Target-URI")
    # a reader takes <> off a target URI and writes a space as %20
    if uri is not None and (_SPACE.search(uri) or uri.startswith("<")):
        return False
    if not all(map(_plain, (headers.get_header("WARC-Type"), headers.get_header("WARC-Date"),
                            headers.get_header("WARC-Payload-Digest"),
                            headers.get_header("Content-Type")))):
        return False
    http = record.http_headers
    # a reader parses HTTP headers in these records, and only these
    if (http is not None) != (record.rec_type in _HTTP_RECORDS
                              and (uri or "").startswith(_HTTP_SCHEMES)):
        return False
    if http is None:
        return True
    if not http.protocol or _SPACE.search(http.protocol) or not _plain(http.statusline):
        return False
    # A name with ':' or whitespace, or a value with a line break, parses into other headers
    # (a Content-Type among them).
    return all(":" not in name and not _SPACE.search(name) and _plain(value)
               for name, value in http.headers)
