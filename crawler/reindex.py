"""Rebuild the archive database from WARC files alone.

Reads each file's ``warcinfo`` (crawl id, portal, family, start time), every response (and
every revisit, with the payload of the record it refers to) with its request, and the
``crawl-finished`` metadata record, and feeds them through the same functions the live crawl
uses (``crawler.indexing``), so the rows come out the same. A corrupt or
truncated file is reported with its name and offset; the records before the damage are kept.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from archive import ArchivedRecord, CorruptWarcError, iter_records, read_record_at
from archive.exchange import WarcPointer
from crawler.decoding import archived_problem
from crawler.indexing import analyse_page, capture_row, index_page, should_extract
from crawler.requisites import REQUISITES_FIELD, decode_field, resource_type, skipped_from_fields
from db import ArchiveStore


@dataclass
class ReindexReport:
    files: int = 0
    records: int = 0
    captures: int = 0
    articles: int = 0
    failed_extractions: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class _FileContext:
    crawl_id: str = ""
    portal_id: str = ""
    family: str = "auto"
    base_url: str | None = None  # the portal's: article keys of its other sites carry theirs


def _capture_from(record: ArchivedRecord, ctx: _FileContext, request_id: str | None,
                  payload: ArchivedRecord) -> dict:
    revisit = record.rec_type == "revisit"
    return capture_row(
        crawl_id=ctx.crawl_id, portal_id=ctx.portal_id, url=record.target_uri,
        status=record.status or 0, headers=record.http_headers,
        body_length=len(payload.entity), fetched_at=record.date,
        payload_digest=record.warc_headers.get("WARC-Payload-Digest", ""),
        pointer=WarcPointer(record.filename, record.offset, record.length, record.record_id),
        request_record_id=request_id,
        warc_type=record.rec_type,
        refers_to=record.warc_headers.get("WARC-Refers-To") if revisit else None,
        truncated=record.warc_headers.get("WARC-Truncated"),
    )


def reindex(warc_files: Iterable[str | os.PathLike], db_path: str | os.PathLike,
            progress: Callable[[ReindexReport], None] | None = None,
            only_missing: bool = False) -> ReindexReport:
    """Index the given WARC files into ``db_path`` (which should be new).

    ``only_missing`` completes an existing database instead (resuming a killed crawl): records
    whose capture is already indexed are skipped, so nothing is counted twice."""
    files = sorted(Path(p) for p in warc_files)
    store = ArchiveStore(db_path, batch_size=500)
    report = ReindexReport()
    crawls: dict[str, dict] = {}
    # Where each response lives, for the revisit records that refer to it.
    originals: dict[str, tuple[Path, int]] = {}
    if only_missing and files:
        for record_id, warc_file, offset in store.conn.execute(
                "SELECT warc_record_id, warc_file, warc_offset FROM captures "
                "WHERE refers_to IS NULL"):
            originals[record_id] = (files[0].parent / warc_file, offset)
    try:
        for path in files:
            report.files += 1
            ctx = _FileContext()
            pending: ArchivedRecord | None = None
            try:
                for record in iter_records(path):
                    report.records += 1
                    if pending is not None:
                        request_id = None
                        if (record.rec_type == "request" and record.warc_headers.get(
                                "WARC-Concurrent-To") == pending.record_id):
                            request_id = record.record_id
                        _index_response(store, pending, ctx, request_id, report, originals,
                                        only_missing)
                        pending = None
                        if request_id:
                            continue
                    if record.rec_type == "warcinfo":
                        _start(store, record, ctx, crawls)
                    elif record.rec_type in ("response", "revisit"):
                        if record.rec_type == "response":
                            originals[record.record_id] = (path, record.offset)
                        pending = record
                    elif record.rec_type == "metadata":
                        fields = record.fields
                        if fields.get("portal-archive-event") == "crawl-finished":
                            crawls.setdefault(fields.get("portal-archive-crawl-id", ""), {}
                                              ).update(finished=fields)
                        else:
                            _index_requisites(store, record, fields, ctx)
                    if progress and report.records % 500 == 0:
                        progress(report)
            except CorruptWarcError as exc:
                report.errors.append(str(exc))
            if pending is not None:
                _index_response(store, pending, ctx, None, report, originals, only_missing)
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
    finally:
        store.close()
    return report


def _start(store: ArchiveStore, record: ArchivedRecord, ctx: _FileContext,
           crawls: dict[str, dict]) -> None:
    fields = record.fields
    ctx.crawl_id = fields.get("portal-archive-crawl-id", "")
    ctx.family = fields.get("portal-archive-family", "auto")
    portal = json.loads(fields.get("portal-archive-portal") or "{}")
    ctx.portal_id = portal.get("id", "")
    ctx.base_url = portal.get("base_url")
    if ctx.crawl_id and ctx.crawl_id not in crawls:
        crawls[ctx.crawl_id] = {}
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


def _payload_record(record: ArchivedRecord, originals: dict[str, tuple[Path, int]],
                    report: ReindexReport) -> ArchivedRecord:
    """The record holding the payload: the response itself, or what a revisit refers to."""
    if record.rec_type != "revisit" or record.warc_headers.get("WARC-Profile", "").endswith(
            "/server-not-modified"):
        return record  # a 304 carries no payload: it is its own (empty) payload
    refers_to = record.warc_headers.get("WARC-Refers-To", "")
    where = originals.get(refers_to)
    if where is None:
        report.errors.append(f"{record.filename}: revisit record at offset {record.offset} "
                             f"refers to {refers_to or 'nothing'}, not in the given files")
        return record
    try:
        return read_record_at(*where)
    except CorruptWarcError as exc:
        report.errors.append(str(exc))
        return record


def _index_response(store: ArchiveStore, record: ArchivedRecord, ctx: _FileContext,
                    request_id: str | None, report: ReindexReport,
                    originals: dict[str, tuple[Path, int]], only_missing: bool = False) -> None:
    if only_missing:
        done = store.conn.execute(
            "SELECT extract_status FROM captures WHERE warc_record_id = ?", [record.record_id]
        ).fetchone()
        if done is not None and (done[0] != "skipped" or not should_extract(
                record.target_uri, record.status or 0, record.header("Content-Type"))):
            return
    payload = _payload_record(record, originals, report)
    capture = _capture_from(record, ctx, request_id, payload)
    capture["resource_type"] = resource_type(record.warc_headers)  # m013
    capture_id = store.add_capture(capture)
    report.captures += 1
    if capture["resource_type"]:
        return  # a page requisite (image, stylesheet, document): archived, never extracted
    if capture["truncated"]:
        return  # archived, never extracted as if whole (capture_row says why)
    problem = archived_problem(record.status or 0, record.http_headers, payload.entity)
    if problem:  # the live crawl's decompression failed on these bytes too
        store.set_extraction(capture_id, None, "skipped", problem)
        return
    if not should_extract(record.target_uri, record.status or 0, capture["content_type"]):
        return
    page, key, canonical = analyse_page(record.target_uri, payload.content,
                                        capture["content_type"], ctx.family, ctx.base_url)
    status = index_page(store, capture_id, ctx.portal_id, record.date, page, key, canonical)
    if status == "failed":
        report.failed_extractions += 1
    elif page.get("page_type") == "article":
        report.articles += 1
