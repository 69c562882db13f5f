"""Migration m019_one_search_index: articles are indexed for search once, not twice.

m002 made ``articles_fts`` (title and body, ``remove_diacritics 2``); m004 added
``articles_folded_fts``, the same text with ``đ``/``Đ`` folded to ``d``/``D`` and the same
tokenizer. Every search the project offers (the Datasette search boxes, the ranked and Atom
canned queries, ``export --search``) goes through the folded index, with the query folded
the same way, and a folded query finds everything the other index would: ``articles_fts``
was written by every article insert and read by nothing: each article's whole text tokenised
one more time, ~90 µs of the ~250 µs an article's rows cost to write (crawl and reindex
alike). It goes, with its triggers; ``articles_folded_fts`` holds every row as before.
"""

from __future__ import annotations

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    for trigger in ("articles_ai", "articles_ad", "articles_au"):
        db.execute(f'DROP TRIGGER IF EXISTS "{trigger}"')
    db.execute('DROP TABLE IF EXISTS "articles_fts"')  # FTS5 drops its shadow tables too
