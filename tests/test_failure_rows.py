"""``fetch_failures`` rows are written as they happen, in the captures' batched transactions
(not only when the crawl closes), so a crawl killed with SIGKILL keeps them."""

from __future__ import annotations

import sqlite3
from types import SimpleNamespace

from scrapy.settings import Settings
from scrapy.signalmanager import SignalManager

from crawler.middlewares.failure_log import FailureLogMiddleware
from crawler.pipelines.sqlite_store import SQLiteStorePipeline
from crawler.registry import adhoc_portal


class Stats(dict):
    def get_value(self, key, default=None):
        return self.get(key, default)

    def set_value(self, key, value):
        self[key] = value

    def inc_value(self, key, count=1):
        self[key] = self.get(key, 0) + count

    def get_stats(self):
        return dict(self)


def fake_crawler(tmp_path, **settings):
    spider = SimpleNamespace(portal=adhoc_portal("http://127.0.0.1:1/", "qnp", "t"),
                             crawl_id="t-1", started_at="2026-01-02T03:04:05Z",
                             finish_time=lambda: "2026-01-02T03:05:00Z")
    return SimpleNamespace(
        settings=Settings({"ARCHIVE_DB_PATH": str(tmp_path / "archive.db"), **settings}),
        stats=Stats(), signals=SignalManager(), spider=spider, engine=None)


