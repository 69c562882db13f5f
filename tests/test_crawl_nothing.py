"""A crawl that archived nothing fails: exit 1 with one line saying why, the crawl recorded
as failed (live and on reindex), no tracebacks for network failures; a bad --url is a usage
error naming the option."""

from __future__ import annotations

import socket
import sqlite3
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import main
from crawler.extensions.nothing_archived import why
from crawler.reindex import reindex
from tests.archive_crawl import cli
from tests.portal_fixture import FAST_SETTINGS

pytestmark = pytest.mark.e2e
QUICK = [*FAST_SETTINGS, "-s", "RETRY_TIMES=0", "-s", "LOG_LEVEL=INFO"]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _crawls(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT status, finish_reason FROM crawls").fetchall()


def test_refused_connection_fails_in_one_line(tmp_path):
    url = f"http://127.0.0.1:{_closed_port()}/"
    result = cli("crawl", "--url", url, "--out", str(tmp_path), *QUICK)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == \
        f"Error: nothing archived: {url} refused the connection"
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    assert "Connection refused" in result.stderr  # the log still says what happened
    assert _crawls(tmp_path / "archive.db") == [("failed", "nothing_archived")]
    # The WARC (warcinfo + closing metadata) says the same on reindex.
    report = reindex(sorted((tmp_path / "warc").glob("*.warc.gz")), tmp_path / "re.db")
    assert not report.errors
    assert _crawls(tmp_path / "re.db") == [("failed", "nothing_archived")]


class _DisallowAll(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        body = b"User-agent: *\nDisallow: /\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_robots_disallowing_everything_is_nothing_archived(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _DisallowAll)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/"
        result = cli("crawl", "--url", url, "--out", str(tmp_path), *QUICK)
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == \
        f"Error: nothing archived: {url} is disallowed by robots.txt"
    assert _crawls(tmp_path / "archive.db") == [("failed", "nothing_archived")]


def test_why_reads_the_failure_kinds():
    assert why({"failures/start/dns": 3, "failures/timeout": 9}) == \
        "did not resolve (DNS failure)"
    assert why({"failures/timeout": 2, "failures/refused": 1}) == "timed out"
    assert why({"failures/start/weird": 1}) == "failed (weird error)"
    assert why({"robotstxt/forbidden": 1}) == "is disallowed by robots.txt"
    assert why({}) == "was not fetched"


@pytest.mark.parametrize("args, hint", [
    (["--url", "ftp://x"], "Invalid value for '--url': 'ftp://x' is not an http(s) URL"),
    (["--url", "file:///etc/passwd"], "Invalid value for '--url'"),
    (["--url", "http://127.0.0.1:1/", "--id", "Bad Id"], "Invalid value for '--id'"),
])
def test_bad_url_is_a_usage_error(args, hint):
    result = CliRunner().invoke(main, ["crawl", *args])
    assert result.exit_code == 2 and hint in result.output
    assert "registry" not in result.output and "Traceback" not in result.output
