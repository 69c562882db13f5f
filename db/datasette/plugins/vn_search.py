"""Datasette plugin: Vietnamese full-text search that ignores tones, marks and đ/Đ.

The table search box and ``?_search=`` run ``MATCH escape_fts(:search)`` against the table's
``fts_table`` (``articles_folded_fts`` for ``articles`` and ``articles_browse``, metadata).
This plugin replaces Datasette's ``escape_fts`` SQL function with
:func:`db.datasette.folding.fts_query`, which folds the query the way the index was folded
(NFC, ``đ``→``d``) and quotes every term, so bad input never becomes an FTS syntax error.

SQL functions for canned queries: ``vn_fts(q)`` (the same folding) and ``vn_exact(q, text)``
(query words present with exactly the typed diacritics; the canned ``search`` query ranks on
it so ``Bình Liêu`` lists exact-diacritic matches first). No settings.
"""

from __future__ import annotations

from datasette import hookimpl

from db.datasette.folding import exact_words, fts_query


# trylast: Datasette's own default plugin registers escape_fts too; ours must come after it.
@hookimpl(trylast=True)
def prepare_connection(conn) -> None:
    conn.create_function("escape_fts", 1, fts_query, deterministic=True)
    conn.create_function("vn_fts", 1, fts_query, deterministic=True)
    conn.create_function("vn_exact", 2, exact_words, deterministic=True)
