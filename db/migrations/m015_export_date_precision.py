"""Migration m015_export_date_precision: ``article_exports`` gains ``date_precision``.

A page that gives only a date (``27/01/2022``) is stored as midnight
(``2022-01-27T00:00:00+07:00``) with ``date_precision = 'day'``; without that column an
export reader could not tell it from an article published at 00:00. ``minute`` for a date
and time, empty when there is no date. Appended last, so the earlier columns keep their
places for scripts that read them by position.
"""

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
               c.fetched_at AS captured_at, c.warc_file, c.warc_offset, c.warc_record_id,
               a.date_precision
          FROM articles a JOIN captures c ON c.id = a.last_capture_id
        """,
        replace=True,
    )
