"""WARC-level verification: every record's digests and framing, checked independently of warcio.

``verify_warc`` walks a file with ``iter_records`` (which finds cut and corrupt records), then
re-reads each record's bytes by offset, inflates its gzip member itself and recomputes the
``WARC-Block-Digest`` and ``WARC-Payload-Digest`` (the payload being the entity body with any
chunked transfer encoding removed, as WARC 1.1 defines it). Doing the framing by hand rather than
trusting the reader is the point: a verifier that shares the writer's library shares its bugs.

The result is an index of the file's records (offset, length, id, URI, type, digests) that the
database cross-check (``crawler.verification``) uses without reading the file again, and a
list of ``Problem``s. No settings are read.
"""

from __future__ import annotations

import base64
import hashlib
import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from archive.reader import CorruptWarcError, iter_records, next_member

HTTP_TYPES = ("response", "request", "revisit")


@dataclass(frozen=True)
class Problem:
    """One mismatch found by verification, located as precisely as possible."""

    file: str
    offset: int | None
    record_id: str | None
    kind: str
    detail: str

    def __str__(self) -> str:
        where = self.file if self.offset is None else f"{self.file}@{self.offset}"
        rid = f" {self.record_id}" if self.record_id else ""
        return f"{where}{rid}: {self.kind}: {self.detail}"


@dataclass(frozen=True)
class RecordInfo:
    """What the database cross-check needs to know about one record."""

    file: str
    offset: int
    length: int
    rec_type: str
    record_id: str
    target_uri: str
    date: str
    status: int | None
    payload_digest: str | None
    concurrent_to: str | None
    refers_to: str | None


@dataclass
class WarcCheck:
    """The outcome of verifying one WARC file."""

    path: Path
    records: list[RecordInfo] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    crawl_id: str | None = None
    digests_checked: int = 0


def digest_matches(value: str, data: bytes) -> bool | None:
    """Whether a WARC digest (``sha1:BASE32``, ``sha256:hex``, …) matches ``data``; None when
    the algorithm is unknown."""
    algo, _, encoded = value.strip().partition(":")
    name = algo.lower().replace("-", "")
    if name not in ("sha1", "sha256", "sha512", "md5"):
        return None
    raw = hashlib.new(name, data).digest()
    encoded = encoded.strip()
    return (encoded.upper().rstrip("=") == base64.b32encode(raw).decode().rstrip("=")
            or encoded.lower() == raw.hex())


