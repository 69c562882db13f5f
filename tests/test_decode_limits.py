"""A Content-Encoding body is decoded once, under the crawl's ``DOWNLOAD_MAXSIZE``, the same
way live and on reindex: a decompression bomb archived in a WARC (a few KB of gzip, 3 MB once
decoded, with the cap lowered to 1 MB) is not extracted by reindex, and the live middleware
records it as reindex does (a ``decode_error`` failure and the same ``extract_reason``)."""

from __future__ import annotations

import gzip
import json
import sqlite3
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from archive import HttpExchange, RotatingWarcWriter
from crawler.decoding import archived_decode
from crawler.middlewares.decode_errors import DecodeErrorsMiddleware
from crawler.middlewares.failure_log import fetch_failed
from crawler.registry import adhoc_portal
from crawler.reindex import reindex
from crawler.signals import capture_problem
from tests.replica.faults import article_html

FIXED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
BASE = "http://127.0.0.1:1/"
CAP = 1_000_000
PAGE = article_html(7)
# A whole article page whose padding makes it 3 MB once decoded.
BOMB = gzip.compress(PAGE.replace("</html>", "</html>" + " " * 3_000_000).encode(), mtime=0)
SMALL = gzip.compress(PAGE.encode(), mtime=0)
GZIP = [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip")]
EXPECTED = ("not extracted: decode_error: gzip body larger than DOWNLOAD_MAXSIZE "
            f"({CAP} bytes) once decoded")


def url(nid: int) -> str:
    return f"{BASE}Trang/ChiTietTinTuc.aspx?nid={nid}"


def write_warc(directory, settings: dict) -> list:
    portal = adhoc_portal(BASE, "qnp", "t")
    info = {"portal-archive-crawl-id": "t-1", "portal-archive-family": "qnp",
            "portal-archive-portal": json.dumps(portal.as_row()),
            "portal-archive-settings": json.dumps(settings)}
    with RotatingWarcWriter(directory, "t", info, clock=lambda: FIXED) as writer:
        for nid, body in ((7, BOMB), (8, SMALL)):
            writer.write_exchange(HttpExchange(url=url(nid), response_headers=GZIP, body=body,
                                               fetched_at=FIXED))
        return writer.files


def outcomes(db_path) -> dict[str, tuple]:
    conn = sqlite3.connect(db_path)
    try:
        return {u: tuple(rest) for u, *rest in conn.execute(
            "SELECT url, page_type, extract_status, extract_reason FROM captures")}
    finally:
        conn.close()


def test_the_bomb_is_small_on_the_wire_and_large_decoded():
    assert len(BOMB) < 20_000 and len(gzip.decompress(BOMB)) > 3 * CAP
    assert archived_decode(200, GZIP, BOMB, 0)[1] is None  # no cap: it decodes


def test_reindex_caps_decoding_with_the_crawls_download_maxsize(tmp_path):
    warcs = write_warc(tmp_path / "warc", {"DOWNLOAD_MAXSIZE": str(CAP)})  # as -s gives it
    report = reindex(warcs, tmp_path / "archive.db")
    assert report.captures == 2 and not report.errors
    rows = outcomes(tmp_path / "archive.db")
    assert rows[url(7)] == (None, "skipped", EXPECTED)
    assert rows[url(8)] == ("article", "ok", rows[url(8)][2])  # under the cap: extracted
    assert report.articles == 1


def test_reindex_of_older_warcs_uses_the_projects_cap(tmp_path, monkeypatch):
    """WARCs written before DOWNLOAD_MAXSIZE was recorded: the project's value (lowered)."""
    monkeypatch.setattr("crawler.reindex.MAX_SIZE", CAP)
    warcs = write_warc(tmp_path / "warc", {})
    reindex(warcs, tmp_path / "archive.db")
    assert outcomes(tmp_path / "archive.db")[url(7)] == (None, "skipped", EXPECTED)


def live(monkeypatch, body: bytes) -> tuple[list[tuple], list[tuple], BaseException, int]:
    """One response through the live decompression middleware (DOWNLOAD_MAXSIZE lowered):
    the failures and capture problems it signalled, what it raised, and how many times a
    decoder ran."""
    crawler = get_crawler(settings_dict={"DOWNLOAD_MAXSIZE": CAP})
    crawler.stats = SimpleNamespace(inc_value=lambda *a, **k: None)
    failures, problems, decodes = [], [], []
    crawler.signals.connect(lambda **kw: failures.append((kw["kind"], kw["detail"],
                                                          kw["warc_record_id"])),
                            signal=fetch_failed, weak=False)
    crawler.signals.connect(lambda **kw: problems.append((kw["warc_record_id"], kw["reason"])),
                            signal=capture_problem, weak=False)
    real = HttpCompressionMiddleware._decode

    def counted(body, encoding, max_size):
        decodes.append(max_size)
        return real(body, encoding, max_size)

    monkeypatch.setattr(HttpCompressionMiddleware, "_decode", staticmethod(counted))
    middleware = DecodeErrorsMiddleware(crawler)
    request = Request(url(7), meta={"warc": SimpleNamespace(record_id="<urn:uuid:r7>")})
    response = HtmlResponse(url(7), body=body, headers=dict(GZIP), request=request)
    with pytest.raises(IgnoreRequest) as raised:
        middleware.process_response(request, response)
    return failures, problems, raised.value, len(decodes)


def test_live_records_an_oversize_decoded_body_as_reindex_does(monkeypatch):
    failures, problems, raised, decodes = live(monkeypatch, BOMB)
    detail = EXPECTED.removeprefix("not extracted: decode_error: ")
    assert failures == [("decode_error", detail, "<urn:uuid:r7>")]
    assert problems == [("<urn:uuid:r7>", archived_decode(200, GZIP, BOMB, CAP)[1])]
    assert problems[0][1] == EXPECTED
    assert detail in str(raised) and decodes == 1


def test_an_undecodable_body_is_decoded_once_and_explained(monkeypatch):
    corrupt = SMALL[:30] + bytes(b ^ 0x5A for b in SMALL[30:60]) + SMALL[60:]
    failures, problems, _, decodes = live(monkeypatch, corrupt)
    reason = archived_decode(200, GZIP, corrupt, CAP)[1]
    assert reason.startswith("not extracted: decode_error: gzip body cannot be decoded (zlib.")
    assert problems == [("<urn:uuid:r7>", reason)]
    assert failures[0][:2] == ("decode_error", reason.removeprefix(
        "not extracted: decode_error: "))
    assert decodes == 1  # not decoded again to word the reason


PAGE_BYTES = article_html(1).encode("utf-8")
WHOLE = gzip.compress(PAGE_BYTES, mtime=0)


@pytest.mark.parametrize("body", [
    WHOLE,                                           # one clean member: the one-call path
    gzip.compress(b"", mtime=0),                     # an empty one
    WHOLE + gzip.compress(b"<p>more</p>", mtime=0),  # several members
    WHOLE + b"trailing bytes",
    WHOLE[:-12],                                     # cut
    WHOLE[:-8] + b"\x00\x00\x00\x00" + WHOLE[-4:],   # bad CRC
    b"not gzip at all",
], ids=["whole", "empty", "members", "trailing", "cut", "crc", "garbage"])
@pytest.mark.parametrize("max_size", [0, len(PAGE_BYTES), len(PAGE_BYTES) - 1])
def test_gzip_decodes_as_scrapy_decodes(body, max_size):
    """The one-call path for a clean member and Scrapy's decoder for everything else give
    what Scrapy's decoder alone gives: the same body, or an error where it raises."""
    from crawler.decoding import DECODE_ERRORS, UndecodableBodyError, undo_encodings

    try:
        expected = HttpCompressionMiddleware._decode(body, b"gzip", max_size)
    except DECODE_ERRORS:
        with pytest.raises(UndecodableBodyError):
            undo_encodings(body, [b"gzip"], max_size)
    else:
        assert undo_encodings(body, [b"gzip"], max_size) == (expected, [])
