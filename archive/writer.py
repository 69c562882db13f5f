"""Rotating WARC 1.1 writer: request/response pairs, warcinfo, metadata; per-record gzip.

Records are formatted by warcio; each record is its own gzip member so any record can be read
back with one seek (the offsets stored in SQLite). Files rotate once they pass ``max_size``
bytes and are named ``<prefix>-<YYYYmmddHHMMSS>-<serial>.warc.gz`` (portal, time, serial); an
existing file is never overwritten. Every write is flushed and errors are raised as
``WarcWriteError``: a capture that could not be written must stop the crawl, not vanish.
A response whose payload was archived before can be written as a ``revisit`` record
(identical-payload-digest, or server-not-modified for a 304). ``on_record`` is called with
each record once it is written and where it lies, ``on_close`` with each completed file (the
capture middleware makes the file's CDXJ index with them: archive/cdxj.py ``InlineIndex``).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.exchange import HttpExchange, WarcPointer, sha1_digest, sha1_label, warc_date

WARC_VERSION = "WARC/1.1"
DEFAULT_MAX_SIZE = 1_000_000_000  # Heritrix's default rotation size
# Level 6 compresses within a few percent of 9 at a fraction of the CPU (warcio uses 9).
GZIP_LEVEL = 6
# A payload that is compressed already (Content-Encoding gzip/br/..., JPEG, ZIP...) goes into
# its gzip member stored (level 0): deflating it again costs ~0.3 ms a 25 KB page on this
# machine, a third of all the WARC work, to save 0.5% of its size. Still one valid gzip
# member a record, read by any WARC tool.
STORED_LEVEL = 0
_COMPRESSED_ENCODINGS = frozenset({"gzip", "x-gzip", "deflate", "br", "zstd", "compress"})
_COMPRESSED_TYPES = frozenset({
    "image/jpeg", "image/png", "image/gif", "image/webp", "image/avif",
    "application/zip", "application/gzip", "application/x-gzip", "application/x-rar-compressed",
    "application/vnd.rar", "application/x-7z-compressed",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
})
WARC_1_1_SPEC = (
    "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
)


REVISIT_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
NOT_MODIFIED_PROFILE = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"


class WarcWriteError(Exception):
    """Could not write the WARC file."""


@dataclass(frozen=True)
class RevisitTarget:
    """The earlier record that holds a payload (what a revisit record refers to). With
    ``not_modified`` the revisit records a ``304`` to a conditional request (profile
    server-not-modified; ``record_id`` may be empty when the earlier capture is unknown)."""

    record_id: str
    uri: str
    date: str
    not_modified: bool = False


def new_record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


class RotatingWarcWriter:
    """Writes WARC records into a directory, rotating files by size."""

    def __init__(
        self,
        directory: str | os.PathLike,
        prefix: str,
        warcinfo: dict[str, str],
        max_size: int = DEFAULT_MAX_SIZE,
        record_id_factory: Callable[[], str] = new_record_id,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_close: Callable[[Path], None] | None = None,
        on_record: Callable[[ArcWarcRecord, WarcPointer], None] | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.prefix = prefix
        self.warcinfo = warcinfo
        self.max_size = max_size
        self.new_id = record_id_factory
        self.clock = clock
        # Called with each file once it is complete and closed (e.g. to write its CDXJ index).
        self.on_close = on_close
        # Called with each record once it is written whole, and its pointer (e.g. to make the
        # file's CDXJ lines from the record as written, instead of reading the file again).
        self.on_record = on_record
        self.serial = 0
        self.files: list[Path] = []
        self._fh: io.FileIO | None = None
        self._path: Path | None = None
        # warcio formats records; we compress ourselves (see GZIP_LEVEL).
        self._formatter = WARCWriter(io.BytesIO(), gzip=False, warc_version=WARC_VERSION)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WarcWriteError(f"cannot create WARC directory {self.directory}: {exc}") from exc

    # -- files ---------------------------------------------------------------------------
    @property
    def current_file(self) -> Path | None:
        return self._path

    def _open_next(self) -> None:
        stamp = self.clock().astimezone(UTC).strftime("%Y%m%d%H%M%S")
        while True:
            path = self.directory / f"{self.prefix}-{stamp}-{self.serial:05d}.warc.gz"
            self.serial += 1
            try:
                # "x": never overwrite an earlier file, even from a crawl in the same second.
                # Unbuffered: each record is written (and on failure cut) as a whole.
                self._fh = open(path, "xb", buffering=0)  # noqa: SIM115 - kept open
            except FileExistsError:
                continue
            except OSError as exc:
                raise WarcWriteError(f"cannot create {path}: {exc}") from exc
            break
        self._path = path
        self.files.append(path)
        try:
            self._write_warcinfo(path)
        except WarcWriteError:
            # A file that could not even take its warcinfo (full disk) is not left behind.
            self._fh.close()
            self._fh, self._path = None, None
            self.files.remove(path)
            path.unlink(missing_ok=True)
            raise

    def _write_warcinfo(self, path: Path) -> None:
        info = dict(self.warcinfo)
        info.setdefault("format", "WARC File Format 1.1")
        info.setdefault("conformsTo", WARC_1_1_SPEC)
        payload = "".join(f"{k}: {v}\r\n" for k, v in info.items() if v not in (None, ""))
        self._write(
            self._record(
                "warcinfo",
                "",
                payload.encode("utf-8"),
                {"WARC-Filename": path.name},
                content_type="application/warc-fields",
            )
        )

    def close(self) -> None:
        if self._fh is not None:
            try:
                self._fh.flush()
                os.fsync(self._fh.fileno())
                self._fh.close()
            except OSError as exc:
                raise WarcWriteError(f"cannot close {self._path}: {exc}") from exc
            finally:
                self._fh = None
            if self.on_close is not None and self._path is not None:
                self.on_close(self._path)

    def __enter__(self) -> RotatingWarcWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- records -------------------------------------------------------------------------
    def _record(
        self,
        rec_type: str,
        uri: str,
        block: bytes,
        extra: dict[str, str],
        content_type: str,
        date: str | None = None,
        record_id: str | None = None,
        http_headers: StatusAndHeaders | None = None,
        payload: bytes | None = None,
        payload_digest: str | None = None,
    ):
        headers = {
            "WARC-Type": rec_type,
            "WARC-Record-ID": record_id or self.new_id(),
            "WARC-Date": date or warc_date(self.clock()),
        }
        if uri:
            headers["WARC-Target-URI"] = uri
        headers.update(extra)
        if http_headers is not None:
            block_digest = hashlib.sha1(http_headers.to_bytes())
            if payload:
                block_digest.update(payload)
            headers["WARC-Block-Digest"] = sha1_label(block_digest)
            if payload is not None:
                headers["WARC-Payload-Digest"] = payload_digest or sha1_digest(payload)
            body = payload or b""
        else:
            headers["WARC-Block-Digest"] = sha1_digest(block)
            body = block
        record = self._formatter.create_warc_record(
            uri,
            rec_type,
            payload=io.BytesIO(body),
            length=len(body),
            warc_content_type=content_type,
            warc_headers_dict=headers,
            http_headers=http_headers,
        )
        return record

    def _write(self, record, level: int = GZIP_LEVEL) -> WarcPointer:
        buf = io.BytesIO()
        self._formatter._write_warc_record(buf, record)
        raw = buf.getvalue()
        comp = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS + 16)
        data = comp.compress(raw) + comp.flush()
        assert self._fh is not None and self._path is not None
        offset = self._fh.tell()
        try:
            view = memoryview(data)
            while view:  # a raw write may be short (e.g. just before a full disk)
                view = view[self._fh.write(view):]
        except OSError as exc:
            # No half record: cut the file back to its last complete record.
            with contextlib.suppress(OSError):
                os.ftruncate(self._fh.fileno(), offset)
                self._fh.seek(offset)
            raise WarcWriteError(f"cannot write to {self._path}: {exc}") from exc
        pointer = WarcPointer(
            filename=self._path.name,
            offset=offset,
            length=len(data),
            record_id=record.rec_headers.get_header("WARC-Record-ID"),
        )
        if self.on_record is not None:
            self.on_record(record, pointer)
        return pointer

    def _ensure_open(self) -> None:
        if self._fh is None:
            self._open_next()
        elif self._fh.tell() >= self.max_size:
            self.close()
            self._open_next()

    @staticmethod
    def payload_digest(ex: HttpExchange) -> str:
        """The ``WARC-Payload-Digest`` the response record of ``ex`` gets (to look it up
        before deciding between a response and a revisit)."""
        return sha1_digest(_wire_response(ex)[1])

    def write_exchange(self, ex: HttpExchange, revisit_of: RevisitTarget | None = None,
                       warc_headers: dict[str, str] | None = None,
                       payload_digest: str | None = None,
                       ) -> tuple[WarcPointer, WarcPointer, str]:
        """Write the response record and its request record; return both pointers and the
        payload digest. The request is linked to the response by ``WARC-Concurrent-To``.

        With ``revisit_of`` (an earlier record with the same payload digest) the response is
        written as a ``revisit`` record of the identical-payload-digest profile: status line
        and headers only, pointing at the record that holds the payload. ``warc_headers``
        are added to both records (e.g. ``WARC-Resource-Type`` of a page requisite).
        ``payload_digest``, when the caller has it from :meth:`payload_digest`, saves
        hashing the body again."""
        self._ensure_open()
        date = warc_date(ex.fetched_at)
        resp_id = self.new_id()
        response_headers, payload = _wire_response(ex)
        extra = {}
        if ex.ip_address:
            extra["WARC-IP-Address"] = ex.ip_address
        extra.update(warc_headers or {})
        # WARC-Truncated belongs to the response only (its block is what was cut).
        resp_extra = {**extra, "WARC-Truncated": ex.truncated} if ex.truncated else extra
        # WARC 1.1: the payload is the entity body with transfer encoding removed; it is also
        # exactly what the record stores (see _wire_response), so warcio check agrees.
        payload_digest = payload_digest or sha1_digest(payload)
        if revisit_of is not None:
            refers = {"WARC-Refers-To": revisit_of.record_id,
                      "WARC-Refers-To-Target-URI": revisit_of.uri,
                      "WARC-Refers-To-Date": revisit_of.date}
            resp = self._record(
                "revisit", ex.url, b"",
                {**resp_extra, "WARC-Profile": (NOT_MODIFIED_PROFILE if revisit_of.not_modified
                                           else REVISIT_PROFILE),
                 **{k: v for k, v in refers.items() if v}},
                "application/http; msgtype=response", date=date, record_id=resp_id,
                http_headers=response_headers, payload=b"",
            )
            if revisit_of.not_modified:
                # A 304 has no payload; its digest would describe nothing.
                resp.rec_headers.remove_header("WARC-Payload-Digest")
                payload_digest = ""
            else:
                resp.rec_headers.replace_header("WARC-Payload-Digest", payload_digest)
        else:
            resp = self._record(
                "response",
                ex.url,
                b"",
                resp_extra,
                "application/http; msgtype=response",
                date=date,
                record_id=resp_id,
                http_headers=response_headers,
                payload=payload,
                payload_digest=payload_digest,
            )
        # A revisit holds headers only: deflated like any text.
        stored = revisit_of is None and _compressed_payload(ex)
        resp_ptr = self._write(resp, STORED_LEVEL if stored else GZIP_LEVEL)
        target = _request_target(ex.url)
        req_headers = StatusAndHeaders(
            f"{ex.method} {target} {ex.protocol}", list(ex.request_headers), is_http_request=True
        )
        req = self._record(
            "request",
            ex.url,
            b"",
            {"WARC-Concurrent-To": resp_id, **extra},
            "application/http; msgtype=request",
            date=date,
            http_headers=req_headers,
            payload=ex.request_body,
        )
        req_ptr = self._write(req)
        return req_ptr, resp_ptr, payload_digest

    def write_metadata(self, uri: str, fields: dict[str, str] | list[tuple[str, str]],
                       refers_to: str | None = None) -> WarcPointer:
        """A ``metadata`` record of WARC fields (e.g. crawl statistics at the end of a crawl);
        a list of pairs allows a field to repeat (``outlink``)."""
        self._ensure_open()
        pairs = fields.items() if isinstance(fields, dict) else fields
        # A field value is one line: a newline would start a bogus field.
        payload = "".join(f"{k}: {' '.join(str(v).splitlines())}\r\n" for k, v in pairs)
        extra = {"WARC-Concurrent-To": refers_to} if refers_to else {}
        return self._write(
            self._record("metadata", uri, payload.encode("utf-8"), extra,
                         "application/warc-fields")
        )


def _compressed_payload(ex: HttpExchange) -> bool:
    """Whether the body is compressed already (a content coding or a compressed format)."""
    coding = (ex.header("Content-Encoding") or "").strip().lower()
    if coding and coding != "identity":
        return coding.split(",")[-1].strip() in _COMPRESSED_ENCODINGS
    media = (ex.header("Content-Type") or "").split(";", 1)[0].strip().lower()
    return media in _COMPRESSED_TYPES


def _request_target(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return target


# The name a ``Transfer-Encoding: chunked`` header is kept under (Common Crawl's convention).
TRANSFER_ENCODING_KEPT_AS = "X-Crawler-Transfer-Encoding"


def _wire_response(ex: HttpExchange) -> tuple[StatusAndHeaders, bytes]:
    """Status line, headers and body as they crossed the wire, chunking removed.

    The HTTP client hands us a de-chunked body, which is the WARC payload (the entity body
    after transfer decoding) and what the record stores. Re-framing it as one made-up chunk
    would store bytes the server never sent and put the framing into the payload digest, so
    the body is stored as is and ``Transfer-Encoding`` is kept, renamed, as
    ``X-Crawler-Transfer-Encoding`` (a reader honouring the original would try to de-chunk a
    plain body).
    """
    headers = [(TRANSFER_ENCODING_KEPT_AS if k.lower() == "transfer-encoding"
                and "chunked" in v.lower() else k, v) for k, v in ex.response_headers]
    status_line = f"{ex.status} {ex.reason}".rstrip()
    return StatusAndHeaders(status_line, headers, protocol=ex.protocol), ex.body
