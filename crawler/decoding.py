"""Why an archived response is not sent to extraction, the same way live and on reindex.

Two reasons, each shown in the capture's ``extract_reason`` (``extract_status`` stays
``skipped``): the body is **truncated** (``WARC-Truncated``, ``captures.truncated``: too
large, or cut by the connection), or its **Content-Encoding cannot be decoded** (corrupt
gzip, deflate, brotli or zstd data, or a body larger than ``DOWNLOAD_MAXSIZE`` once decoded:
a decompression bomb). Both sides decode with ``undo_encodings``, which decodes exactly as
Scrapy's ``HttpCompressionMiddleware`` does (its own decoders and size cap, so a body Scrapy
accepts is accepted here too) and words the reason: the live crawl in the decompression
middleware (``crawler/middlewares/decode_errors.py``), reindex with ``archived_decode`` on
the record, capped by the crawl's ``DOWNLOAD_MAXSIZE`` (recorded in its ``warcinfo``; this
project's for older WARCs).

Settings: ``DOWNLOAD_MAXSIZE`` (the project's value is ``MAX_SIZE``).
"""

from __future__ import annotations

import struct
import zlib

from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.settings import default_settings
from scrapy.utils._compression import _DecompressionMaxSizeExceeded

from crawler import settings as project_settings
from crawler.errors import PortalArchiveError

# The live crawl's cap on a decoded body, unless the crawl was given another (-s).
MAX_SIZE: int = getattr(project_settings, "DOWNLOAD_MAXSIZE", default_settings.DOWNLOAD_MAXSIZE)

DECODE_ERRORS: tuple[type[BaseException], ...] = (zlib.error, OSError, EOFError,
                                                  struct.error, ValueError)
try:  # the decoders Scrapy uses for br and zstd raise their own errors
    import brotli

    DECODE_ERRORS += (brotli.error,)
except ImportError:  # pragma: no cover - brotlicffi
    pass
try:
    from backports.zstd import ZstdError

    DECODE_ERRORS += (ZstdError,)
except ImportError:  # pragma: no cover - Python 3.14's compression.zstd
    pass


def truncated_reason(truncated: str) -> str:
    """The ``extract_reason`` of a truncated capture."""
    return f"not extracted: body truncated (WARC-Truncated: {truncated})"


REDIRECTS = (301, 302, 303, 307, 308)
_GZIP = frozenset({b"gzip", b"x-gzip"})


def _clean_gunzip(body: bytes, max_size: int) -> bytes | None:
    """The body of a gzip stream of exactly one whole, intact member within ``max_size``
    (what Scrapy's ``gunzip`` returns for it too), in one zlib call; None for anything else
    (several members, trailing bytes, a cut or corrupt stream, a body past the cap), which
    then goes through Scrapy's own decoder and its rules. Scrapy's reads the stream through
    ``GzipFile`` in 64 KiB pieces: about twice the CPU on a crawl's pages (py-spy)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, max_size + 1 if max_size else 0)
    except zlib.error:
        return None
    if not inflater.eof or inflater.unused_data or (max_size and len(out) > max_size):
        return None
    return out


class UndecodableBodyError(PortalArchiveError):
    """not extracted: decode_error:"""


def archived_decode(status: int, headers: list[tuple[str, str]], body: bytes,
                    max_size: int = MAX_SIZE) -> tuple[bytes, str | None]:
    """``decode_body`` of an archived response, for the responses the live crawl decodes (a
    redirect is followed before decompression, so its body is never decoded): reindex
    decodes each body once, and extracts from what the live crawl's spider received."""
    if status in REDIRECTS and any(k.lower() == "location" for k, _ in headers):
        return body, None
    return decode_body(headers, body, max_size)


def decode_body(headers: list[tuple[str, str]], body: bytes,
                max_size: int = MAX_SIZE) -> tuple[bytes, str | None]:
    """The body with its Content-Encoding undone as Scrapy undoes it, and None; or the body
    as given and the ``extract_reason`` saying why it cannot be decoded."""
    encodings = [v.encode("latin-1", "replace") for k, v in headers
                 if k.lower() == "content-encoding"]
    if not encodings or not body:
        return body, None
    try:
        return undo_encodings(body, encodings, max_size)[0], None
    except UndecodableBodyError as exc:
        return body, str(exc)[:500]


def undo_encodings(body: bytes, content_encoding: list[bytes],
                   max_size: int) -> tuple[bytes, list[bytes]]:
    """Scrapy's ``HttpCompressionMiddleware._handle_encoding`` (the decoded body and the
    encodings left), raising ``UndecodableBodyError`` with the ``extract_reason`` when a
    decoder fails or the body grows past ``max_size`` (0: no cap) while decoded."""
    # pylint: disable=protected-access - Scrapy's own decoding, so both sides agree
    to_decode, to_keep = HttpCompressionMiddleware._split_encodings(content_encoding)
    for encoding in to_decode:
        name = encoding.decode("latin-1")
        if encoding in _GZIP and (whole := _clean_gunzip(body, max_size)) is not None:
            body = whole
            continue
        try:
            body = HttpCompressionMiddleware._decode(body, encoding, max_size)
        except _DecompressionMaxSizeExceeded as exc:  # (a ValueError: before the others)
            raise UndecodableBodyError(
                f"{name} body larger than DOWNLOAD_MAXSIZE ({exc.max_size} bytes) once "
                "decoded") from exc
        except DECODE_ERRORS as exc:
            kind = type(exc)
            where = "" if kind.__module__ == "builtins" else f"{kind.__module__}."
            text = " ".join(f"{where}{kind.__name__}: {exc}".split())
            raise UndecodableBodyError(f"{name} body cannot be decoded ({text})") from exc
    return body, to_keep
