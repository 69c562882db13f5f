"""Migration m004_folded_search: accent- and đ-insensitive full-text search on articles.

FTS5's ``unicode61 remove_diacritics 2`` folds tones and vowel marks (``Bình Liêu`` matches
``binh lieu``) but never folds ``đ``/``Đ`` to ``d``: ``đ`` is a letter of its own in Unicode,
not ``d`` plus a mark. So ``Duong Manh Cuong`` misses ``Dương Mạnh Cường``. This index reads
title and body through the view ``articles_folded`` (``đ``→``d``, ``Đ``→``D``) and the
tokenizer folds the rest. It is an external-content FTS5 table over that view, kept in step by
triggers on ``articles``, so a ``rebuild`` (or ``portal-archive reindex``, whose inserts fire
the triggers) always gives the same index. Queries must be folded the same way: the Datasette
plugin ``db/datasette/plugins/vn_search.py`` does that (``escape_fts``, ``vn_fts``).
"""

from __future__ import annotations

import sqlite_utils

FOLD = "replace(replace({0}, 'đ', 'd'), 'Đ', 'D')"


def migrate(db: sqlite_utils.Database) -> None:
    title, body = FOLD.format("{p}title"), FOLD.format("{p}body_text")
    db.execute(
        f"CREATE VIEW articles_folded AS SELECT id, {title.format(p='')} AS title, "
        f"{body.format(p='')} AS body_text FROM articles"
    )
    db.execute(
        "CREATE VIRTUAL TABLE articles_folded_fts USING fts5(title, body_text, "
        "content='articles_folded', content_rowid='id', "
        "tokenize='unicode61 remove_diacritics 2')"
    )
    new = f"new.id, {title.format(p='new.')}, {body.format(p='new.')}"
    old = f"'delete', old.id, {title.format(p='old.')}, {body.format(p='old.')}"
    insert = f"INSERT INTO articles_folded_fts (rowid, title, body_text) VALUES ({new});"
    delete = (f"INSERT INTO articles_folded_fts (articles_folded_fts, rowid, title, body_text) "
              f"VALUES ({old});")
    db.execute(f"CREATE TRIGGER articles_folded_ai AFTER INSERT ON articles BEGIN {insert} END")
    db.execute(f"CREATE TRIGGER articles_folded_ad AFTER DELETE ON articles BEGIN {delete} END")
    # Only a change of the searched text needs the index touched (view counts change often).
    db.execute(
        "CREATE TRIGGER articles_folded_au AFTER UPDATE OF title, body_text ON articles "
        f"BEGIN {delete} {insert} END"
    )
    db.execute("INSERT INTO articles_folded_fts (articles_folded_fts) VALUES ('rebuild')")
