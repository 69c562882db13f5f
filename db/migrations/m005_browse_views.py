"""Migration m005_browse_views: views for browsing, faceting and charting articles in Datasette.

``articles_browse``: one row per article with the facet columns researchers ask for (portal,
province, district, category, author, year, month, weekday, hour) beside title, date and URL.
Hour and weekday are the *local* (+07:00) ones, read from the text of ``published_at``: SQLite's
date functions would convert the offset to UTC. Being a view, Datasette streams all of its
matching rows as CSV (``_stream=1``) and searches it through ``articles_folded_fts`` (metadata
``fts_table``/``fts_pk``).

It reads ``articles`` only through the covering index ``articles_browse_cover`` (``INDEXED
BY``): ``category`` sits after ``body_text`` in the row, so reading it from the table walks the
body's overflow pages; on 100,000 articles a search matching most of them then sorts and facets
in milliseconds instead of timing out.

``articles_by_month``, ``articles_by_weekday_hour``: the aggregates behind the charts, as views
so they export whole and can be filtered.
"""

from __future__ import annotations

import sqlite_utils

WEEKDAYS = ("CASE strftime('%w', substr(a.published_at, 1, 10)) WHEN '0' THEN '7 Sun' "
            "WHEN '1' THEN '1 Mon' WHEN '2' THEN '2 Tue' WHEN '3' THEN '3 Wed' "
            "WHEN '4' THEN '4 Thu' WHEN '5' THEN '5 Fri' WHEN '6' THEN '6 Sat' END")


def migrate(db: sqlite_utils.Database) -> None:
    db["articles"].create_index(
        ["id", "portal_id", "published_at", "title", "author", "category", "article_id", "url"],
        index_name="articles_browse_cover",
    )
    db.create_view(
        "articles_browse",
        f"""
        SELECT a.id, a.portal_id AS portal, p.province, p.district, a.category, a.author,
               substr(a.published_at, 1, 4) AS year, substr(a.published_at, 1, 7) AS month,
               {WEEKDAYS} AS weekday, substr(a.published_at, 12, 2) AS hour,
               a.published_at, a.title, a.url, a.article_id
          FROM articles a INDEXED BY articles_browse_cover
          LEFT JOIN portals p ON p.id = a.portal_id
        """,
    )
    db.create_view(
        "articles_by_month",
        """
        SELECT portal_id AS portal, substr(published_at, 1, 7) AS month, count(*) AS articles
          FROM articles WHERE published_at IS NOT NULL
         GROUP BY portal, month ORDER BY portal, month
        """,
    )
    db.create_view(
        "articles_by_weekday_hour",
        f"""
        SELECT a.portal_id AS portal, {WEEKDAYS} AS weekday,
               substr(a.published_at, 12, 2) AS hour, count(*) AS articles
          FROM articles a WHERE a.published_at IS NOT NULL AND a.date_precision = 'minute'
         GROUP BY portal, weekday, hour ORDER BY portal, weekday, hour
        """,
    )
