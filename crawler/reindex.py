"""Rebuild the archive database from WARC files alone.

Reads each file's ``warcinfo`` (crawl id, portal, family, start time), every response (and
every revisit, with the payload of the record it refers to) with its request, and the
``crawl-finished`` metadata record, and feeds them through the same functions the live crawl
uses (``crawler.indexing``), so the rows come out the same. A corrupt or
truncated file is reported with its name and offset; the records before the damage are kept.

Two stages: reading the WARC files yields steps in WARC order (``_read``); each response's
decoding and extraction (``crawler.reindex_work``, pure) runs inline or, with ``jobs`` > 1,
in worker processes a bounded window ahead; the database is written by this process alone,
step by step in WARC order, so the rows (ids included) are the same whatever ``jobs`` is.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from archive import ArchivedRecord, CorruptWarcError, iter_records
from archive.exchange import WarcPointer
from crawler.decoding import MAX_SIZE
from crawler.indexing import capture_row, index_page, should_extract
from crawler.reindex_work import Analysis, ResponseTask, in_order
from crawler.requisites import REQUISITES_FIELD, decode_field, resource_type, skipped_from_fields
from db import ArchiveStore
from db.bulk import deferred_search_index

# Captures per transaction. A reindex into a new file commits rarely (fewer, larger writes of
# the full-text indexes); completing an existing database keeps the live crawl's rhythm.
NEW_FILE_BATCH = 5000
EXISTING_BATCH = 500
PARTIAL = ".partial"


@dataclass
class ReindexReport:
    files: int = 0
    records: int = 0
    captures: int = 0
    articles: int = 0
    failed_extractions: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _FileContext:
    """What a file's ``warcinfo`` says of the records after it."""

    crawl_id: str = ""
    portal_id: str = ""
    family: str = "auto"
    base_url: str | None = None  # the portal's: article keys of its other sites carry theirs
    max_size: int = MAX_SIZE  # the crawl's DOWNLOAD_MAXSIZE (decoded bodies past it: problem)


@dataclass
class _Step:
    """One thing to write, in WARC order: a ``warcinfo``, a ``metadata`` record, a response
    (with its request's id and, in ``task``, what extraction needs) or a file's error."""

    kind: str
    record: ArchivedRecord | None = None
    ctx: _FileContext = _FileContext()
    request_id: str | None = None
    resource_type: str | None = None
    error: str | None = None  # a revisit's original missing, or the file's corruption
    task: ResponseTask | None = None


def _capture_from(record: ArchivedRecord, ctx: _FileContext, request_id: str | None,
                  payload_length: int) -> dict:
    revisit = record.rec_type == "revisit"
    return capture_row(
        crawl_id=ctx.crawl_id, portal_id=ctx.portal_id, url=record.target_uri,
        status=record.status or 0, headers=record.http_headers,
        body_length=payload_length, fetched_at=record.date,
        payload_digest=record.warc_headers.get("WARC-Payload-Digest", ""),
        pointer=WarcPointer(record.filename, record.offset, record.length, record.record_id),
        request_record_id=request_id,
        warc_type=record.rec_type,
        refers_to=record.warc_headers.get("WARC-Refers-To") if revisit else None,
        truncated=record.warc_headers.get("WARC-Truncated"),
    )


def reindex(warc_files: Iterable[str | os.PathLike], db_path: str | os.PathLike,
            progress: Callable[[ReindexReport], None] | None = None,
            only_missing: bool = False, jobs: int = 1) -> ReindexReport:
    """Index the given WARC files into ``db_path`` (which should be new).

    ``only_missing`` completes an existing database instead (resuming a killed crawl): records
    whose capture is already indexed are skipped (read once from the database, before any
    decoding or extraction), so nothing is counted twice. ``jobs`` > 1
    extracts pages in that many worker processes (same rows)."""
    files = sorted(Path(p) for p in warc_files)
    target = Path(db_path)
    new_file = not only_missing and not target.exists()
    # A new database is built under another name and appears under its own when complete:
    # an interrupted reindex leaves only NAME.partial (rows up to its last commit, no search
    # triggers), which the next reindex of NAME replaces.
    build = target.with_name(target.name + PARTIAL) if new_file else target
    if new_file:
        for leftover in (build, *(build.with_name(build.name + s) for s in ("-wal", "-shm"))):
            leftover.unlink(missing_ok=True)
    store = ArchiveStore(build, batch_size=NEW_FILE_BATCH if new_file else EXISTING_BATCH)
    if new_file:
        # Not a database anyone uses yet: an OS crash may leave the partial file corrupt
        # instead of merely partial, and it is rebuilt either way.
        store.conn.execute("PRAGMA synchronous=OFF")
    report = ReindexReport()
    try:
        with deferred_search_index(store.conn) if new_file else nullcontext():
            _index_all(store, files, report, progress, only_missing, jobs)
    finally:
        store.close()
    if new_file:
        build.replace(target)
    return report


