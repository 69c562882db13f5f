"""WARC writer and reader: pinned ids and dates, exact bytes, round trips, rotation,
warcio check, truncation reported with file and offset."""

from __future__ import annotations

import gzip
import itertools
import random
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from archive import CorruptWarcError, HttpExchange, RotatingWarcWriter, iter_records
from archive.reader import read_record_at

FIXED = datetime(2022, 1, 27, 3, 16, 0, tzinfo=UTC)


def pinned_writer(tmp_path: Path, **kw) -> RotatingWarcWriter:
    counter = itertools.count(1)
    return RotatingWarcWriter(
        tmp_path, "binhlieu", {"software": "portal-archive/test"},
        record_id_factory=lambda: f"<urn:uuid:00000000-0000-0000-0000-{next(counter):012d}>",
        clock=lambda: FIXED, **kw,
    )


def exchange(body: bytes = b"<html><p>Xin ch\xc3\xa0o</p></html>", **kw) -> HttpExchange:
    return HttpExchange(
        url="http://127.0.0.1:8000/Trang/ChiTietTinTuc.aspx?nid=35530",
        request_headers=[("Host", "127.0.0.1:8000"), ("User-Agent", "portal-archive/test")],
        response_headers=[("Content-Type", "text/html; charset=utf-8"),
                          ("Content-Length", str(len(body)))],
        body=body, ip_address="127.0.0.1", fetched_at=FIXED, **kw,
    )


def test_exact_bytes_of_a_response_record(tmp_path):
    with pinned_writer(tmp_path) as w:
        _, resp, digest = w.write_exchange(exchange())
    data = (tmp_path / resp.filename).read_bytes()
    member = gzip.decompress(data[resp.offset:resp.offset + resp.length])
    assert member == (
        b"WARC/1.1\r\n"
        b"WARC-Type: response\r\n"
        b"WARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-000000000002>\r\n"
        b"WARC-Date: 2022-01-27T03:16:00.000000Z\r\n"
        b"WARC-Target-URI: http://127.0.0.1:8000/Trang/ChiTietTinTuc.aspx?nid=35530\r\n"
        b"WARC-IP-Address: 127.0.0.1\r\n"
        b"WARC-Block-Digest: " + _digest_of_block() + b"\r\n"
        b"WARC-Payload-Digest: " + digest.encode() + b"\r\n"
        b"Content-Type: application/http; msgtype=response\r\n"
        b"Content-Length: 108\r\n"
        b"\r\n"
        b"HTTP/1.1 200 OK\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n"
        b"Content-Length: 29\r\n"
        b"\r\n"
        b"<html><p>Xin ch\xc3\xa0o</p></html>"
        b"\r\n\r\n"
    )
    assert digest == "sha1:" + _b32sha1(b"<html><p>Xin ch\xc3\xa0o</p></html>")


def _b32sha1(data: bytes) -> str:
    import base64
    import hashlib

    return base64.b32encode(hashlib.sha1(data).digest()).decode()


def _digest_of_block() -> bytes:
    block = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
             b"Content-Length: 29\r\n\r\n<html><p>Xin ch\xc3\xa0o</p></html>")
    return ("sha1:" + _b32sha1(block)).encode()


def test_round_trip_and_concurrent_to(tmp_path):
    with pinned_writer(tmp_path) as w:
        req, resp, _ = w.write_exchange(exchange())
    records = list(iter_records(tmp_path / resp.filename))
    assert [r.rec_type for r in records] == ["warcinfo", "response", "request"]
    info, response, request = records
    assert info.fields["software"] == "portal-archive/test"
    assert info.warc_headers["WARC-Filename"] == resp.filename
    assert response.offset == resp.offset and response.length == resp.length
    assert request.warc_headers["WARC-Concurrent-To"] == response.record_id
    assert request.raw_payload == b""
    assert response.content.decode() == "<html><p>Xin chào</p></html>"
    again = read_record_at(tmp_path / resp.filename, resp.offset)
    assert again.record_id == resp.record_id and again.status == 200


def test_gzip_body_stays_as_on_the_wire(tmp_path):
    body = gzip.compress(b"<p>wire</p>", mtime=0)
    ex = exchange(body)
    ex.response_headers.append(("Content-Encoding", "gzip"))
    with pinned_writer(tmp_path) as w:
        _, resp, _ = w.write_exchange(ex)
    rec = read_record_at(tmp_path / resp.filename, resp.offset)
    assert rec.raw_payload == body
    assert rec.content == b"<p>wire</p>"


@pytest.mark.parametrize("extra_header", [("Content-Encoding", "gzip"),
                                          ("Content-Type", "image/jpeg")])
