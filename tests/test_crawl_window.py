"""A crawl stops when its portal's time window closes (``window_closed``), with an injected
clock (no sleeping on the wall clock): unit tests of the timer, and one crawl of the replica
that believes it starts 2 s before 05:00, stops, and is finished by ``--resume``."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from scrapy.exceptions import CloseSpider
from scrapy.utils.test import get_crawler

import crawler.extensions.crawl_window as cw
import crawler.fatal as fatal
from crawler.cli import main
from crawler.extensions.crawl_window import CrawlWindow, clock_from_settings
from crawler.scheduling.window import WINDOW_CLOSED_EXIT, window_end
from spiders.portal import PortalSpider
from tests.archive_crawl import cli
from tests.portal_fixture import FAST_SETTINGS, start_replica, stop, write_registry

HANOI = "Asia/Ho_Chi_Minh"


def hanoi(day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=UTC) - timedelta(hours=7)


def test_window_end():
    assert window_end("22:00-05:00", hanoi(25, 23, 0), HANOI) == hanoi(26, 5, 0)
    assert window_end("22:00-05:00", hanoi(26, 4, 59), HANOI) == hanoi(26, 5, 0)
    assert window_end("22:00-05:00", hanoi(26, 5, 0), HANOI) is None
    assert window_end("09:00-17:30", hanoi(26, 9, 0), HANOI) == hanoi(26, 17, 30)
    assert window_end("09:00-17:30", hanoi(26, 8, 59), HANOI) is None


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def timers(monkeypatch):
    """The extension's timer and close calls, recorded instead of run by a reactor."""
    calls = SimpleNamespace(later=[], closed=[])
    monkeypatch.setattr(cw, "call_later", lambda delay, fn: calls.later.append((delay, fn))
                        or SimpleNamespace(cancel=lambda: None))
    monkeypatch.setattr(fatal, "deferred_from_coro", lambda coro: calls.closed.append(coro))
    return calls


def _extension(clock, window="22:00-05:00", **settings):
    crawler = get_crawler(PortalSpider, settings)
    crawler.stats.open_spider()

    async def close_spider_async(reason):
        return reason

    crawler.engine = SimpleNamespace(close_spider_async=close_spider_async, spider=object())
    spider = SimpleNamespace(portal=SimpleNamespace(
        extra={"window": window} if window else {}, timezone=HANOI))
    return CrawlWindow(crawler, clock=clock), spider, crawler


def test_the_crawl_stops_when_the_window_closes(timers):
    clock = Clock(hanoi(26, 4, 59, 58))
    ext, spider, crawler = _extension(clock)
    ext.spider_opened(spider)
    delay, check = timers.later.pop()
    assert delay == pytest.approx(2.0)  # woken at the window's end, not 30 s later
    clock.now += timedelta(seconds=1.5)  # the timer fired early: still inside
    check()
    assert not timers.closed
    delay, check = timers.later.pop()
    assert delay == pytest.approx(0.5)
    clock.now += timedelta(seconds=0.5)
    check()
    assert len(timers.closed) == 1 and ext.closing
    import asyncio

    assert asyncio.run(timers.closed[0]) == "window_closed"
    assert crawler.stats.get_value("crawl_window/window") == f"22:00-05:00 {HANOI}"
    assert crawler.stats.get_value("crawl_window/closed_at").startswith("2026-11-25T22:00")


def test_long_windows_are_checked_every_interval(timers):
    clock = Clock(hanoi(25, 22, 0))
    ext, spider, _ = _extension(clock, CRAWL_WINDOW_CHECK_INTERVAL=10)
    ext.spider_opened(spider)
    assert timers.later[-1][0] == 10


def test_a_crawl_opened_outside_its_window_closes_at_once(timers):
    ext, spider, _ = _extension(Clock(hanoi(26, 12, 0)))
    with pytest.raises(CloseSpider) as info:
        ext.spider_opened(spider)
    assert info.value.reason == "window_closed" and not timers.later


def test_no_window_no_timer(timers):
    ext, spider, _ = _extension(Clock(hanoi(26, 12, 0)), window=None)
    ext.spider_opened(spider)
    assert not timers.later and not timers.closed


def test_settings_clock_runs_from_its_start():
    from scrapy.settings import Settings

    clock = clock_from_settings(Settings({"CRAWL_WINDOW_CLOCK_START":
                                          "2026-11-26T04:59:58+07:00"}))
    assert hanoi(26, 4, 59, 58) <= clock() < hanoi(26, 4, 59, 59)


def _windowed_registry(tmp_path, base):
    registry = write_registry(tmp_path / "registry.toml", base)
    with open(registry, "a", encoding="utf-8") as f:
        f.write('window = "22:00-05:00"\ntimezone = "Asia/Ho_Chi_Minh"\n')
    return registry


