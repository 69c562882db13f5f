"""Migration m010_article_changes: change and takedown detection.

``article_events``: one row per change an archive crawl noticed in an article, tied to the
capture that showed it: ``new`` (first seen), ``changed`` (extracted content other than the
date), ``redated`` (same article id, another publication date), ``removed`` (answers 404/410 or
redirects to the home page), ``restored`` (answers again after a removal). ``old``/``new`` hold
the values compared (the dates for ``redated``, the status and redirect for ``removed``).

``articles`` gains ``removed_at`` (capture time the article was first seen missing; NULL while
it answers), ``removed_status``, ``removed_capture_id`` and ``redated`` (1 once its date moved).
Nothing is ever deleted: a removed article keeps its rows and versions.
"""

from __future__ import annotations

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    db["article_events"].create(
        {"id": int, "article": int, "capture_id": int, "crawl_id": str, "seen_at": str,
         "kind": str, "old": str, "new": str},
        pk="id",
        foreign_keys=[("article", "articles", "id"), ("capture_id", "captures", "id"),
                      ("crawl_id", "crawls", "id")],
    )
    db["article_events"].create_index(["crawl_id", "kind"])
    db["article_events"].create_index(["article"])
    articles = db["articles"]
    articles.add_column("removed_at", str)
    articles.add_column("removed_status", int)
    articles.add_column("removed_capture_id", int)
    articles.add_column("redated", int, not_null_default=0)
    articles.create_index(["portal_id", "url"])
