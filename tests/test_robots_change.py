"""A robots.txt that changes in the middle of a crawl.

The behaviour (README, "Hostile web"): a crawl obeys the robots.txt it read when it first
met the host, for its whole run (Scrapy reads it once per host and crawl), and that
robots.txt is archived as the crawl's own capture, so which policy a crawl obeyed is on
record; a change takes effect at the next crawl. The fault replica's robots.txt starts
disallowing ``/faults/robots-late`` once it has answered one request: the first crawl reads
it before the change, fetches the page anyway and never re-reads robots.txt; the second
crawl reads the new robots.txt, leaves the page alone and records a ``robots`` failure.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest

from tests.portal_fixture import FAST_SETTINGS, ROOT
from tests.replica import ReplicaSite, serve_in_thread
from tests.replica.faults import LATE_DISALLOW, Faults

pytestmark = pytest.mark.e2e
LATE = "/faults/robots-late"


def test_robots_txt_read_at_the_start_holds_until_the_next_crawl(tmp_path):
    server, base = serve_in_thread(ReplicaSite(articles=6, seed=1, chrome_kb=2),
                                   faults=Faults(robots_change_after=1))
    registry = tmp_path / "registry.toml"
    registry.write_text(
        f'[[portals]]\nid = "binhlieu"\nname = "Bình Liêu"\nbase_url = "{base}"\n'
        f'family = "qnp"\nstart_urls = {json.dumps([base, base + LATE.lstrip("/")])}\n'
        'allowed_hosts = ["127.0.0.1"]\nconfirmed = true\n', encoding="utf-8")
    out = tmp_path / "out"
    runs = []
    try:
        for _ in range(2):
            before = len(server.request_log)
            result = subprocess.run(
                [sys.executable, "-m", "crawler.cli", "crawl", "binhlieu", "--registry",
                 str(registry), "--out", str(out), *FAST_SETTINGS],
                cwd=ROOT, capture_output=True, text=True, timeout=300)
            assert result.returncode == 0, result.stderr[-3000:]
            runs.append([path for _, path, _ in list(server.request_log)[before:]])
    finally:
        server.shutdown()
        server.server_close()
    first, second = runs
    # Each crawl reads robots.txt once, first thing.
    assert first.count("/robots.txt") == 1 and first[0] == "/robots.txt"
    assert second.count("/robots.txt") == 1 and second[0] == "/robots.txt"
    # The first crawl obeyed what it read: the page disallowed meanwhile was fetched.
    assert LATE in first and LATE not in second
    db = sqlite3.connect(out / "archive.db")
    db.row_factory = sqlite3.Row
    crawls = [r["id"] for r in db.execute("SELECT id FROM crawls ORDER BY started_at")]
    assert len(crawls) == 2
    # Each crawl's robots.txt is archived: the policy it obeyed is on record.
    robots = {r["crawl_id"]: r for r in db.execute(
        "SELECT crawl_id, payload_digest, warc_file, warc_offset FROM captures "
        "WHERE url = ?", [base + "robots.txt"])}
    assert set(robots) == set(crawls)
    assert robots[crawls[0]]["payload_digest"] != robots[crawls[1]]["payload_digest"]
    from archive import read_record_at

    policy = read_record_at(out / "warc" / robots[crawls[1]]["warc_file"],
                            robots[crawls[1]]["warc_offset"]).content.decode()
    assert LATE_DISALLOW in policy
    # The second crawl's refusal is a failure row; the first crawl archived the page.
    failures = db.execute("SELECT crawl_id, kind FROM fetch_failures WHERE url = ?",
                          [base + LATE.lstrip("/")]).fetchall()
    assert [tuple(r) for r in failures] == [(crawls[1], "robots")]
    archived = db.execute("SELECT crawl_id, status FROM captures WHERE url = ?",
                          [base + LATE.lstrip("/")]).fetchall()
    assert [tuple(r) for r in archived] == [(crawls[0], 200)]
    db.close()
