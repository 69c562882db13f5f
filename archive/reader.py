"""Reading WARC files back: iterate records with their offsets, or read one record by offset.

Used by reindex (rebuild SQLite from WARCs alone), by tests, and by replay. A truncated or
corrupt file raises ``CorruptWarcError`` naming the file and the offset of the bad record; the
records before it have been yielded already, so callers keep what is readable, and
``next_member`` finds where reading can resume after the damage (``iter_records(path,
start)``). ``read_record_at`` refuses an offset where no record starts and checks the gzip
member's CRC (warcio does not), so a wrong pointer or a flipped byte is an error, never a
silently wrong page.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator


class CorruptWarcError(Exception):
    """A WARC file is truncated or corrupt."""

    def __init__(self, path: str | os.PathLike, offset: int, detail: str) -> None:
        self.path = str(path)
        self.offset = offset
        self.detail = detail
        super().__init__(f"{path}: corrupt or truncated WARC record at offset {offset}: {detail}")


@dataclass
class ArchivedRecord:
    """One WARC record, read whole."""

    filename: str
    offset: int
    length: int
    rec_type: str
    record_id: str
    date: str
    target_uri: str
    warc_headers: dict[str, str]
    status: int | None = None
    http_protocol: str | None = None
    http_headers: list[tuple[str, str]] = field(default_factory=list)
    # Entity body with transfer- and content-encoding removed (what a browser would render).
    content: bytes = b""
    # Payload as stored (may carry chunk framing), for digests.
    raw_payload: bytes = b""
    # Entity body as sent (transfer-encoding removed, content-encoding kept).
    entity: bytes = b""

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for key, value in self.http_headers:
            if key.lower() == lname:
                return value
        return None

    @property
    def fields(self) -> dict[str, str]:
        """``application/warc-fields`` payload (warcinfo, metadata) parsed as a dict."""
        out: dict[str, str] = {}
        for line in self.content.decode("utf-8", "replace").splitlines():
            key, sep, value = line.partition(":")
            if sep:
                out[key.strip()] = value.strip()
        return out


def _to_record(path: Path, rec, offset: int) -> ArchivedRecord:
    http = rec.http_headers
    status = None
    protocol = None
    headers: list[tuple[str, str]] = []
    if http is not None and rec.rec_type in ("response", "request", "revisit"):
        headers = list(http.headers)
        protocol = http.protocol
        if rec.rec_type in ("response", "revisit"):
            code = http.get_statuscode()
            status = int(code) if code and code.isdigit() else None
    raw = rec.raw_stream.read()
    return ArchivedRecord(
        filename=path.name,
        offset=offset,
        length=0,
        rec_type=rec.rec_type,
        record_id=rec.rec_headers.get_header("WARC-Record-ID") or "",
        date=rec.rec_headers.get_header("WARC-Date") or "",
        target_uri=rec.rec_headers.get_header("WARC-Target-URI") or "",
        warc_headers=dict(rec.rec_headers.headers),
        status=status,
        http_protocol=protocol,
        http_headers=headers,
        raw_payload=raw,
    )


def _decode_content(rec: ArchivedRecord, decode: bool = True) -> bytes:
    """Undo chunking and gzip/deflate content-encoding the way warcio's content_stream does
    (chunking only when not ``decode``); also sets ``rec.entity`` (chunking undone only)."""
    from io import BytesIO

    from warcio.bufferedreaders import ChunkedDataReader, DecompressingBufferedReader

    data = rec.raw_payload
    te = (rec.header("Transfer-Encoding") or "").lower()
    ce = (rec.header("Content-Encoding") or "").lower().strip()
    if "chunked" in te:
        try:
            data = ChunkedDataReader(BytesIO(data), decomp_type=None).read()
        except Exception:  # noqa: BLE001 - broken framing: keep the stored bytes
            data = rec.raw_payload
    rec.entity = data
    if decode and ce in ("gzip", "x-gzip", "deflate", "br"):
        try:
            return DecompressingBufferedReader(BytesIO(data), decomp_type=ce).read()
        except Exception:  # noqa: BLE001 - bad compression: keep the bytes, as browsers do
            return data
    return data


def iter_records(path: str | os.PathLike, start: int = 0,
                 decode_content: bool = True) -> Iterator[ArchivedRecord]:
    """Yield every record of a WARC file with its offset and compressed length (from the
    record starting at byte ``start``, e.g. past a corrupt one: see ``next_member``).

    ``decode_content=False`` leaves the Content-Encoding alone: ``content`` is then the
    ``entity``, for a caller that decodes bodies itself (reindex, as the live crawl does)."""
    path = Path(path)
    with open(path, "rb") as fh:
        fh.seek(start)
        it = ArchiveIterator(fh, check_digests=False)
        # Each record is held back until the next one starts: only then is it known to be
        # whole (warcio yields a cut last record as if it were complete).
        held: ArchivedRecord | None = None
        try:
            for rec in it:
                # get_record_offset() reads the record to its end: take the payload first.
                record = _to_record(path, rec, 0)
                record.offset = it.get_record_offset()  # warcio counts from the file start
                it.read_to_end()
                record.length = it.get_record_length()
                record.content = _decode_content(record, decode_content)
                if held is not None:
                    yield held
                held = record
        # A flipped byte makes warcio fail in many ways (garbled headers raise AttributeError,
        # bad deflate data zlib.error): every one of them is a corrupt record at this offset.
        except Exception as exc:  # noqa: BLE001
            bad = held.offset + held.length if held is not None else start
            if held is not None:
                yield held
            raise CorruptWarcError(path, bad, str(exc).strip() or type(exc).__name__) from exc
        if held is not None:
            _check_member_complete(path, fh, held)
            yield held
            _check_no_trailing_bytes(path, fh, held)


def _check_no_trailing_bytes(path: Path, fh, last: ArchivedRecord) -> None:
    """Bytes after the last record warcio could read are a cut (or corrupt) record."""
    end = last.offset + last.length
    size = os.fstat(fh.fileno()).st_size
    if end < size:
        raise CorruptWarcError(
            path, end, f"truncated record: {size - end} bytes after the last complete record"
        )


def _check_member_complete(path: Path, fh, last: ArchivedRecord) -> None:
    """warcio yields a record whose gzip member was cut short as if it were whole: inflate
    the last member again and require its end-of-stream marker."""
    fh.seek(last.offset)
    member = fh.read(last.length)
    if member[:2] != b"\x1f\x8b":
        return
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    try:
        inflater.decompress(member)
    except zlib.error as exc:
        raise CorruptWarcError(path, last.offset, f"bad gzip member: {exc}") from exc
    if not inflater.eof:
        raise CorruptWarcError(path, last.offset, "truncated record: gzip member cut short")


def next_member(path: str | os.PathLike, after: int) -> int | None:
    """Offset of the first whole gzip member holding a WARC record that starts after byte
    ``after``: where reading can resume past a corrupt record (each record is its own gzip
    member). None when there is none."""
    import mmap

    with open(path, "rb") as fh:
        if os.fstat(fh.fileno()).st_size <= after + 1:
            return None
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
            pos = after
            while True:
                pos = data.find(b"\x1f\x8b\x08", pos + 1)
                if pos < 0:
                    return None
                inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
                try:
                    head = inflater.decompress(data[pos:pos + 65536], 16)
                except zlib.error:
                    continue
                if head.startswith(b"WARC/"):
                    return pos


def read_record_at(path: str | os.PathLike, offset: int,
                   decode_content: bool = True) -> ArchivedRecord:
    """Read the single record that starts at ``offset`` (as stored in the captures table;
    ``decode_content`` as for ``iter_records``)."""
    path = Path(path)
    with open(path, "rb") as fh:
        fh.seek(offset)
        # warcio would skip junk up to the next record: a wrong offset must fail instead.
        if fh.read(5)[:2] not in (b"\x1f\x8b", b"WA"):
            raise CorruptWarcError(path, offset, "no record starts at this offset")
        fh.seek(offset)
        it = ArchiveIterator(fh, check_digests=False)
        try:
            for rec in it:
                record = _to_record(path, rec, offset)
                it.read_to_end()
                record.length = it.get_record_length()
                record.content = _decode_content(record, decode_content)
                break
            else:
                raise CorruptWarcError(path, offset, "no record at this offset")
        except CorruptWarcError:
            raise
        except Exception as exc:  # noqa: BLE001 - see iter_records
            raise CorruptWarcError(path, offset, str(exc).strip() or type(exc).__name__) from exc
        # warcio does not check the gzip CRC: a flipped byte could pass as a record.
        _check_member_complete(path, fh, record)
        return record
