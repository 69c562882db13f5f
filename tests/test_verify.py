"""``portal-archive verify``: digests of every record and the database's pointers into the
WARCs, on deliberately broken samples (a flipped byte, a truncated file, a row pointing at a
wrong offset, a missing row, a dangling dependent row)."""

from __future__ import annotations

import gzip
import itertools
import shutil
import sqlite3
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from archive import HttpExchange, RotatingWarcWriter
from archive.verify import digest_matches, verify_warc
from crawler.verification import verify
from tests.archive_crawl import cli, crawl_replica

FIXED = datetime(2022, 1, 27, 3, 16, 0, tzinfo=UTC)


def write_sample(directory: Path, chunked: bool = False) -> Path:
    counter = itertools.count(1)
    headers = [("Content-Type", "text/html; charset=utf-8")]
    if chunked:
        headers.append(("Transfer-Encoding", "chunked"))
    with RotatingWarcWriter(
        directory, "binhlieu", {"software": "portal-archive/test"},
        record_id_factory=lambda: f"<urn:uuid:00000000-0000-0000-0000-{next(counter):012d}>",
        clock=lambda: FIXED,
    ) as writer:
        for nid in (35530, 35531, 35532):
            writer.write_exchange(HttpExchange(
                url=f"http://127.0.0.1:8000/Trang/ChiTietTinTuc.aspx?nid={nid}",
                request_headers=[("Host", "127.0.0.1:8000")], response_headers=headers,
                body=f"<html><p>Họp Ban thường vụ HU {nid}</p></html>".encode(),
                ip_address="127.0.0.1", fetched_at=FIXED))
        writer.write_metadata("urn:test", {"k": "v"})
        return writer.files[0]


def rewrite_member(path: Path, index: int, change) -> int:
    """Replace the index-th gzip member by a recompressed, changed copy; return its offset."""
    data = path.read_bytes()
    members, pos = [], 0
    while pos < len(data):
        d = zlib.decompressobj(zlib.MAX_WBITS | 16)
        raw = d.decompress(data[pos:])
        size = len(data) - pos - len(d.unused_data)
        members.append((pos, raw))
        pos += size
    offset = members[index][0]
    out = b"".join(gzip.compress(change(raw) if i == index else raw)
                   for i, (_, raw) in enumerate(members))
    path.write_bytes(out)
    return sum(len(gzip.compress(raw)) for _, raw in members[:index]) if index else offset


def test_digest_forms():
    assert digest_matches("sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ", b"")
    assert digest_matches("sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709", b"")
    assert digest_matches("sha256:" + __import__("hashlib").sha256(b"x").hexdigest(), b"x")
    assert digest_matches("sha1:AAAA", b"x") is False
    assert digest_matches("crc32:0", b"x") is None


@pytest.mark.parametrize("chunked", [False, True])
def test_clean_sample_verifies(tmp_path, chunked):
    check = verify_warc(write_sample(tmp_path, chunked))
    assert check.problems == []
    assert [r.rec_type for r in check.records] == [
        "warcinfo", *["response", "request"] * 3, "metadata"]
    # warcinfo, 3 × (response, request) with block + payload, metadata with both (warcio
    # gives non-HTTP metadata a payload digest equal to its block digest)
    assert check.digests_checked == 1 + 6 * 2 + 2


def _chunked_record(path: Path, payload_digest_of: bytes) -> Path:
    """A response record storing real chunk framing (as some tools write), whose payload
    digest is computed over ``payload_digest_of``."""
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    from archive.exchange import sha1_digest

    framed = b"5\r\nhello\r\n7\r\n chunks\r\n0\r\n\r\n"
    http = StatusAndHeaders("200 OK", [("Transfer-Encoding", "chunked"),
                                       ("Content-Type", "text/plain")], protocol="HTTP/1.1")
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True, warc_version="WARC/1.1")
        record = writer.create_warc_record(
            "http://127.0.0.1:8000/chunked", "response", payload=io.BytesIO(framed),
            length=len(framed), http_headers=http,
            warc_headers_dict={"WARC-Payload-Digest": sha1_digest(payload_digest_of),
                               "WARC-Block-Digest": sha1_digest(http.to_bytes() + framed)})
        writer.write_record(record)
    return path