def _split_record(raw: bytes) -> tuple[dict[str, str], bytes, bytes]:
    """WARC headers (first value per name, lower-cased names), the block as declared by
    Content-Length, and whatever follows it (should be exactly CRLF CRLF)."""
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        raise ValueError("no end of WARC headers")
    headers: dict[str, str] = {}
    for line in raw[:end].decode("utf-8", "replace").split("\r\n")[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers.setdefault(name.strip().lower(), value.strip())
    length = int(headers.get("content-length", "-1"))
    if length < 0:
        raise ValueError("no Content-Length")
    start = end + 4
    return headers, raw[start:start + length], raw[start + length:]


def _dechunk(data: bytes) -> bytes | None:
    """Undo HTTP chunked framing; None when the data is not validly chunked."""
    out = bytearray()
    pos = 0
    while True:
        eol = data.find(b"\r\n", pos)
        if eol < 0:
            return None
        try:
            size = int(data[pos:eol].split(b";")[0].strip(), 16)
        except ValueError:
            return None
        pos = eol + 2
        if size == 0:
            return bytes(out)
        out += data[pos:pos + size]
        pos += size + 2


def _is_chunked(http_head: bytes) -> bool:
    """Whether an HTTP message head declares ``Transfer-Encoding: chunked``."""
    for line in http_head.split(b"\r\n")[1:]:
        name, sep, value = line.partition(b":")
        if sep and name.strip().lower() == b"transfer-encoding":
            return b"chunked" in value.lower()
    return False


def _check_record(path: Path, info: RecordInfo, member: bytes, check: WarcCheck) -> None:
    def problem(kind: str, detail: str) -> None:
        check.problems.append(Problem(path.name, info.offset, info.record_id, kind, detail))

    if member[:2] == b"\x1f\x8b":
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        try:
            raw = inflater.decompress(member)
        except zlib.error as exc:
            problem("bad-gzip", str(exc))
            return
        if not inflater.eof or inflater.unused_data:
            problem("bad-gzip", "record is not exactly one whole gzip member")
            return
    else:
        raw = member
    try:
        headers, block, tail = _split_record(raw)
    except ValueError as exc:
        problem("bad-framing", str(exc))
        return
    if len(block) < int(headers["content-length"]):
        problem("bad-framing", f"block is {len(block)} bytes, Content-Length says "
                               f"{headers['content-length']}")
        return
    if tail != b"\r\n\r\n":
        problem("bad-framing", f"record does not end with CRLF CRLF ({len(tail)} bytes)")
    block_digest = headers.get("warc-block-digest")
    if block_digest is None:
        problem("no-block-digest", "WARC-Block-Digest is missing")
    else:
        ok = digest_matches(block_digest, block)
        check.digests_checked += 1
        if ok is None:
            problem("unknown-digest", block_digest)
        elif not ok:
            problem("block-digest", f"WARC-Block-Digest {block_digest} does not match "
                                    "the record's block")
    payload_digest = headers.get("warc-payload-digest")
    if payload_digest is None:
        if info.rec_type == "response":
            problem("no-payload-digest", "WARC-Payload-Digest is missing")
        return
    if info.rec_type == "revisit":
        return  # the digest names the payload of the record it refers to
    is_http = headers.get("content-type", "").startswith("application/http")
    if is_http:
        cut = block.find(b"\r\n\r\n")
        payload = block[cut + 4:] if cut >= 0 else b""
        if cut >= 0 and _is_chunked(block[:cut]):
            # WARC 1.1: the payload is the entity body with transfer encoding removed; a
            # digest over the chunk framing (as some tools write) is wrong, not an alternative.
            plain = _dechunk(payload)
            if plain is None:
                problem("bad-chunking", "Transfer-Encoding is chunked but the stored body "
                                        "is not validly chunked")
                return
            payload = plain
    else:
        payload = block
    check.digests_checked += 1
    ok = digest_matches(payload_digest, payload)
    if ok is None:
        problem("unknown-digest", payload_digest)
    elif not ok:
        problem("payload-digest", f"WARC-Payload-Digest {payload_digest} does not match "
                                  "the record's payload")


def verify_warc(path: str | os.PathLike) -> WarcCheck:
    """Check one WARC file: framing, truncation, and both digests of every record."""
    path = Path(path)
    check = WarcCheck(path)
    start: int | None = 0
    while start is not None:
        start = _verify_from(path, start, check)
    seen: set[str] = set()
    for info in check.records:
        if info.record_id in seen:
            check.problems.append(Problem(path.name, info.offset, info.record_id,
                                          "duplicate-id", "record id used twice in the file"))
        seen.add(info.record_id)
    return check


def _verify_from(path: Path, start: int, check: WarcCheck) -> int | None:
    """Verify records from byte ``start``; return where to resume after damage, or None."""
    try:
        with open(path, "rb") as fh:
            for rec in iter_records(path, start):
                h = rec.warc_headers
                info = RecordInfo(
                    file=path.name, offset=rec.offset, length=rec.length,
                    rec_type=rec.rec_type, record_id=rec.record_id,
                    target_uri=rec.target_uri, date=rec.date, status=rec.status,
                    payload_digest=h.get("WARC-Payload-Digest"),
                    concurrent_to=h.get("WARC-Concurrent-To"),
                    refers_to=h.get("WARC-Refers-To"),
                )
                if rec.rec_type == "warcinfo" and check.crawl_id is None:
                    check.crawl_id = rec.fields.get("portal-archive-crawl-id")
                check.records.append(info)
                fh.seek(rec.offset)
                _check_record(path, info, fh.read(rec.length), check)
    except CorruptWarcError as exc:
        check.problems.append(Problem(path.name, exc.offset, None, "corrupt", exc.detail))
        # Records are separate gzip members: the ones after the damage are still readable.
        return next_member(path, exc.offset)
    except OSError as exc:
        check.problems.append(Problem(path.name, None, None, "unreadable", str(exc)))
    return None