def test_compressed_payload_is_stored_not_deflated_again(tmp_path, extra_header):
    """A compressed payload goes into a stored (level 0) gzip member: the member holds the
    record's bytes as they are, is still valid gzip, and the digests still check."""
    body = bytes(random.Random(7).randrange(256) for _ in range(20_000))
    plain_body = b"<p>" + b"Tin tuc " * 3000 + b"</p>"
    ex, plain = exchange(body), exchange(plain_body)
    ex.response_headers = [h for h in ex.response_headers if h[0] != extra_header[0]]
    ex.response_headers.append(extra_header)
    with pinned_writer(tmp_path) as w:
        _, stored, _ = w.write_exchange(ex)
        _, deflated, _ = w.write_exchange(plain)
    data = (tmp_path / stored.filename).read_bytes()
    member = data[stored.offset:stored.offset + stored.length]
    raw = gzip.decompress(member)
    assert stored.length > len(raw)  # stored: no deflating, a few bytes of framing
    assert deflated.length < len(plain_body) / 20  # text is still deflated
    assert read_record_at(tmp_path / stored.filename, stored.offset).raw_payload == body
    check = subprocess.run([Path(sys.executable).parent / "warcio", "check", "-v",
                            str(tmp_path / stored.filename)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count("digest pass") >= 4  # both digests of both responses


def test_warcio_check_passes_including_chunked(tmp_path):
    ex = exchange(b"hello chunks")
    ex.response_headers = [("Transfer-Encoding", "chunked"), ("Content-Type", "text/plain")]
    with pinned_writer(tmp_path) as w:
        w.write_exchange(exchange())
        _, resp, digest = w.write_exchange(ex)
        w.write_metadata("urn:test", {"a": "1"})
    result = subprocess.run([Path(sys.executable).parent / "warcio", "check", "-v",
                             str(tmp_path / resp.filename)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    assert "payload digest" not in result.stdout.replace("digest pass", "")
    rec = read_record_at(tmp_path / resp.filename, resp.offset)
    assert rec.content == b"hello chunks" and rec.entity == b"hello chunks"
    # WARC 1.1: the payload digest is over the entity body with the chunking removed, which
    # is also what is stored; the original header is kept under another name.
    assert digest == "sha1:" + _b32sha1(b"hello chunks")
    assert rec.warc_headers["WARC-Payload-Digest"] == digest
    assert rec.raw_payload == b"hello chunks"
    assert rec.header("X-Crawler-Transfer-Encoding") == "chunked"
    assert rec.header("Transfer-Encoding") is None
    # the same body with or without chunking has one digest (deduplication relies on it)
    plain = exchange(b"hello chunks")
    assert w.payload_digest(plain) == w.payload_digest(ex) == digest


def test_rotation_by_size_and_no_overwrite(tmp_path):
    with pinned_writer(tmp_path, max_size=2000) as w:
        for i in range(6):
            # incompressible bodies, so each record really is ~3 KB on disk
            w.write_exchange(exchange(random.Random(i).randbytes(3000)))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) >= 3
    assert names[0] == "binhlieu-20220127031600-00000.warc.gz"
    for name in names:
        first = next(iter_records(tmp_path / name))
        assert first.rec_type == "warcinfo"  # one warcinfo per file
    # A second writer in the same second never overwrites the first one's files.
    with pinned_writer(tmp_path) as w2:
        w2.write_exchange(exchange())
    assert len(list(tmp_path.iterdir())) == len(names) + 1


def test_truncated_file_keeps_complete_records_and_names_offset(tmp_path):
    with pinned_writer(tmp_path) as w:
        w.write_exchange(exchange())
        _, resp, _ = w.write_exchange(exchange(b"y" * 5000))
    path = tmp_path / resp.filename
    data = path.read_bytes()
    path.write_bytes(data[: resp.offset + resp.length // 2])
    seen = []
    with pytest.raises(CorruptWarcError) as err:
        for rec in iter_records(path):
            seen.append(rec.rec_type)
    assert seen == ["warcinfo", "response", "request"]  # the cut record is never yielded
    assert err.value.offset == resp.offset
    assert str(path) in str(err.value)


def test_record_cut_inside_its_gzip_member_is_not_accepted(tmp_path):
    with pinned_writer(tmp_path) as w:
        w.write_exchange(exchange())
        req, _, _ = w.write_exchange(exchange(random.Random(7).randbytes(4000)))
    path = tmp_path / req.filename
    path.write_bytes(path.read_bytes()[: req.offset + req.length - 10])
    seen = []
    with pytest.raises(CorruptWarcError, match="truncated") as err:
        for rec in iter_records(path):
            seen.append(rec.record_id)
    assert req.record_id not in seen
    assert err.value.offset == req.offset


def test_a_revisit_of_a_compressed_payload_is_deflated(tmp_path):
    """The revisit record holds headers only: nothing compressed to store as is."""
    from archive.writer import RevisitTarget

    ex = exchange(gzip.compress(b"<p>wire</p>" * 200, mtime=0))
    ex.response_headers += [("Content-Encoding", "gzip")] + [
        (f"X-Header-{i}", "cùng một giá trị " * 4) for i in range(20)]
    target = RevisitTarget("<urn:uuid:00000000-0000-0000-0000-000000000099>", ex.url,
                           "2022-01-27T03:16:00Z")
    with pinned_writer(tmp_path) as w:
        _, resp, _ = w.write_exchange(ex, revisit_of=target)
    data = (tmp_path / resp.filename).read_bytes()[resp.offset:resp.offset + resp.length]
    assert resp.length < len(gzip.decompress(data)) / 2
    assert read_record_at(tmp_path / resp.filename, resp.offset).rec_type == "revisit"
