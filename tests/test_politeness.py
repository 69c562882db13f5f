"""Politeness: Retry-After and Crawl-delay parsing, registry politeness fields, the scheduler's
allowed time window (injected clock), and a small real crawl against a local server that asks
for a Crawl-delay and answers 503 with Retry-After (the gaps are read from the server's log)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from crawler.errors import RegistryError
from crawler.middlewares.crawl_delay import robots_crawl_delay
from crawler.middlewares.retry_after import parse_retry_after
from crawler.registry import load_registry
from crawler.scheduling.scheduler import Scheduler
from crawler.scheduling.window import in_window, parse_window
from tests.portal_fixture import ROOT
from tests.test_scheduling import Clock, FakeLauncher


def test_parse_retry_after():
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120.0
    later = format_datetime(datetime(2026, 1, 1, 12, 0, 30, tzinfo=UTC), usegmt=True)
    assert parse_retry_after(later, now) == 30.0
    earlier = format_datetime(datetime(2025, 1, 1, tzinfo=UTC), usegmt=True)
    assert parse_retry_after(earlier, now) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_robots_crawl_delay_for_our_agent():
    ua = "portal-archive/0.1.0 (archival crawler; +https://example.org)"
    assert robots_crawl_delay(b"User-agent: *\nCrawl-delay: 2\n", ua) == 2.0
    ours = b"User-agent: portal-archive\nCrawl-delay: 5\n\nUser-agent: *\nCrawl-delay: 1\n"
    assert robots_crawl_delay(ours, ua) == 5.0
    assert robots_crawl_delay(b"User-agent: *\nDisallow: /x\n", ua) is None


def test_window_parsing_and_membership():
    assert parse_window("22:00-05:00")[0].hour == 22
    for bad in ("22-05", "25:00-01:00", "01:00-01:00", 2200):
        with pytest.raises(ValueError):
            parse_window(bad)
    tz = "Asia/Ho_Chi_Minh"  # 22:00-05:00 local is 15:00-22:00 UTC
    assert in_window("22:00-05:00", datetime(2026, 1, 1, 16, 0, tzinfo=UTC), tz)
    assert in_window("22:00-05:00", datetime(2026, 1, 1, 21, 59, tzinfo=UTC), tz)
    assert not in_window("22:00-05:00", datetime(2026, 1, 1, 22, 0, tzinfo=UTC), tz)
    assert in_window("09:00-17:00", datetime(2026, 1, 1, 9, 0, tzinfo=UTC), "UTC")


def _registry(tmp_path, extra: str):
    path = tmp_path / "r.toml"
    path.write_text('[[portals]]\nid = "x"\nname = "X"\nbase_url = "http://127.0.0.1:9/"\n'
                    + extra, encoding="utf-8")
    return path


@pytest.mark.parametrize("extra, field", [("concurrency = 0", "concurrency"),
                                          ("delay = -1", "delay"),
                                          ('delay = "2s"', "delay"),
                                          ('window = "night"', "window")])
def test_registry_politeness_errors_name_the_field(tmp_path, extra, field):
    with pytest.raises(RegistryError, match=f"portal 'x' field '{field}'"):
        load_registry(_registry(tmp_path, extra))


def test_scheduler_waits_for_the_window_and_runs_once(tmp_path):
    path = _registry(tmp_path, 'schedule = "0 12 * * *"\ntimezone = "UTC"\n'
                               'window = "22:00-05:00"\n')
    clock = Clock(datetime(2026, 1, 1, 11, 0, tzinfo=UTC))
    launcher = FakeLauncher()
    scheduler = Scheduler(load_registry(path), tmp_path / "out", launcher, clock)
    clock.advance(hours=1, minutes=1)  # 12:01 UTC: due, but outside the window
    assert scheduler.tick() == []
    clock.advance(days=1)  # the next day's slot is missed too: still one run owed
    assert scheduler.tick() == []
    clock.advance(hours=10)  # 22:01 UTC
    assert scheduler.tick() == ["x"] and launcher.launched == [("x", "full")]
    launcher.handles["x"].code = 0
    clock.advance(minutes=5)
    assert scheduler.tick() == []


# -- a real crawl against a server that asks for patience ------------------------------------
class _Polite(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    log: list[tuple[float, str, int]] = []
    retry_after = "1"
    robots = b"User-agent: *\nCrawl-delay: 1\n"
    _busy = True

    def do_GET(self) -> None:
        if self.path == "/robots.txt":
            status, body, extra = 200, type(self).robots, []
        elif self.path == "/busy" and type(self)._busy:
            type(self)._busy = False
            status, body, extra = 503, b"busy", [("Retry-After", type(self).retry_after)]
        else:
            links = "".join(f'<a href="/p{i}">p{i}</a>' for i in range(3))
            body = f'<html><body><a href="/busy">b</a>{links}</body></html>'.encode()
            status, extra = 200, []
        type(self).log.append((time.monotonic(), self.path, status))
        self.send_response(status)
        for name, value in [("Content-Type", "text/html; charset=utf-8"), *extra]:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def _crawl(tmp_path, handler, *settings: str, registry: str = "") -> list[tuple[float, str, int]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        target = ["--url", url, "--id", "polite", "--family", "generic"]
        if registry:  # a registry entry with its own politeness fields
            path = tmp_path / "registry.toml"
            path.write_text(f'[[portals]]\nid = "polite"\nname = "P"\nbase_url = "{url}"\n'
                            f'family = "generic"\nallowed_hosts = ["127.0.0.1"]\n{registry}',
                            encoding="utf-8")
            target = ["polite", "--registry", str(path)]
        result = subprocess.run(
            [sys.executable, "-m", "crawler.cli", "crawl", *target,
             "--out", str(tmp_path), "-s", "AUTOTHROTTLE_ENABLED=False",
             "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=4",
             "-s", "LOG_LEVEL=WARNING", *settings],
            cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr[-3000:]
    finally:
        server.shutdown()
        server.server_close()
    return handler.log


def test_crawl_delay_and_retry_after_are_honoured(tmp_path):
    class Handler(_Polite):
        log: list = []

    log = _crawl(tmp_path, Handler)
    pages = [t for t, path, _ in log if path != "/robots.txt"]
    assert len(pages) == 6  # home, 503, its retry, p0..p2
    gaps = [b - a for a, b in zip(pages, pages[1:], strict=False)]
    assert min(gaps) >= 0.9, gaps  # Crawl-delay: 1, with concurrency 4 and no download delay
    busy = [t for t, path, _ in log if path == "/busy"]
    assert [s for _, p, s in log if p == "/busy"] == [503, 200] and busy[1] - busy[0] >= 0.9


def test_retry_after_is_capped_and_the_registry_delay_kept(tmp_path):
    class Handler(_Polite):
        log: list = []
        retry_after = "3600"
        robots = b"User-agent: *\nAllow: /\n"

    log = _crawl(tmp_path, Handler, "-s", "RETRY_AFTER_MAX=1",
                 registry="concurrency = 1\ndelay = 0.5\n")
    busy = [t for t, path, _ in log if path == "/busy"]
    assert len(busy) == 2 and 0.9 <= busy[1] - busy[0] < 30
    pages = [t for t, path, _ in log if path != "/robots.txt"]
    gaps = [b - a for a, b in zip(pages, pages[1:], strict=False)]
    assert len(pages) == 6 and min(gaps) >= 0.45, gaps  # the entry's delay = 0.5


def test_failure_kinds_look_through_wrapped_exceptions():
    from OpenSSL import SSL
    from scrapy.exceptions import CannotResolveHostError, DownloadFailedError
    from twisted.python.failure import Failure
    from twisted.web.client import ResponseFailed

    from crawler.middlewares.failure_kinds import failure_kind

    def wrapped(inner: Exception, outer: type[Exception]) -> Exception:
        try:
            try:
                raise inner
            except Exception as exc:
                raise outer(str(exc)) from exc
        except Exception as exc:  # noqa: BLE001 - the test builds the chain Scrapy builds
            return exc

    assert failure_kind(wrapped(OSError("no such host"), CannotResolveHostError)) == "dns"
    tls = ResponseFailed([Failure(SSL.Error([("SSL routines", "", "certificate verify "
                                                "failed")]))])
    assert failure_kind(wrapped(tls, DownloadFailedError)) == "tls"
    assert failure_kind(wrapped(ConnectionRefusedError("refused"), OSError)) == "refused"
    assert failure_kind(ValueError("x")) == "other"
