"""The replay page's Content-Security-Policy, checked in a real browser (Debian's headless
Chromium): an archived page full of scripts and references to a "live" server is opened
through ``/-/replay/...`` of a real Datasette; no script runs and the live server receives
no request. The same page served without the policy (the control) does both, so the check
can fail."""

from __future__ import annotations

import itertools
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from archive import HttpExchange, RotatingWarcWriter
from db import ArchiveStore
from tests.portal_fixture import free_port

pytestmark = pytest.mark.e2e
CHROMIUM = "/usr/bin/chromium"
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--virtual-time-budget=4000", "--dump-dom")


def hostile_page(live: str) -> bytes:
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>Họp Ban thường vụ HU</title>
<link rel="stylesheet" href="{live}/live.css">
<script src="{live}/live.js"></script>
<script>document.title = "SCRIPT RAN"; new Image().src = "{live}/beacon";
fetch("{live}/fetch");</script>
</head><body onload="document.body.setAttribute('data-onload', 'ran')">
<p id="content">Nội dung bài viết</p>
<img src="{live}/live.png"><iframe src="{live}/frame"></iframe>
<object data="{live}/object"></object><video src="{live}/video"></video>
<link rel="prefetch" href="{live}/prefetch">
</body></html>""".encode()


class Live(BaseHTTPRequestHandler):
    """The "live web": records every request it gets; serves the hostile page at /page."""

    hits: list[str] = []
    page = b""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        Live.hits.append(self.path)
        body = Live.page if self.path == "/page" else b""
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def dump_dom(url: str, profile: Path) -> str:
    done = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", url],
                          capture_output=True, text=True, timeout=120)
    return done.stdout


@pytest.fixture(scope="module")
def live():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Live)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    Live.page = hostile_page(base)
    yield base
    server.shutdown()
    server.server_close()


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="make setup installs chromium")
def test_csp_blocks_scripts_and_the_live_web_in_a_real_browser(live, tmp_path):
    # the control: the page as the live server serves it runs its script and calls home
    control = dump_dom(f"{live}/page", tmp_path / "profile-control")
    assert "<title>SCRIPT RAN</title>" in control and 'data-onload="ran"' in control
    assert {"/live.css", "/live.js", "/live.png", "/beacon"} <= set(Live.hits)
    Live.hits.clear()

    # the archive: the same bytes as a WARC record, replayed through a real Datasette
    archive = tmp_path / "archive"
    archive.mkdir()
    ArchiveStore(archive / "archive.db").close()
    ids = itertools.count(1)
    fixed = datetime(2022, 1, 27, 3, 16, tzinfo=UTC)
    with RotatingWarcWriter(archive / "warc", "binhlieu", {"software": "test"},
                            record_id_factory=lambda: f"<urn:uuid:{next(ids):08d}>",
                            clock=lambda: fixed) as writer:
        _, pointer, _ = writer.write_exchange(HttpExchange(
            url=f"{live}/page", response_headers=[
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Length", str(len(Live.page)))],
            body=Live.page, fetched_at=fixed))
    port = free_port()
    datasette = subprocess.Popen(
        [sys.executable, "-m", "datasette", "serve", str(archive / "archive.db"),
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/-/replay/{pointer.filename}/{pointer.offset}"
        for _ in range(100):
            try:
                urllib.request.urlopen(url, timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        dom = dump_dom(url, tmp_path / "profile-replay")
    finally:
        datasette.terminate()
        datasette.wait(timeout=10)
    assert "Nội dung bài viết" in dom and 'id="portal-archive-banner"' in dom
    assert "<title>Họp Ban thường vụ HU</title>" in dom  # the inline script did not run
    assert "<title>SCRIPT RAN</title>" not in dom and 'data-onload="ran"' not in dom
    assert Live.hits == [], f"the replay reached the live web: {Live.hits}"
