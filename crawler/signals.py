"""Signals of portal-archive components.

``capture_archived`` is sent by the WARC capture middleware after each response is written,
with ``capture`` (the captures row as a dict) and ``spider``. The SQLite pipeline listens to
it, so responses that never reach the spider (robots.txt, redirects, errors) are indexed too.

``failure_recorded`` is sent by the failure log middleware with ``row`` (a ``fetch_failures``
row as a dict) as each failure happens; the SQLite pipeline writes it with the captures'
batches and returns True (a row nobody took is written when the crawl closes).

``fetch_failed`` reports a request the crawl could not archive in full, with ``url``,
``kind``, ``detail`` and ``warc_record_id`` (None when nothing was archived): any component
may send it (``report_failure``); the failure log middleware makes it a ``fetch_failures``
row (``crawler/middlewares/failure_log.py``).

``capture_problem`` says why an archived response was not extracted after all (its body
could not be decoded: ``crawler/middlewares/decode_errors.py``), with ``warc_record_id`` and
``reason``; the SQLite pipeline puts the reason on the capture's row.
"""

capture_archived = object()
failure_recorded = object()
capture_problem = object()
fetch_failed = object()


def report_failure(crawler, url: str, kind: str, detail: str,
                   warc_record_id: str | None = None) -> None:
    """Send ``fetch_failed`` for ``url`` (its WARC record, if one was written)."""
    crawler.signals.send_catch_log(fetch_failed, url=url, kind=kind, detail=detail,
                                   warc_record_id=warc_record_id)
