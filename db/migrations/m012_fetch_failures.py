"""Migration m012_fetch_failures: one row per request the crawl could not archive in full.

``fetch_failures``: ``crawl_id``, ``portal_id``, ``url``, ``kind`` (``timeout``, ``dns``,
``tls``, ``refused``, ``connection_lost``, ``data_loss``, ``too_large``, ``http_<status>``,
``redirect_loop``, ``offsite``, ``trap``, ``robots``, ``other``), ``detail`` (the exception or
the reason, one line), ``failed_at`` (UTC ``Z``) and ``warc_record_id`` when a response was
archived (HTTP errors: the row points at the record; network failures have none).
"""

from __future__ import annotations

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    db["fetch_failures"].create(
        {"id": int, "crawl_id": str, "portal_id": str, "url": str, "kind": str, "detail": str,
         "failed_at": str, "warc_record_id": str},
        pk="id",
        foreign_keys=[("crawl_id", "crawls", "id")],
    )
    db["fetch_failures"].create_index(["crawl_id", "kind"])
    db["fetch_failures"].create_index(["url"])
