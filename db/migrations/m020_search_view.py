"""Migration m020_search_view: ``articles_search``, a search page that answers from the index.

Datasette's table search (``articles?_search=``, ``articles_browse?_search=``) filters the
table with ``id IN (SELECT rowid FROM articles_folded_fts WHERE … MATCH …)`` and counts the
matches the same way: every matching id is gathered, then looked up in ``articles``, before
the first row is shown. A word found in 400,000 of a million articles costs ~0.1 s for the
page and ~0.25 s for the count.

This view reads the search index first. Its ``search_match`` column is the FTS5 table's own
column, so ``search_match MATCH …`` (the Datasette plugin ``plugins/search_view.py`` writes
that clause for ``?_search=``) is handed to the index; every other column is a scalar
subquery by id, which SQLite evaluates only for the rows it returns. So the match count is
the index's own count (no table is read: ~20 ms for 400,000 matches), and the page, newest
first (``id`` is the index's rowid, which FTS5 returns in either order), costs a lookup per
row shown. Sorting by another column or faceting reads every match, as the table does.
"""

from __future__ import annotations

import sqlite_utils

# (column of articles, name in the view)
COLUMNS = (("portal_id", "portal"), ("published_at", "published_at"), ("title", "title"),
           ("author", "author"), ("category", "category"), ("url", "url"),
           ("article_id", "article_id"))


def migrate(db: sqlite_utils.Database) -> None:
    # articles_browse_cover holds every shown column: a lookup reads that index, never the
    # article's own page (mostly body text, which would crowd the page cache).
    looked_up = ",\n".join(
        f"(SELECT a.{column} FROM articles a INDEXED BY articles_browse_cover "
        f"WHERE a.id = f.rowid) AS {name}" for column, name in COLUMNS)
    db.create_view(
        "articles_search",
        f"SELECT f.rowid AS id,\n{looked_up},\nf.articles_folded_fts AS search_match\n"
        "FROM articles_folded_fts f",
    )