def _index_all(store: ArchiveStore, files: list[Path], report: ReindexReport,
               progress: Callable[[ReindexReport], None] | None, only_missing: bool,
               jobs: int) -> None:
    crawls: dict[str, dict] = {}
    # Where each response lives, for the revisit records that refer to it.
    originals = _Originals(files)
    # Completing a database: what it indexed already, read once, so those records are
    # dropped before any decoding or extraction (record id -> extraction still to do).
    indexed: dict[str, bool] = {}
    if only_missing and files:
        for record_id, warc_file, offset, refers_to, status in store.conn.execute(
                "SELECT warc_record_id, warc_file, warc_offset, refers_to, extract_status "
                "FROM captures"):
            if refers_to is None:
                originals[record_id] = (files[0].parent / warc_file, offset)
            indexed[record_id] = status == "skipped"
    shown = 0
    with closing(in_order(_read(files, originals, report, indexed), jobs)) as steps:
        for step, analysis in steps:
            _apply(store, step, analysis, report, crawls, only_missing)
            if progress and report.records // 500 != shown:
                shown = report.records // 500
                progress(report)
    for crawl_id, info in crawls.items():
        fin = info.get("finished")
        if not fin or not crawl_id:
            continue
        stats = json.loads(fin.get("stats") or "{}")
        errors = sum(v for k, v in stats.items()
                     if k.startswith("downloader/exception_type_count/")
                     and isinstance(v, int))
        reason = fin.get("finish-reason", "")
        store.finish_crawl(
            crawl_id, fin.get("finished-at", ""),
            "finished" if reason in ("finished", "closespider_pagecount") else "failed",
            reason, {"errors": errors, **stats},
        )


class _Originals(dict):
    """Record id -> (file, offset) of the responses read so far. A revisit normally follows
    its original (crawls dedup only against ended crawls and themselves, and files are read
    in name order); for one that refers ahead (WARCs of concurrent crawls from elsewhere),
    every given file is scanned once for its responses."""

    def __init__(self, files: list[Path]) -> None:
        super().__init__()
        self.files = files
        self.scanned = False

    def find(self, record_id: str) -> tuple[Path, int] | None:
        if record_id not in self and not self.scanned:
            self.scanned = True
            for path in self.files:
                try:
                    for record in iter_records(path, decode_content=False):
                        if record.rec_type == "response":
                            self.setdefault(record.record_id, (path, record.offset))
                except CorruptWarcError:
                    continue  # reported when the file is read in order
        return self.get(record_id)


def _done(record: ArchivedRecord, skipped: bool | None) -> bool:
    """Whether completing a database leaves this response alone: its capture is indexed
    (``skipped``: not None) and extracted, or not for the extractor."""
    return skipped is not None and (not skipped or not should_extract(
        record.target_uri, record.status or 0, record.header("Content-Type")))


def _read(files: list[Path], originals: _Originals, report: ReindexReport,
          indexed: dict[str, bool] | None = None) -> Iterator[_Step]:
    """The steps of the given files in WARC order (counting files and records in ``report``),
    without the responses ``indexed`` (``_done``). Reads nothing from the database: it runs
    ahead of the writes."""
    indexed = indexed or {}
    for path in files:
        report.files += 1
        ctx = _FileContext()
        pending: ArchivedRecord | None = None
        try:
            # Bodies are decoded once, by extraction (crawler.reindex_work).
            for record in iter_records(path, decode_content=False):
                report.records += 1
                if pending is not None:
                    request_id = None
                    if (record.rec_type == "request" and record.warc_headers.get(
                            "WARC-Concurrent-To") == pending.record_id):
                        request_id = record.record_id
                    if not _done(pending, indexed.get(pending.record_id)):
                        yield _response(pending, ctx, request_id, originals)
                    pending = None
                    if request_id:
                        continue
                if record.rec_type == "warcinfo":
                    ctx = _context(record)
                    yield _Step("warcinfo", record, ctx)
                elif record.rec_type in ("response", "revisit"):
                    if record.rec_type == "response":
                        originals[record.record_id] = (path, record.offset)
                    pending = record
                elif record.rec_type == "metadata":
                    yield _Step("metadata", record, ctx)
        except CorruptWarcError as exc:
            yield _Step("error", error=str(exc))
        if pending is not None and not _done(pending, indexed.get(pending.record_id)):
            yield _response(pending, ctx, None, originals)


def _context(warcinfo: ArchivedRecord) -> _FileContext:
    fields = warcinfo.fields
    portal = json.loads(fields.get("portal-archive-portal") or "{}")
    settings = json.loads(fields.get("portal-archive-settings") or "{}")
    try:  # recorded since DOWNLOAD_MAXSIZE is in RECORDED_SETTINGS; -s gives a string
        max_size = int(settings.get("DOWNLOAD_MAXSIZE", MAX_SIZE))
    except (TypeError, ValueError):
        max_size = MAX_SIZE
    return _FileContext(fields.get("portal-archive-crawl-id", ""), portal.get("id", ""),
                        fields.get("portal-archive-family", "auto"), portal.get("base_url"),
                        max_size)


