"""Migration m003_export_view: the article_exports view (the shape of `portal-archive export`)."""

from __future__ import annotations

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    db.create_view(
        "article_exports",
        """
        SELECT a.url, a.portal_id AS portal, a.article_id, a.title, a.published_at, a.author,
               a.summary, a.body_text, a.category, a.view_count,
               (SELECT value FROM visit_counters v
                 WHERE v.capture_id = c.id AND v.metric = 'visits_today') AS visits_today,
               (SELECT value FROM visit_counters v
                 WHERE v.capture_id = c.id AND v.metric = 'visits_total') AS visits_total,
               (SELECT value FROM visit_counters v
                 WHERE v.capture_id = c.id AND v.metric = 'online_now') AS online_now,
               c.fetched_at AS captured_at, c.warc_file, c.warc_offset, c.warc_record_id
          FROM articles a JOIN captures c ON c.id = a.last_capture_id
        """,
    )
