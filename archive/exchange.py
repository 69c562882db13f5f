"""Plain data passed from the crawler to the WARC writer: one HTTP exchange, one record pointer.

Kept free of Scrapy types so the archive layer can be used (and tested) on its own.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass(frozen=True)
class WarcPointer:
    """Where one record lives: enough to read it back with a single seek."""

    filename: str
    offset: int
    length: int
    record_id: str


@dataclass
class HttpExchange:
    """A request as sent and the response as received over the wire.

    ``body`` is the entity body as it came over the wire: still content-encoded (gzip), with
    transfer-encoding (chunking) already removed by the HTTP client.
    """

    url: str
    method: str = "GET"
    request_headers: list[tuple[str, str]] = field(default_factory=list)
    request_body: bytes = b""
    protocol: str = "HTTP/1.1"
    status: int = 200
    reason: str = "OK"
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    ip_address: str | None = None
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    # Why the body is incomplete, as WARC-Truncated says it (length, time, disconnect,
    # unspecified); None for a whole body.
    truncated: str | None = None

    def header(self, name: str) -> str | None:
        """First response header called ``name`` (case-insensitive), or None."""
        lname = name.lower()
        for key, value in self.response_headers:
            if key.lower() == lname:
                return value
        return None


def sha1_digest(data: bytes) -> str:
    """WARC-style digest: ``sha1:`` + base32 of the SHA-1, as Heritrix and warcio write it."""
    return sha1_label(hashlib.sha1(data))


def sha1_label(digest: hashlib._Hash) -> str:
    """``sha1_digest``'s form of a SHA-1 fed piece by piece (``hashlib.sha1().update``)."""
    return "sha1:" + base64.b32encode(digest.digest()).decode("ascii")


def warc_date(moment: datetime) -> str:
    """WARC 1.1 date with microseconds, always UTC (``2026-11-25T16:51:47.123456Z``)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
