"""Why an archived response is not sent to extraction, the same way live and on reindex.

Two reasons, each shown in the capture's ``extract_reason`` (``extract_status`` stays
``skipped``): the body is **truncated** (``WARC-Truncated``, ``captures.truncated``: too
large, or cut by the connection), or its **Content-Encoding cannot be decoded** (corrupt
gzip, deflate, brotli or zstd data). The live crawl learns the second from the decompression
middleware (``crawler/middlewares/decode_errors.py``), reindex from ``decode_problem`` on the
record; both word the reason with ``decode_problem``, which decodes exactly as Scrapy's
``HttpCompressionMiddleware`` does (its own decoders, so a body Scrapy accepts is accepted
here too).
"""

from __future__ import annotations

import struct
import zlib

from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware

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


def archived_problem(status: int, headers: list[tuple[str, str]], body: bytes) -> str | None:
    """``decode_problem`` of an archived response, for the responses the live crawl decodes:
    a redirect is followed before decompression, so its body is never decoded."""
    return archived_decode(status, headers, body)[1]


def archived_decode(status: int, headers: list[tuple[str, str]],
                    body: bytes) -> tuple[bytes, str | None]:
    """``decode_body`` of an archived response (see ``archived_problem``): reindex decodes
    each body once, and extracts from what the live crawl's spider received."""
    if status in REDIRECTS and any(k.lower() == "location" for k, _ in headers):
        return body, None
    return decode_body(headers, body)


def decode_problem(headers: list[tuple[str, str]], body: bytes) -> str | None:
    """The ``extract_reason`` of a body whose Content-Encoding cannot be undone, or None."""
    return decode_body(headers, body)[1]


def decode_body(headers: list[tuple[str, str]], body: bytes) -> tuple[bytes, str | None]:
    """The body with its Content-Encoding undone as Scrapy undoes it, and None; or the body
    as given and the ``extract_reason`` saying why it cannot be decoded."""
    encodings = [v.encode("latin-1", "replace") for k, v in headers
                 if k.lower() == "content-encoding"]
    if not encodings or not body:
        return body, None
    # pylint: disable=protected-access - Scrapy's own decoding, so both sides agree
    to_decode, _ = HttpCompressionMiddleware._split_encodings(encodings)
    decoded = body
    try:
        for encoding in to_decode:
            decoded = HttpCompressionMiddleware._decode(decoded, encoding, 0)
    except DECODE_ERRORS as exc:
        name = encoding.decode("latin-1")
        kind = type(exc)
        where = "" if kind.__module__ == "builtins" else f"{kind.__module__}."
        text = " ".join(f"{where}{kind.__name__}: {exc}".split())
        return body, f"not extracted: decode_error: {name} body cannot be decoded ({text})"[:500]
    return decoded, None
