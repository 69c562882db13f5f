"""Signals of portal-archive components.

``capture_archived`` is sent by the WARC capture middleware after each response is written,
with ``capture`` (the captures row as a dict) and ``spider``. The SQLite pipeline listens to
it, so responses that never reach the spider (robots.txt, redirects, errors) are indexed too.

``failure_recorded`` is sent by the failure log middleware with ``row`` (a ``fetch_failures``
row as a dict) as each failure happens; the SQLite pipeline writes it with the captures'
batches and returns True (a row nobody took is written when the crawl closes).

``capture_problem`` says why an archived response was not extracted after all (its body
could not be decoded: ``crawler/middlewares/decode_errors.py``), with ``warc_record_id`` and
``reason``; the SQLite pipeline puts the reason on the capture's row.
"""

capture_archived = object()
failure_recorded = object()
capture_problem = object()