def test_payload_digest_of_a_chunked_record_is_over_the_dechunked_body(tmp_path):
    good = verify_warc(_chunked_record(tmp_path / "good.warc.gz", b"hello chunks"))
    assert good.problems == [] and good.digests_checked == 2
    framed = b"5\r\nhello\r\n7\r\n chunks\r\n0\r\n\r\n"
    wrong = verify_warc(_chunked_record(tmp_path / "wrong.warc.gz", framed))
    assert [p.kind for p in wrong.problems] == ["payload-digest"]


def test_flipped_byte_in_a_payload_fails_both_digests(tmp_path):
    path = write_sample(tmp_path)
    # The third member is the second response; flip one byte of its HTML.
    offset = rewrite_member(path, 3, lambda raw: raw.replace(b"35531</p>", b"35532</p>"))
    problems = verify_warc(path).problems
    assert {(p.kind, p.offset) for p in problems} == {
        ("block-digest", offset), ("payload-digest", offset)}
    assert all(p.file == path.name and p.record_id.endswith("0004>") for p in problems)


def test_flipped_byte_in_the_http_headers_fails_the_block_digest_only(tmp_path):
    path = write_sample(tmp_path)
    rewrite_member(path, 1, lambda raw: raw.replace(b"charset=utf-8", b"charset=utf-9"))
    assert [p.kind for p in verify_warc(path).problems] == ["block-digest"]


