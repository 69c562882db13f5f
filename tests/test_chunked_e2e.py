"""End to end: a server answering with ``Transfer-Encoding: chunked`` (in several chunks). The
response record's ``WARC-Payload-Digest`` is the SHA-1 of the de-chunked body (WARC 1.1), the
record stores that body and replays, warcio check and verify are clean, and the same body
served chunked and with a Content-Length is one payload (the second answer is a revisit)."""

from __future__ import annotations

import base64
import hashlib
import sqlite3
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from archive import read_record_at
from crawler.replay import replay
from tests.archive_crawl import cli
from tests.portal_fixture import FAST_SETTINGS

pytestmark = pytest.mark.e2e
BODY = ("<html><head><title>Thông báo lịch tiếp công dân</title></head><body>"
        "<h1>Thông báo lịch tiếp công dân</h1>"
        + "<p>Ủy ban nhân dân huyện thông báo lịch tiếp công dân định kỳ.</p>" * 40
        + '<a href="/plain.html">bản không chia khúc</a></body></html>').encode()
# Only the chunked page links the plain one: the chunked answer is always archived first.
HOME = b'<html><head><title>Home</title></head><body><a href="/chunked.html">a</a></body></html>'



class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path == "/chunked.html":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(BODY), 700):  # several chunks of uneven sizes
                piece = BODY[start:start + 700]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
            return
        body = {"/": HOME, "/plain.html": BODY}.get(self.path)
        if self.path == "/robots.txt":
            body = b"User-agent: *\r\nDisallow:\r\n"
        self.send_response(200 if body is not None else 404)
        body = body if body is not None else b"not found"
        self.send_header("Content-Type", "text/plain" if self.path == "/robots.txt"
                         else "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    out = tmp_path_factory.mktemp("chunked")
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        result = cli("crawl", "--url", base, "--family", "generic", "--out", str(out),
                     *FAST_SETTINGS)
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 0, result.stderr[-3000:]
    db = sqlite3.connect(out / "archive.db")
    db.row_factory = sqlite3.Row
    yield out, db
    db.close()


def test_chunked_payload_digest_is_the_sha1_of_the_body(crawled):
    out, db = crawled
    expected = "sha1:" + base64.b32encode(hashlib.sha1(BODY).digest()).decode()
    row = db.execute("SELECT * FROM captures WHERE url LIKE '%/chunked.html'").fetchone()
    assert row["payload_digest"] == expected
    record = read_record_at(out / "warc" / row["warc_file"], row["warc_offset"])
    assert record.rec_type == "response"  # fetched first (see HOME)
    assert record.warc_headers["WARC-Payload-Digest"] == expected
    # stored without chunk framing (Twisted hands Scrapy neither the framing nor the
    # Transfer-Encoding header; the writer's own handling of that header is unit-tested)
    assert record.raw_payload == BODY and record.content == BODY
    assert record.header("Transfer-Encoding") is None


def test_chunked_and_plain_answers_of_one_body_deduplicate(crawled):
    out, db = crawled
    rows = {r["url"].rsplit("/", 1)[1]: r for r in db.execute(
        "SELECT * FROM captures WHERE url LIKE '%.html'")}
    first, second = sorted(rows.values(), key=lambda r: r["id"])
    assert first["warc_type"] == "response" and second["warc_type"] == "revisit"
    assert second["refers_to"] == first["warc_record_id"]
    assert first["payload_digest"] == second["payload_digest"]
    # both replay with the body as served
    for row in (first, second):
        original = None
        if row["refers_to"]:
            original = (first["warc_file"], first["warc_offset"])
        page = replay(out / "warc", row["warc_file"], row["warc_offset"], original=original)
        assert page.status == 200 and "lịch tiếp công dân định kỳ" in page.body.decode()


def test_chunked_crawl_checks_clean(crawled):
    out, _db = crawled
    warcs = sorted(str(p) for p in (out / "warc").glob("*.warc.gz"))
    check = subprocess.run([Path(sys.executable).parent / "warcio", "check", "-v", *warcs],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout[-2000:]
    assert "failed" not in check.stdout
    verify = cli("verify", "--db", str(out / "archive.db"))
    assert verify.returncode == 0, verify.stdout