@pytest.mark.parametrize("workers", [[], ["--workers", "2"]])
def test_a_manual_crawl_outside_the_window_is_refused(tmp_path, workers):
    """Once, before anything starts: with --workers too, the parent refuses (no worker, no
    database, no lock)."""
    registry = _windowed_registry(tmp_path, "http://127.0.0.1:9/")
    result = CliRunner().invoke(main, [
        "crawl", "binhlieu", "--registry", str(registry), "--out", str(tmp_path / "out"),
        "-s", "CRAWL_WINDOW_CLOCK_START=2026-11-26T12:00:00+07:00", *workers])
    assert result.exit_code == 1
    assert not (tmp_path / "out").exists()
    assert "binhlieu may be crawled only inside its window 22:00-05:00 (Asia/Ho_Chi_Minh); " \
           "it is 12:00 there" in result.output and "--ignore-window" in result.output


@pytest.mark.e2e
def test_a_crawl_stops_at_the_window_end_and_resume_finishes_it(tmp_path):
    proc, base = start_replica("--articles", "40")
    try:
        registry = _windowed_registry(tmp_path, base)
        out = tmp_path / "out"
        slow = ["-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", "-s", "DOWNLOAD_DELAY=0.1"]
        first = cli("crawl", "binhlieu", "--registry", str(registry), "--out", str(out),
                    *FAST_SETTINGS, *slow,
                    "-s", "CRAWL_WINDOW_CLOCK_START=2026-11-26T04:59:58+07:00")
        assert first.returncode == WINDOW_CLOSED_EXIT, first.stderr[-2000:]
        assert first.stderr.strip().splitlines()[-1].startswith(
            "Error: the crawl window 22:00-05:00 Asia/Ho_Chi_Minh closed: crawl stopped "
            "unfinished; `crawl binhlieu --resume`")
        db = sqlite3.connect(out / "archive.db")
        assert db.execute("SELECT status, finish_reason FROM crawls").fetchall() == \
            [("failed", "window_closed")]
        cut = db.execute("SELECT count(*) FROM articles").fetchone()[0]
        assert 0 < cut < 40
        db.close()
        second = cli("crawl", "binhlieu", "--registry", str(registry), "--out", str(out),
                     *FAST_SETTINGS, "--resume", "--ignore-window")
        assert second.returncode == 0, second.stderr[-2000:]
    finally:
        stop(proc)
    db = sqlite3.connect(out / "archive.db")
    assert db.execute("SELECT status, finish_reason FROM crawls").fetchall() == \
        [("finished", "finished")]  # one crawl, continued under the same id
    assert db.execute("SELECT count(*), count(DISTINCT article_id) FROM articles"
                      ).fetchone()[0] >= 40
    assert db.execute("SELECT count(*) FROM captures GROUP BY url HAVING count(*) > 1"
                      ).fetchall() == []  # nothing fetched twice


def test_the_scheduler_logs_a_closed_window_and_resumes_next_time(tmp_path):
    from crawler.registry import load_registry
    from crawler.scheduling.scheduler import Scheduler, SubprocessLauncher
    from db import ArchiveStore

    registry = _windowed_registry(tmp_path, "http://127.0.0.1:9/")
    with open(registry, "a", encoding="utf-8") as f:
        f.write('schedule = "0 23 * * *"\n')
    portal = load_registry(registry)["binhlieu"]
    out = tmp_path / "out"
    launcher = SubprocessLauncher(out, str(registry))
    assert "--resume" not in launcher.command(portal, "full")
    out.mkdir()
    store = ArchiveStore(out / "archive.db")
    store.upsert_portal(portal.as_row())
    store.start_crawl("c1", "binhlieu", "2026-11-25T16:00:00.000000Z", {})
    store.conn.execute("UPDATE crawls SET status = 'failed', finish_reason = 'window_closed'")
    store.commit()
    store.close()
    assert launcher.command(portal, "full")[-1] == "--resume"

    class Handle:
        pid, code = None, None

        def poll(self):
            return self.code

    handle = Handle()

    class Launcher:
        def launch(self, portal, mode, log_file):
            log_file.parent.mkdir(parents=True, exist_ok=True)
            log_file.write_text("Error: the crawl window 22:00-05:00 Asia/Ho_Chi_Minh closed: "
                                "crawl stopped unfinished\n", encoding="utf-8")
            return handle

    clock = Clock(hanoi(25, 12, 0))
    sched = Scheduler({"binhlieu": portal}, out, Launcher(), clock=clock)
    sched.tick()
    clock.now = hanoi(25, 23, 0)
    assert sched.tick() == ["binhlieu"]
    handle.code = WINDOW_CLOSED_EXIT
    clock.now = hanoi(26, 5, 0)
    sched.tick()
    row = sched.log.last_run("binhlieu")
    assert row["outcome"] == "window_closed"
    assert row["error"].startswith("the crawl window 22:00-05:00")
