"""Signals of portal-archive components.

``capture_archived`` is sent by the WARC capture middleware after each response is written,
with ``capture`` (the captures row as a dict) and ``spider``. The SQLite pipeline listens to
it, so responses that never reach the spider (robots.txt, redirects, errors) are indexed too.
"""

capture_archived = object()
