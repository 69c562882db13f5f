"""Item pipeline that indexes the crawl into the archive's SQLite database.

It listens to ``capture_archived`` (one captures row per archived response, including those
that never reach the spider) and stores each ``PageItem`` (articles, versions, counters).
It also records the portal and the crawl (start, end, status, stats).

Settings: ``ARCHIVE_DB_ENABLED``, ``ARCHIVE_DB_PATH`` (default ``<ARCHIVE_OUT_DIR>/archive.db``),
``ARCHIVE_DB_BATCH`` (captures per transaction), ``ARCHIVE_DB_FLUSH_INTERVAL`` (seconds, 1.0:
queued writes wait at most about this long, also when no new write comes, so Datasette and
a killed crawl see the last rows of a quiet stretch). A write the database refuses stops the crawl
(close reason ``db_write_error``, see ``crawler/fatal.py``); it is never only logged.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from crawler.fatal import fatal_at_open, note_fatal, stop_crawl
from crawler.indexing import index_page, recorded_settings
from crawler.items import SkippedRequisite
from crawler.signals import capture_archived, capture_problem, failure_recorded
from db import ArchiveStore, DatabaseError

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class SQLiteStorePipeline:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("ARCHIVE_DB_ENABLED", True):
            raise NotConfigured("ARCHIVE_DB_ENABLED is off")
        out = Path(settings.get("ARCHIVE_OUT_DIR") or "data")
        self.path = Path(settings.get("ARCHIVE_DB_PATH") or out / "archive.db")
        self.batch = settings.getint("ARCHIVE_DB_BATCH", 200)
        self.interval = settings.getfloat("ARCHIVE_DB_FLUSH_INTERVAL", 1.0)
        self.clock = None  # the reactor (LoopingCall's default); tests give a task.Clock
        self.loop: task.LoopingCall | None = None
        self.crawler = crawler
        self.stats = crawler.stats
        self.store: ArchiveStore | None = None
        self.pending: list[tuple[str, Any]] = []
        self.refused = False  # a write failed: the crawl is stopping (crawler/fatal.py)
        self.flushed_at = time.monotonic()
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.capture_archived, signal=capture_archived)
        crawler.signals.connect(self.failure_recorded, signal=failure_recorded)
        crawler.signals.connect(self.capture_problem, signal=capture_problem)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SQLiteStorePipeline:
        return cls(crawler)

    def spider_opened(self, spider) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # The store never commits on its own: each burst is one transaction (_flush).
            self.store = ArchiveStore(self.path, batch_size=1 << 62)
            self.store.upsert_portal(spider.portal.as_row())
            self.store.start_crawl(
                spider.crawl_id, spider.portal.id, spider.started_at,
                recorded_settings(self.crawler.settings.get),
            )
        except (OSError, sqlite3.Error, DatabaseError) as exc:
            self.store = None
            raise fatal_at_open(self.crawler, "db_write_error",
                                f"cannot write the archive database {self.path}: {exc}"
                                ) from exc
        # Writes are otherwise flushed only when another one arrives: a quiet stretch of the
        # crawl (a slow polite crawl, a long download) would hold its last rows back.
        self.loop = task.LoopingCall(self._flush)
        if self.clock is not None:
            self.loop.clock = self.clock
        self.loop.start(self.interval, now=False).addErrback(
            lambda failure: logger.error("periodic flush of %s stopped: %s", self.path,
                                         failure.getTraceback()))

    def _failed(self, exc: Exception) -> None:
        """A write the database refused (full disk, read-only file) stops the crawl: the WARC
        records stay, and ``crawl --resume`` or ``reindex`` indexes them later."""
        text = exc if isinstance(exc, sqlite3.Error) else f"{type(exc).__name__}: {exc}"
        stop_crawl(self.crawler, "db_write_error",
                   f"cannot write the archive database {self.path}: {text}")

    def spider_closed(self, spider, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.store is None:
            return
        stats = self.stats.get_stats()
        errors = sum(v for k, v in stats.items()
                     if k.startswith("downloader/exception_type_count/")
                     and isinstance(v, int))
        status = "finished" if reason in ("finished", "closespider_pagecount") else "failed"
        self._flush()
        if self.store is None:
            return
        try:
            self.store.finish_crawl(
                spider.crawl_id, spider.finish_time(), status, reason,
                {"errors": errors, **{k: v for k, v in stats.items()}},
            )
            self.store.close()
        except sqlite3.Error as exc:
            note_fatal(self.crawler, "db_write_error",
                       f"cannot write the archive database {self.path}: {exc}")
        self.store = None

    def capture_archived(self, capture: dict[str, Any]) -> None:
        self._queue("capture", capture)

    def failure_recorded(self, row: dict[str, Any]) -> bool:
        """A ``fetch_failures`` row (crawler/middlewares/failure_log.py), written with the
        captures as it happens, so a killed crawl keeps its failures."""
        if self.store is None:
            return False
        self._queue("failure", row)
        return True

    def capture_problem(self, warc_record_id: str, reason: str) -> None:
        """An archived response that could not be decoded after all (crawler/decoding.py):
        its capture row says why it was not extracted."""
        self._queue("problem", (warc_record_id, reason))

    def process_item(self, item: Any) -> Any:
        self._queue("item", item)
        return item

    # Writes are queued and applied in bursts, each in one short write transaction taken up
    # front (BEGIN IMMEDIATE): the database's write lock is then held only while a burst is
    # applied, never across the crawl's waits, so the worker processes of a sharded crawl
    # (--workers) share one database without stalling each other. Order is kept, so a
    # capture is always written before the item that refers to it.
    def _queue(self, kind: str, value: Any) -> None:
        if self.store is None:
            return  # the crawl is stopping: the database could not be opened
        self.pending.append((kind, value))
        if len(self.pending) >= self.batch or \
                time.monotonic() - self.flushed_at >= self.interval:
            self._flush()

    def _flush(self) -> None:
        self.flushed_at = time.monotonic()
        if self.store is None or not self.pending:
            return
        pending, self.pending = self.pending, []
        if self.refused:
            # Items of a refused burst would point at captures that were never written; the
            # WARC has them all, and crawl --resume (or reindex) indexes them.
            return
        try:
            self.store.begin_immediate()
            for kind, value in pending:
                if kind == "capture":
                    self.store.add_capture(value)
                    self.stats.inc_value("archive/captures")
                elif kind == "failure":
                    self.store.add_failure(value)
                elif kind == "problem":
                    record_id, reason = value
                    self.store.set_extraction(self.store.capture_id(record_id), None,
                                              "skipped", reason)
                else:
                    self._index_item(value)
            self.store.commit()
        except Exception as exc:  # noqa: BLE001 - see below
            # Not only the database's refusals: any error leaves the burst's transaction open
            # (every later burst would fail to begin), and from the periodic flush it would
            # only stop the timer. Rolled back and said once; the WARC holds every record.
            self.refused = True
            with contextlib.suppress(sqlite3.Error):
                self.store.conn.rollback()
            self._failed(exc)

    def _index_item(self, item: Any) -> Any:
        assert self.store is not None
        if isinstance(item, SkippedRequisite):  # m013 (crawler/middlewares/requisites.py)
            spider = self.crawler.spider
            self.store.add_skipped_requisite(spider.crawl_id, spider.portal.id, item.url,
                                             item.kind, item.reason, item.skipped_at)
            return item
        adapter = ItemAdapter(item)
        capture_id = self.store.capture_id(adapter["warc_record_id"])
        if self.store.conn.execute("SELECT extract_status FROM captures WHERE id = ?",
                                   [capture_id]).fetchone()[0] != "skipped":
            return item  # a resumed crawl met a page already indexed (crawler/resume.py)
        status = index_page(
            self.store, capture_id, self.crawler.spider.portal.id, adapter["captured_at"],
            adapter["record"], adapter["article_key"], adapter["canonical_url"],
        )
        if adapter.get("requisites"):  # images, stylesheets, documents (m013)
            self.store.add_requisite_links(capture_id, adapter["requisites"])
        page_type = adapter["record"].get("page_type") or "other"
        self.stats.inc_value(f"extract/{page_type}")
        if status == "failed":
            self.stats.inc_value("extract/failed")
            logger.warning("extraction failed for %s", adapter["url"])
        elif page_type == "article":
            self.stats.inc_value("extract/articles")
        return item