def _response(record: ArchivedRecord, ctx: _FileContext, request_id: str | None,
              originals: _Originals) -> _Step:
    """A response's step, with the record holding its payload: itself, or what a revisit
    refers to (a 304 carries no payload: it is its own, empty, payload)."""
    original, error = None, None
    if record.rec_type == "revisit" and not record.warc_headers.get(
            "WARC-Profile", "").endswith("/server-not-modified"):
        refers_to = record.warc_headers.get("WARC-Refers-To", "")
        where = originals.find(refers_to)
        if where is None:
            error = (f"{record.filename}: revisit record at offset {record.offset} "
                     f"refers to {refers_to or 'nothing'}, not in the given files")
        else:
            original = (str(where[0]), where[1])
    kind = resource_type(record.warc_headers)  # m013
    truncated = record.warc_headers.get("WARC-Truncated")
    task = ResponseTask(
        url=record.target_uri, status=record.status or 0, headers=record.http_headers,
        content_type=record.header("Content-Type"), entity=record.entity, original=original,
        # requisites (images, stylesheets, documents) are archived, never extracted; so are
        # truncated bodies (capture_row says why)
        extract=not kind and not truncated, family=ctx.family, base_url=ctx.base_url,
        max_size=ctx.max_size)
    return _Step("response", record, ctx, request_id, kind, error, task)


def _apply(store: ArchiveStore, step: _Step, analysis: Analysis | None, report: ReindexReport,
           crawls: dict[str, dict], only_missing: bool) -> None:
    record = step.record
    if step.kind == "error":
        report.errors.append(step.error or "")
    elif step.kind == "warcinfo":
        _start(store, record, step.ctx, crawls)
    elif step.kind == "response":
        _index_response(store, step, analysis, report, only_missing)
    elif step.kind == "metadata":
        fields = record.fields
        if fields.get("portal-archive-event") == "crawl-finished":
            crawls.setdefault(fields.get("portal-archive-crawl-id", ""), {}
                              ).update(finished=fields)
        else:
            _index_requisites(store, record, fields, step.ctx)


def _start(store: ArchiveStore, record: ArchivedRecord, ctx: _FileContext,
           crawls: dict[str, dict]) -> None:
    if ctx.crawl_id and ctx.crawl_id not in crawls:
        crawls[ctx.crawl_id] = {}
        fields = record.fields
        portal = json.loads(fields.get("portal-archive-portal") or "{}")
        if portal:
            store.upsert_portal(portal)
        settings = json.loads(fields.get("portal-archive-settings") or "{}")
        store.start_crawl(ctx.crawl_id, ctx.portal_id,
                          fields.get("portal-archive-started-at") or record.date, settings)


def _index_requisites(store: ArchiveStore, record: ArchivedRecord, fields: dict[str, str],
                      ctx: _FileContext) -> None:
    """What an article's metadata record says of its requisites (links), or a requisite's
    ``requisite-skipped`` record (crawler/middlewares/requisites.py), as the live crawl
    stored them."""
    skipped = skipped_from_fields(fields)
    if skipped is not None:
        kind, reason, at = skipped
        store.add_skipped_requisite(fields.get("portal-archive-crawl-id") or ctx.crawl_id,
                                    ctx.portal_id, record.target_uri, kind, reason, at)
        return
    requisites = decode_field(fields.get(REQUISITES_FIELD))
    if not requisites:
        return
    try:
        capture_id = store.capture_id(record.warc_headers.get("WARC-Concurrent-To", ""))
    except KeyError:
        return  # the article's response is not among the given files
    store.add_requisite_links(capture_id, [(r.url, r.kind) for r in requisites])


def _index_response(store: ArchiveStore, step: _Step, analysis: Analysis | None,
                    report: ReindexReport, only_missing: bool = False) -> None:
    record, ctx = step.record, step.ctx
    assert record is not None and analysis is not None
    if only_missing:  # indexed by this reindex (a file given twice): _read cannot know
        done = store.conn.execute(
            "SELECT extract_status FROM captures WHERE warc_record_id = ?", [record.record_id]
        ).fetchone()
        if done is not None and _done(record, done[0] == "skipped"):
            return
    for error in (step.error, analysis.error):
        if error:
            report.errors.append(error)
    capture = _capture_from(record, ctx, step.request_id, analysis.payload_length)
    capture["resource_type"] = step.resource_type
    capture_id = store.add_capture(capture)
    report.captures += 1
    if capture["resource_type"] or capture["truncated"]:
        return  # archived, never extracted (ResponseTask.extract)
    if analysis.problem:  # the live crawl's decompression failed on these bytes too
        store.set_extraction(capture_id, None, "skipped", analysis.problem)
        return
    if analysis.page is None:
        return  # not for the extractor (should_extract)
    page, key, canonical = analysis.page
    status = index_page(store, capture_id, ctx.portal_id, record.date, page, key, canonical)
    if status == "failed":
        report.failed_extractions += 1
    elif page.get("page_type") == "article":
        report.articles += 1
