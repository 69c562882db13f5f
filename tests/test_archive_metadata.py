"""The WARC records of a real crawl are archive-grade: one ``metadata`` record per article
capture (extraction result and outlinks, concurrent to the response), WARC-IP-Address on
responses, a self-describing warcinfo, ``warcio check`` clean, and reindex still gives the
same rows (it reads the metadata records but rebuilds from the responses)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from archive import iter_records
from tests.archive_crawl import cli, crawl_replica

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    out = tmp_path_factory.mktemp("metadata-crawl")
    crawl_replica(out, 12, "-s", "WARC_OPERATOR=Lưu trữ thử <archive@example.org>")
    warcs = sorted((out / "warc").glob("*.warc.gz"))
    records = [r for w in warcs for r in iter_records(w)]
    db = sqlite3.connect(out / "archive.db")
    db.row_factory = sqlite3.Row
    yield {"out": out, "warcs": warcs, "records": records, "db": db}
    db.close()


def field_pairs(content: bytes) -> list[tuple[str, str]]:
    pairs = []
    for line in content.decode("utf-8").split("\r\n"):
        key, sep, value = line.partition(": ")
        if sep:
            pairs.append((key, value))
    return pairs


def test_one_metadata_record_per_article_capture(crawled):
    records = crawled["records"]
    by_id = {r.record_id: r for r in records}
    extracted = [r for r in records if r.rec_type == "metadata"
                 and r.fields.get("portal-archive-event") == "article-extracted"]
    article_captures = crawled["db"].execute(
        "SELECT c.warc_record_id, a.title, a.article_id FROM article_captures ac "
        "JOIN captures c ON c.id = ac.capture_id JOIN articles a ON a.id = ac.article"
    ).fetchall()
    # every page extracted as an article, including one whose extraction failed
    article_pages = [r[0] for r in crawled["db"].execute(
        "SELECT warc_record_id FROM captures WHERE page_type = 'article'")]
    concurrent = [r.warc_headers["WARC-Concurrent-To"] for r in extracted]
    assert sorted(concurrent) == sorted(article_pages)
    assert len(article_pages) == len(article_captures) + 1  # + the page without a title
    titles = {row["warc_record_id"]: (row["title"], row["article_id"]) for row in
              article_captures}
    for meta in extracted:
        if meta.warc_headers["WARC-Concurrent-To"] not in titles:
            continue
        response = by_id[meta.warc_headers["WARC-Concurrent-To"]]
        assert response.rec_type == "response" and meta.target_uri == response.target_uri
        pairs = field_pairs(meta.content)
        result = json.loads(dict(pairs)["portal-archive-extraction"])
        assert (result["title"], dict(pairs)["portal-archive-article-key"]) == titles[
            response.record_id]
        outlinks = [v for k, v in pairs if k == "outlink"]
        # links (L) and, Heritrix style, the embedded page requisites (E)
        assert outlinks and all(v.endswith((" L a/@href", " E img/@src", " E link/@href",
                                            " E script/@src")) for v in outlinks)
        assert any("ChiTietTinTuc.aspx" in v for v in outlinks)
        assert any(v.endswith("style.css E link/@href") for v in outlinks)
        assert "portal-archive-requisites" in dict(pairs)
        assert meta.warc_headers["Content-Type"] == "application/warc-fields"


def test_responses_carry_ip_and_both_digests_and_warcinfo_describes_the_crawl(crawled):
    records = crawled["records"]
    for rec in records:
        if rec.rec_type in ("response", "request"):
            assert rec.warc_headers["WARC-IP-Address"] == "127.0.0.1"
            assert rec.warc_headers["WARC-Block-Digest"].startswith("sha1:")
            assert rec.warc_headers["WARC-Payload-Digest"].startswith("sha1:")
    info = records[0].fields
    assert records[0].rec_type == "warcinfo"
    assert info["robots"] == "obey"
    assert info["operator"] == "Lưu trữ thử <archive@example.org>"
    settings = json.loads(info["portal-archive-settings"])
    assert settings["ROBOTSTXT_OBEY"] is True and "DOWNLOAD_DELAY" in settings
    check = subprocess.run([Path(sys.executable).parent / "warcio", "check",
                            *map(str, crawled["warcs"])], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout[-2000:]


def test_reindex_and_verify_are_unchanged_by_metadata_records(crawled, tmp_path):
    rebuilt = tmp_path / "rebuilt.db"
    result = cli("reindex", *map(str, crawled["warcs"]), "--db", str(rebuilt))
    assert result.returncode == 0, result.stderr
    sql = ("SELECT warc_record_id, url, status, payload_digest, page_type, extract_status "
           "FROM captures ORDER BY warc_record_id")
    again = sqlite3.connect(rebuilt)
    assert again.execute(sql).fetchall() == [tuple(r) for r in crawled["db"].execute(sql)]
    assert cli("verify", "--db", str(rebuilt), *map(str, crawled["warcs"])).returncode == 0
