"""Rebuild the archive database from WARC files alone.

Reads each file's ``warcinfo`` (crawl id, portal, family, start time), every response with its
request, and the ``crawl-finished`` metadata record, and feeds them through the same functions
the live crawl uses (``crawler.indexing``), so the rows come out the same. A corrupt or
truncated file is reported with its name and offset; the records before the damage are kept.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from archive import ArchivedRecord, CorruptWarcError, iter_records
from archive.exchange import WarcPointer
from crawler.indexing import analyse_page, capture_row, index_page, should_extract
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


def _capture_from(record: ArchivedRecord, ctx: _FileContext, request_id: str | None) -> dict:
    return capture_row(
        crawl_id=ctx.crawl_id, portal_id=ctx.portal_id, url=record.target_uri,
        status=record.status or 0, headers=record.http_headers,
        body_length=len(record.entity), fetched_at=record.date,
        payload_digest=record.warc_headers.get("WARC-Payload-Digest", ""),
        pointer=WarcPointer(record.filename, record.offset, record.length, record.record_id),
        request_record_id=request_id,
    )


def reindex(warc_files: Iterable[str | os.PathLike], db_path: str | os.PathLike,
            progress: Callable[[ReindexReport], None] | None = None) -> ReindexReport:
    """Index the given WARC files into ``db_path`` (which should be new)."""
    store = ArchiveStore(db_path, batch_size=500)
    report = ReindexReport()
    crawls: dict[str, dict] = {}
    try:
        for path in sorted(Path(p) for p in warc_files):
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
                        _index_response(store, pending, ctx, request_id, report)
                        pending = None
                        if request_id:
                            continue
                    if record.rec_type == "warcinfo":
                        _start(store, record, ctx, crawls)
                    elif record.rec_type == "response":
                        pending = record
                    elif record.rec_type == "metadata":
                        fields = record.fields
                        if fields.get("portal-archive-event") == "crawl-finished":
                            crawls.setdefault(fields.get("portal-archive-crawl-id", ""), {}
                                              ).update(finished=fields)
                    if progress and report.records % 500 == 0:
                        progress(report)
            except CorruptWarcError as exc:
                report.errors.append(str(exc))
            if pending is not None:
                _index_response(store, pending, ctx, None, report)
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
    if ctx.crawl_id and ctx.crawl_id not in crawls:
        crawls[ctx.crawl_id] = {}
        if portal:
            store.upsert_portal(portal)
        settings = json.loads(fields.get("portal-archive-settings") or "{}")
        store.start_crawl(ctx.crawl_id, ctx.portal_id,
                          fields.get("portal-archive-started-at") or record.date, settings)


def _index_response(store: ArchiveStore, record: ArchivedRecord, ctx: _FileContext,
                    request_id: str | None, report: ReindexReport) -> None:
    capture = _capture_from(record, ctx, request_id)
    capture_id = store.add_capture(capture)
    report.captures += 1
    if not should_extract(record.target_uri, record.status or 0, capture["content_type"]):
        return
    page, key, canonical = analyse_page(record.target_uri, record.content,
                                        capture["content_type"], ctx.family)
    status = index_page(store, capture_id, ctx.portal_id, record.date, page, key, canonical)
    if status == "failed":
        report.failed_extractions += 1
    elif page.get("page_type") == "article":
        report.articles += 1
