"""Replay from Datasette: ``/-/replay/<warc_file>/<offset>`` serves the archived page from its
WARC record with a banner and a Content-Security-Policy that blocks scripts and the live web;
every capture and article row links to it; bad pointers and corrupt records give a clear
error naming file and offset."""

from __future__ import annotations

import asyncio
import re
import shutil
import sqlite3

import pytest
from datasette.app import Datasette

from crawler.replay import CSP
from tests.archive_crawl import crawl_replica
from tests.replica import FOUNDING_NID

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    out = tmp_path_factory.mktemp("replay-crawl")
    crawl_replica(out, 6)
    return out


def get(db_path, *paths):
    ds = Datasette([str(db_path)])

    async def run():
        return [await ds.client.get(p) for p in paths]

    return asyncio.run(run())


def founding(db_path):
    db = sqlite3.connect(db_path)
    row = db.execute("SELECT warc_file, warc_offset, warc_record_id, url, fetched_at "
                     "FROM captures WHERE url LIKE ?", [f"%nid={FOUNDING_NID}"]).fetchone()
    db.close()
    return row


def test_replay_serves_the_archived_page_with_banner_and_csp(crawled):
    warc_file, offset, record_id, url, fetched_at = founding(crawled / "archive.db")
    (resp,) = get(crawled / "archive.db", f"/-/replay/{warc_file}/{offset}")
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "text/html; charset=utf-8"
    csp = resp.headers["content-security-policy"]
    assert csp == CSP
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'" and directives["script-src"] == "'none'"
    assert directives["connect-src"] == "'none'" and directives["form-action"] == "'none'"
    # nothing but the replay server itself (no http:, https: or a host) may be loaded
    assert not re.search(r"https?:|\*|//", csp)
    page = resp.text
    assert "Họp Ban thường vụ HU" in page and "Thu Hằng" in page
    banner = page[page.index('<div id="portal-archive-banner"'):]
    banner = banner[:banner.index("</div>")]
    assert "Cổng thông tin điện tử huyện Bình Liêu" in banner
    assert f'<code class="url">{url}</code>' in banner
    assert f'<time class="captured">{fetched_at}</time>' in banner
    assert record_id.replace("<", "&lt;").replace(">", "&gt;") in banner
    assert page.index("portal-archive-banner") > page.lower().index("<body")
    assert resp.headers["x-archive-record-id"] == record_id


def test_every_capture_and_article_row_links_to_its_replay(crawled):
    db_path = crawled / "archive.db"
    captures, articles, exports, row = get(
        db_path, "/archive/captures?_size=max", "/archive/articles?_size=max",
        "/archive/article_exports?_size=max", "/archive/articles/1")
    db = sqlite3.connect(db_path)
    n_captures = db.execute("SELECT count(*) FROM captures").fetchone()[0]
    n_articles = db.execute("SELECT count(*) FROM articles").fetchone()[0]
    last = db.execute("SELECT c.warc_file, c.warc_offset FROM articles a JOIN captures c "
                      "ON c.id = a.last_capture_id WHERE a.id = 1").fetchone()
    db.close()
    links = re.findall(r'class="replay" href="(/-/replay/[^"]+)"', captures.text)
    assert len(links) == n_captures
    assert len(re.findall(r'class="replay" href=', articles.text)) == n_articles
    assert len(re.findall(r'class="replay" href=', exports.text)) == n_articles
    assert f'href="/-/replay/{last[0]}/{last[1]}"' in row.text
    for link in links[:5]:
        (resp,) = get(db_path, link)
        assert resp.status_code == 200


def test_bad_pointers_and_corrupt_records_name_file_and_offset(crawled, tmp_path):
    copy = tmp_path / "archive"
    shutil.copytree(crawled, copy)
    warc_file, offset, *_ = founding(copy / "archive.db")
    wrong, missing, traversal = get(
        copy / "archive.db", f"/-/replay/{warc_file}/{offset + 3}",
        "/-/replay/nope-00000.warc.gz/0", "/-/replay/..%2Farchive.db/0")
    assert wrong.status_code == 404
    assert wrong.text.strip() == f"{warc_file}: no record starts at offset {offset + 3}"
    assert missing.status_code == 404 and "no such WARC file" in missing.text
    assert traversal.status_code == 404
    warc = copy / "warc" / warc_file
    data = bytearray(warc.read_bytes())
    data[offset + 40] ^= 0xFF
    warc.write_bytes(bytes(data))
    (corrupt,) = get(copy / "archive.db", f"/-/replay/{warc_file}/{offset}")
    assert corrupt.status_code == 502
    assert corrupt.text.startswith(f"{warc_file}: corrupt or truncated WARC record at offset "
                                   f"{offset}")
