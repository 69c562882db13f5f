"""The command line end to end on a small replica: `scrapy crawl`, `--limit`, live progress
on a terminal, a quiet log off a terminal, and `portal-archive serve` as a real server."""

from __future__ import annotations

import json
import os
import pty
import select
import sqlite3
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.portal_fixture import (
    FAST_SETTINGS,
    ROOT,
    free_port,
    start_replica,
    stop,
    write_registry,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def replica(tmp_path_factory):
    proc, base = start_replica("--articles", "60")
    registry = write_registry(tmp_path_factory.mktemp("reg") / "registry.toml", base)
    yield base, registry
    stop(proc)


def test_scrapy_crawl_with_limit(replica, tmp_path):
    base, registry = replica
    env = {**os.environ, "PORTAL_ARCHIVE_REGISTRY": str(registry)}
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "portal", "-a", "portal=binhlieu",
         "-a", "limit=15", "-s", f"ARCHIVE_OUT_DIR={tmp_path}", *FAST_SETTINGS],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    db = sqlite3.connect(tmp_path / "archive.db")
    pages = db.execute("SELECT count(*) FROM captures WHERE url NOT LIKE '%robots.txt' "
                       "AND resource_type IS NULL").fetchone()[0]
    # 15 requested pages, plus the targets of redirects among them (the articles' images,
    # stylesheets and documents are fetched besides: the limit counts pages)
    assert 15 <= pages <= 17
    assert (tmp_path / "warc").is_dir()


def test_progress_on_a_terminal(replica, tmp_path):
    base, registry = replica
    pid, fd = pty.fork()
    if pid == 0:  # child: the CLI with a terminal as stdout and stderr
        os.chdir(ROOT)
        os.execv(sys.executable, [sys.executable, "-m", "crawler.cli", "crawl", "binhlieu",
                                  "--registry", str(registry), "--out", str(tmp_path),
                                  "-s", "PROGRESS_INTERVAL=0.2", *FAST_SETTINGS[:6]])
    output = b""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
    _, status = os.waitpid(pid, 0)
    text = output.decode("utf-8", "replace")
    assert os.waitstatus_to_exitcode(status) == 0, text[-2000:]
    assert "pages/s" in text and "\r[" in text  # the live line, redrawn in place
    assert "articles " in text and "WARC records" in text  # the summary
    assert "Dumping Scrapy stats" not in text  # no log flood on a terminal


def test_quiet_log_off_a_terminal(replica, tmp_path):
    base, registry = replica
    result = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "crawl", "binhlieu", "--registry", str(registry),
         "--out", str(tmp_path), "--limit", "5", *FAST_SETTINGS[:6]],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "\r" not in result.stderr  # no redrawn progress line in logs
    assert "pages fetched" in result.stderr  # the summary, as log lines


def test_serve_runs_a_real_datasette(replica, tmp_path):
    base, registry = replica
    subprocess.run(
        [sys.executable, "-m", "crawler.cli", "crawl", "binhlieu", "--registry", str(registry),
         "--out", str(tmp_path), *FAST_SETTINGS], cwd=ROOT, check=True, capture_output=True,
        timeout=300)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "serve", "--db", str(tmp_path / "archive.db"),
         "--port", str(port)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/archive/articles.json?_search=Binh+Lieu&_shape=objects"
        for _ in range(100):
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    data = json.load(response)
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("datasette did not answer")
        assert "Họp Ban thường vụ HU" in [r["title"] for r in data["rows"]]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/metadata.json") as response:
            meta = json.load(response)
        assert "Vietnamese government portal archive" in meta["title"]
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_adhoc_url_with_auto_family(replica, tmp_path):
    base, _ = replica
    result = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "crawl", "--url", base, "--family", "auto",
         "--limit", "25", "--out", str(tmp_path), *FAST_SETTINGS],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    db = sqlite3.connect(tmp_path / "archive.db")
    portal_id = db.execute("SELECT id FROM portals").fetchone()[0]
    assert portal_id == base.split("//")[1].strip("/").replace(".", "-").replace(":", "-")
    # auto-detection recognised the QNP layout: articles keyed by the site's nid
    keys = [r[0] for r in db.execute("SELECT article_id FROM articles")]
    assert keys and all(k.isdigit() for k in keys)


def test_reindex_of_a_truncated_warc_keeps_what_is_readable(replica, tmp_path):
    base, registry = replica
    out = tmp_path / "out"
    subprocess.run(
        [sys.executable, "-m", "crawler.cli", "crawl", "binhlieu", "--registry", str(registry),
         "--out", str(out), "--limit", "20", *FAST_SETTINGS], cwd=ROOT, check=True,
        capture_output=True, timeout=300)
    (warc,) = (out / "warc").glob("*.warc.gz")
    damaged = tmp_path / warc.name
    data = warc.read_bytes()
    damaged.write_bytes(data[: len(data) * 2 // 3])
    before = damaged.read_bytes()
    result = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "reindex", str(damaged), "--db",
         str(tmp_path / "re.db")], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert f"{damaged}: corrupt or truncated WARC record at offset" in result.stderr
    assert "Traceback" not in result.stderr
    rows = sqlite3.connect(tmp_path / "re.db").execute("SELECT count(*) FROM captures")
    assert rows.fetchone()[0] > 5  # the records before the damage were indexed
    assert damaged.read_bytes() == before  # nothing overwritten
