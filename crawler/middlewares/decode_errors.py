"""Scrapy's decompression middleware, with a body that cannot be decoded recorded, not raised.

A portal that sends ``Content-Encoding: gzip`` over corrupt data made
``HttpCompressionMiddleware`` raise a ``zlib.error`` into the engine: a traceback on the
terminal and no trace in the database. This subclass takes its place (590) and, when
decoding fails with a decoding error, or the body grows past ``DOWNLOAD_MAXSIZE`` while it is
decoded (Scrapy's own guard against decompression bombs, which on its own only logs and drops
the response): records a ``fetch_failures`` row of kind ``decode_error`` pointing at the
archived record (the response is in the WARC as it came over the wire), marks the capture
(``extract_reason``, see ``crawler/decoding.py``; reindex derives the same), logs one line
and drops the response (``IgnoreRequest``). The body is decoded once, by
``crawler.decoding.undo_encodings`` in place of Scrapy's ``_handle_encoding``, which also
words the reason. Any other exception is not ours to hide and propagates.

Replaces ``scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware`` in
``DOWNLOADER_MIDDLEWARES``. Settings: Scrapy's (``COMPRESSION_ENABLED``, ``DOWNLOAD_MAXSIZE``,
``DOWNLOAD_WARNSIZE``). Stats: ``decode_errors/<encoding>`` (besides Scrapy's).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response

from crawler.decoding import UndecodableBodyError, undo_encodings
from crawler.signals import capture_problem, report_failure

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class DecodeErrorsMiddleware(HttpCompressionMiddleware):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler=crawler)
        self.crawler = crawler

    def _handle_encoding(self, body: bytes, content_encoding: list[bytes],
                         max_size: int) -> tuple[bytes, list[bytes]]:
        return undo_encodings(body, content_encoding, max_size)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        try:
            return super().process_response(request, response)
        except UndecodableBodyError as exc:
            reason = str(exc)[:500]
            detail = reason.removeprefix("not extracted: decode_error: ")
            encoding = response.headers.get("Content-Encoding", b"").decode("latin-1")
            self.stats.inc_value(f"decode_errors/{encoding.strip().lower() or 'unknown'}")
            pointer = request.meta.get("warc")
            record_id = getattr(pointer, "record_id", None)
            logger.warning("%s: %s (archived as received)", response.url, detail)
            report_failure(self.crawler, response.url, "decode_error", detail, record_id)
            if record_id:
                self.crawler.signals.send_catch_log(capture_problem, warc_record_id=record_id,
                                                    reason=reason)
            raise IgnoreRequest(f"{response.url}: {detail}") from exc