def test_flipped_compressed_byte_is_reported_not_raised(tmp_path):
    path = write_sample(tmp_path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    problems = verify_warc(path).problems
    assert problems and problems[0].kind in ("corrupt", "bad-gzip", "block-digest",
                                             "payload-digest")
    assert all(p.file == path.name and p.offset is not None for p in problems)


def test_truncated_file_names_the_offset_and_keeps_the_readable_records(tmp_path):
    path = write_sample(tmp_path)
    whole = verify_warc(path).records
    last = whole[-1]
    path.write_bytes(path.read_bytes()[:last.offset + last.length - 7])
    check = verify_warc(path)
    assert [(p.kind, p.offset) for p in check.problems] == [("corrupt", last.offset)]
    assert [r.record_id for r in check.records] == [r.record_id for r in whole[:-1]]


# -- against a real crawl of the replica ----------------------------------------------------

@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    out = tmp_path_factory.mktemp("verify-crawl")
    crawl_replica(out)
    return out


@pytest.fixture
def archive(crawled, tmp_path):
    """A private copy of the crawled archive to break."""
    copy = tmp_path / "archive"
    shutil.copytree(crawled, copy)
    return copy


@pytest.mark.e2e
def test_a_fresh_crawl_verifies_clean(archive):
    result = cli("verify", "--db", str(archive / "archive.db"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK — 1 WARC files,")
    warc = next((archive / "warc").glob("*.warc.gz"))
    only_files = cli("verify", str(warc))
    assert only_files.returncode == 0 and "0 database rows" in only_files.stdout


@pytest.mark.e2e
def test_row_pointing_at_a_wrong_offset(archive):
    db = sqlite3.connect(archive / "archive.db")
    row = db.execute("SELECT id, warc_offset, warc_record_id FROM captures WHERE url LIKE "
                     "'%nid=35530%'").fetchone()
    db.execute("UPDATE captures SET warc_offset = warc_offset + 1 WHERE id = ?", [row[0]])
    db.commit()
    db.close()
    result = cli("verify", "--db", str(archive / "archive.db"))
    assert result.returncode == 1
    assert f"captures#{row[0]}: bad-pointer: no record starts at" in result.stdout
    assert "(the record is at binhlieu-" in result.stdout and f"@{row[1]})" in result.stdout
    assert "FAILED: 1 problem(s)" in result.stdout


@pytest.mark.e2e
def test_row_with_the_wrong_record_id_and_digest(archive):
    db = sqlite3.connect(archive / "archive.db")
    a, b = db.execute("SELECT id, warc_record_id FROM captures ORDER BY id LIMIT 2").fetchall()
    db.execute("UPDATE captures SET warc_record_id = 'x', payload_digest = 'sha1:X' "
               "WHERE id = ?", [b[0]])
    db.commit()
    db.close()
    report = verify(sorted((archive / "warc").glob("*.warc.gz")), archive / "archive.db")
    kinds = sorted((p.kind, p.detail.split(" ")[0]) for p in report.problems)
    assert kinds == [("missing-row", "response"), ("row-mismatch", "payload_digest"),
                     ("row-mismatch", "warc_record_id")]
    assert [p for p in report.problems if p.kind == "missing-row"][0].record_id == b[1]


@pytest.mark.e2e
def test_missing_row_and_dangling_dependents(archive):
    db = sqlite3.connect(archive / "archive.db")
    capture_id, record_id = db.execute(
        "SELECT c.id, c.warc_record_id FROM captures c JOIN article_captures ac "
        "ON ac.capture_id = c.id LIMIT 1").fetchone()
    db.execute("DELETE FROM captures WHERE id = ?", [capture_id])
    db.commit()
    db.close()
    report = verify(sorted((archive / "warc").glob("*.warc.gz")), archive / "archive.db")
    kinds = {p.kind for p in report.problems}
    assert "missing-row" in kinds and "dangling" in kinds
    missing = [p for p in report.problems if p.kind == "missing-row"]
    assert [p.record_id for p in missing] == [record_id]
    assert any(p.file.startswith("archive.db:article_captures#") for p in report.problems)


@pytest.mark.e2e
def test_flipped_byte_in_a_crawled_warc(archive):
    warc = next((archive / "warc").glob("*.warc.gz"))
    db = sqlite3.connect(archive / "archive.db")
    offset = db.execute("SELECT warc_offset FROM captures WHERE url LIKE '%nid=35530%'"
                        ).fetchone()[0]
    db.close()
    data = bytearray(warc.read_bytes())
    data[offset + 200] ^= 0x01
    warc.write_bytes(bytes(data))
    result = cli("verify", "--db", str(archive / "archive.db"))
    assert result.returncode == 1
    assert f"problem: {warc.name}@{offset}: corrupt:" in result.stdout
    # the damaged record, and the row pointing at it; the records after it still verify
    assert "FAILED: 2 problem(s)" in result.stdout
    assert f"no record starts at {warc.name}@{offset}" in result.stdout


@pytest.mark.e2e
def test_rows_pointing_at_a_missing_warc_file(archive):
    """Verifying the whole archive, every row whose WARC file is gone is a problem; naming a
    subset of files skips rows in the others, and the summary says so."""
    from crawler.reindex import reindex

    db_path = archive / "archive.db"
    db = sqlite3.connect(db_path)
    crawl_id, portal = db.execute("SELECT c.id, p.id FROM crawls c JOIN portals p "
                                  "ON p.id = c.portal_id").fetchone()
    db.close()
    crawled = next((archive / "warc").glob("*.warc.gz"))
    info = {"portal-archive-crawl-id": crawl_id,
            "portal-archive-portal": f'{{"id": "{portal}"}}'}
    with RotatingWarcWriter(archive / "warc", "extra", info, clock=lambda: FIXED) as writer:
        for n in range(2):
            writer.write_exchange(HttpExchange(
                url=f"http://127.0.0.1:8000/extra{n}.jpg", request_headers=[("Host", "x")],
                response_headers=[("Content-Type", "image/jpeg")], body=b"\xff\xd8%d" % n,
                fetched_at=FIXED))
        extra = writer.files[0]
    assert not reindex([extra], db_path, only_missing=True).errors
    assert cli("verify", "--db", str(db_path)).returncode == 0
    extra.unlink()
    result = cli("verify", "--db", str(db_path))
    assert result.returncode == 1
    missing = [line for line in result.stdout.splitlines() if ": missing_file: " in line]
    assert len(missing) == 2 and all(extra.name in line for line in missing)
    assert "FAILED: 2 problem(s)" in result.stdout
    subset = cli("verify", "--db", str(db_path), str(crawled))
    assert subset.returncode == 0, subset.stdout
    assert "2 captures rows in other WARC files not checked" in subset.stdout
