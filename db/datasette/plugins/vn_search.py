"""Datasette plugin: Vietnamese full-text search that ignores tones, marks and đ/Đ.

The table search box and ``?_search=`` run ``MATCH escape_fts(:search)`` against the table's
``fts_table`` (``articles_folded_fts`` for ``articles`` and ``articles_browse``, metadata).
This plugin replaces Datasette's ``escape_fts`` SQL function with
:func:`db.datasette.folding.fts_query`, which folds the query the way the index was folded
(NFC, ``đ``→``d``) and quotes every term, so bad input never becomes an FTS syntax error.

SQL functions for canned queries: ``vn_fts(q)`` (the same folding) and ``vn_exact(q, text)``
(query words present with exactly the typed diacritics; the canned ``search`` query ranks on
it so ``Bình Liêu`` lists exact-diacritic matches first).

Datasette 0.65's table search has no relevance order (it filters with ``rowid IN (… MATCH
…)`` and keeps the table's sort; ``_sort`` takes columns only), so the search boxes of
``articles``, ``articles_browse`` and ``articles_search`` get a "Ranked by relevance" link
beside them that carries what is typed to the ranked canned query ``search``, whose
``article`` cells link to the article pages. The two table searches, which gather and count
every match through the table (slow for a word found in most of a large archive), also get
a link carrying the query to ``articles_search``, which counts and lists the matches from the
index (``plugins/search_view.py``). No settings.
"""

from __future__ import annotations

import json

from datasette import hookimpl
from markupsafe import Markup, escape

from db.datasette.folding import exact_words, fts_query

SEARCH_TABLES = ("articles", "articles_browse", "articles_search")
RANKED_QUERY = "search"
FAST_SEARCH = "articles_search"
_SEARCH_LINKS = """
(function () {
  var box = document.getElementById('_search');
  if (!box) { return; }
  var links = %s, p = document.createElement('p');
  p.className = 'ranked-search';
  links.forEach(function (link, i) {
    var a = document.createElement('a');
    a.textContent = link.text;
    function update() { a.href = link.path + '?' + link.param + '=' +
                                 encodeURIComponent(box.value.trim()) + (link.extra || ''); }
    box.addEventListener('input', update);
    update();
    p.append(i ? ' · ' : '', a, ' (' + link.note + ')');
  });
  (box.form || box).after(p);
})();
"""


# trylast: Datasette's own default plugin registers escape_fts too; ours must come after it.
@hookimpl(trylast=True)
def prepare_connection(conn) -> None:
    conn.create_function("escape_fts", 1, fts_query, deterministic=True)
    conn.create_function("vn_fts", 1, fts_query, deterministic=True)
    conn.create_function("vn_exact", 2, exact_words, deterministic=True)


@hookimpl
def extra_body_script(view_name, database, table, datasette):
    if view_name != "table" or table not in SEARCH_TABLES or not database:
        return None
    links = [{"path": datasette.urls.table(database, RANKED_QUERY), "param": "q",
              "text": "Xếp hạng theo mức liên quan / Ranked by relevance",
              "note": "exact diacritics first; this box lists matches in the table's order"}]
    if table != FAST_SEARCH:
        # _nocol: the index's cursor column stays out of the page and of its CSV/JSON links
        links.append({"path": datasette.urls.table(database, FAST_SEARCH), "param": "_search",
                      "extra": "&_nocol=search_match",
                      "text": "Tìm nhanh / Fast search",
                      "note": "every match newest first, counted from the search index: "
                              "fastest on a large archive"})
    return _SEARCH_LINKS % json.dumps(links, ensure_ascii=False).replace("<", "\\u003c")


@hookimpl
def render_cell(value, column, table, database, datasette):
    # The ranked search's "article" column: the article's page (canned query cells come
    # with table None; tables' own foreign keys are linked by Datasette already).
    if table is None and column == "article" and isinstance(value, int) and database:
        href = datasette.urls.row(database, "articles", str(value))
        return Markup(f'<a href="{escape(href)}">{value}</a>')
    return None