def committed(tmp_path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(tmp_path / "archive.db")  # another connection: committed rows only
    try:
        return conn.execute("SELECT url, kind FROM fetch_failures ORDER BY id").fetchall()
    finally:
        conn.close()


def test_failure_rows_are_committed_with_the_batches(tmp_path):
    crawler = fake_crawler(tmp_path, ARCHIVE_DB_BATCH=2)
    pipeline = SQLiteStorePipeline(crawler)
    log = FailureLogMiddleware(crawler)
    pipeline.spider_opened(crawler.spider)
    log.record("http://127.0.0.1:1/a", "timeout", "DownloadTimeoutError: took longer")
    log.record("http://127.0.0.1:1/b", "dns", "CannotResolveHostError")
    # Two rows fill a batch: committed while the crawl runs, nothing left for the close.
    assert committed(tmp_path) == [("http://127.0.0.1:1/a", "timeout"),
                                   ("http://127.0.0.1:1/b", "dns")]
    assert log.rows == []
    log.record("http://127.0.0.1:1/c", "refused", "DownloadConnectionRefusedError")
    pipeline.spider_closed(crawler.spider, "finished")
    assert committed(tmp_path)[-1] == ("http://127.0.0.1:1/c", "refused")
    assert crawler.stats["failure_log/timeout"] == 1


def test_queued_rows_are_committed_when_no_other_write_comes(tmp_path):
    """A quiet stretch of the crawl (no new write to trigger a flush) keeps no row back
    longer than ARCHIVE_DB_FLUSH_INTERVAL; the periodic flush stops with the spider."""
    from twisted.internet.task import Clock

    crawler = fake_crawler(tmp_path, ARCHIVE_DB_FLUSH_INTERVAL=30)
    pipeline = SQLiteStorePipeline(crawler)
    pipeline.clock = Clock()
    log = FailureLogMiddleware(crawler)
    pipeline.spider_opened(crawler.spider)
    log.record("http://127.0.0.1:1/a", "timeout", "DownloadTimeoutError: took longer")
    pipeline.clock.advance(29)
    assert committed(tmp_path) == []
    pipeline.clock.advance(1)
    assert committed(tmp_path) == [("http://127.0.0.1:1/a", "timeout")]
    pipeline.spider_closed(crawler.spider, "finished")
    assert not pipeline.loop.running and pipeline.clock.getDelayedCalls() == []


def test_rows_no_pipeline_took_are_written_at_the_close(tmp_path):
    from db import ArchiveStore

    crawler = fake_crawler(tmp_path)
    store = ArchiveStore(tmp_path / "archive.db")
    store.upsert_portal(crawler.spider.portal.as_row())
    store.start_crawl("t-1", "t", "2026-01-02T03:04:05Z", {})
    store.close()
    log = FailureLogMiddleware(crawler)  # no pipeline listens
    log.record("http://127.0.0.1:1/a", "tls", "SSL handshake failed")
    assert committed(tmp_path) == [] and len(log.rows) == 1
    log.flush()
    assert committed(tmp_path) == [("http://127.0.0.1:1/a", "tls")]


def test_a_resumed_crawl_records_a_replayed_failure_once_reading_the_db_once(tmp_path,
                                                                            monkeypatch):
    """Resume replays the archived error responses of the killed run: their failure rows
    exist already and are not written again (nor counted), a new one is; the rows the
    killed run recorded are read in one query, not one connection per replayed error."""
    from crawler.middlewares import failure_log
    from db import ArchiveStore

    crawler = fake_crawler(tmp_path, WARC_RESUME=True)
    store = ArchiveStore(tmp_path / "archive.db")
    store.upsert_portal(crawler.spider.portal.as_row())
    store.start_crawl("t-1", "t", "2026-01-02T03:04:05Z", {})
    killed = [("http://127.0.0.1:1/a", "http_500", "<urn:uuid:a>"),
              ("http://127.0.0.1:1/b", "http_404", "<urn:uuid:b>")]
    store.add_failures([{"crawl_id": "t-1", "portal_id": "t", "url": u, "kind": k,
                         "detail": "HTTP error", "failed_at": "2026-01-02T03:04:06Z",
                         "warc_record_id": r} for u, k, r in killed]
                       + [{"crawl_id": "t-1", "portal_id": "t", "url": "http://127.0.0.1:1/c",
                           "kind": "timeout", "detail": "took longer",
                           "failed_at": "2026-01-02T03:04:06Z", "warc_record_id": None}])
    store.close()
    connects = []
    real = sqlite3.connect

    def counting(*args, **kwargs):
        connects.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(failure_log, "sqlite3", SimpleNamespace(
        connect=counting, Error=sqlite3.Error, OperationalError=sqlite3.OperationalError))
    pipeline = SQLiteStorePipeline(crawler)
    log = FailureLogMiddleware(crawler)
    pipeline.spider_opened(crawler.spider)
    for url, kind, record in killed * 2:  # replayed (twice, as a second resume would)
        log.record(url, kind, "HTTP error", record)
    log.record("http://127.0.0.1:1/d", "http_503", "HTTP 503", "<urn:uuid:d>")  # new
    log.record("http://127.0.0.1:1/a", "http_500", "HTTP 500", "<urn:uuid:a2>")  # retried
    pipeline.spider_closed(crawler.spider, "finished")
    log.flush()
    rows = committed(tmp_path)
    assert rows == [("http://127.0.0.1:1/a", "http_500"), ("http://127.0.0.1:1/b", "http_404"),
                    ("http://127.0.0.1:1/c", "timeout"), ("http://127.0.0.1:1/d", "http_503"),
                    ("http://127.0.0.1:1/a", "http_500")]
    assert crawler.stats.get("failure_log/http_404") is None
    assert crawler.stats["failure_log/http_500"] == crawler.stats["failure_log/http_503"] == 1
    assert len(connects) == 1


def test_an_error_in_a_burst_rolls_it_back_and_stops_once(tmp_path, monkeypatch):
    """Any error while applying a burst (not only SQLite's) rolls its transaction back and
    stops the crawl with one line; from the periodic flush it must not just end the timer
    and leave the transaction open for every later burst to fail on."""
    from twisted.internet.task import Clock

    crawler = fake_crawler(tmp_path, ARCHIVE_DB_FLUSH_INTERVAL=5)
    pipeline = SQLiteStorePipeline(crawler)
    pipeline.clock = Clock()
    pipeline.spider_opened(crawler.spider)

    def broken(item):
        raise KeyError("<urn:uuid:missing>")

    monkeypatch.setattr(pipeline, "_index_item", broken)
    pipeline.process_item(object())
    pipeline.clock.advance(5)
    assert not pipeline.store.conn.in_transaction
    assert pipeline.refused and pipeline.loop.running
    assert "KeyError" in str(crawler.stats.get_value("archive/fatal_error"))
