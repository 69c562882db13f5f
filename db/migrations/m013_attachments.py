"""Migration m013_attachments: page requisites and attachments of archived articles.

``captures.resource_type``: ``image``, ``stylesheet``, ``script`` or ``document`` for a
response fetched as an article's requisite (the record's ``WARC-Resource-Type``), NULL for
pages. Requisites are never extracted and do not count as a crawl's ``pages``.

``attachments``: one row per requisite URL a crawl dealt with (a logo used by every article is
fetched once per crawl and has one row): ``kind``, ``status`` (``archived``, ``revisit``: the
same bytes were archived before, ``not_modified``, ``redirect``, ``http_error``,
``truncated``, or ``skipped``: not fetched, ``reason`` says why, e.g. larger than
``REQUISITES_MAX_SIZE`` or disallowed by robots.txt), ``http_status``, ``content_type``,
``size`` (bytes archived), ``payload_digest``, ``fetched_at`` and the WARC pointer
(``capture_id``, ``warc_file``, ``warc_offset``, ``warc_record_id``; NULL when skipped).

``article_attachments``: which article capture uses which requisite (``kind`` as the page
uses it, ``url``), linked to the ``attachments`` row of the same crawl, or, when the crawl did
not fetch it again (an incremental crawl skips what is archived), to the latest archived one.
"""

from __future__ import annotations

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    db["captures"].add_column("resource_type", str)
    db["attachments"].create(
        {"id": int, "crawl_id": str, "portal_id": str, "url": str, "kind": str,
         "status": str, "http_status": int, "content_type": str, "size": int,
         "payload_digest": str, "fetched_at": str, "capture_id": int, "warc_file": str,
         "warc_offset": int, "warc_record_id": str, "redirect_to": str, "reason": str},
        pk="id",
        foreign_keys=[("crawl_id", "crawls", "id"), ("portal_id", "portals", "id"),
                      ("capture_id", "captures", "id")],
    )
    db["attachments"].create_index(["crawl_id", "url"], unique=True)
    db["attachments"].create_index(["portal_id", "url"])
    db["attachments"].create_index(["capture_id"])
    db["article_attachments"].create(
        {"article": int, "capture_id": int, "crawl_id": str, "url": str, "kind": str,
         "attachment": int},
        pk=("capture_id", "url"),
        foreign_keys=[("article", "articles", "id"), ("capture_id", "captures", "id"),
                      ("attachment", "attachments", "id")],
    )
    db["article_attachments"].create_index(["crawl_id", "url"])
    db["article_attachments"].create_index(["article"])
    db["article_attachments"].create_index(["attachment"])
