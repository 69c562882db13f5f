"""Datasette plugin: ``?_search=`` for views that read the search index first (``articles_search``).

Datasette searches a table with ``id IN (SELECT rowid FROM <fts> WHERE <fts> MATCH …)``: every
match is gathered and looked up in the table before the first row is shown or the matches are
counted. A view whose rows come from the FTS5 table itself (migration m020) can be searched
with ``<column> MATCH …`` instead, where the column is the FTS5 table's own hidden column: the
index answers the count and hands over its rows newest first, a few at a time.

A table or view opts in with the metadata key ``search_view``:
``{"match_column": "search_match", "rows_of": "articles"}``. This plugin then

- turns ``?_search=`` into ``search_match MATCH escape_fts(:search)`` (the folded query of
  ``vn_search.py``; ``_searchmode=raw`` or metadata ``searchmode: raw`` passes FTS5 syntax
  through), shows the search box and says ``search matches "…"``;
- without a query lists nothing (an unfiltered view would read every article's folded text
  through the index to count it): the page is a search page;
- links the ``id`` column to the row of ``rows_of`` and hides the match column on HTML pages
  (its value is FTS5's cursor number, meaningless outside the query).

No settings.
"""

from __future__ import annotations

from datasette import hookimpl
from datasette.filters import FilterArguments
from datasette.utils import escape_sqlite
from markupsafe import Markup, escape

METADATA_KEY = "search_view"
_HIDE_COLUMN = """
(function () {
  var style = document.createElement('style');
  style.textContent = 'th.col-%s, td.col-%s { display: none; }';
  document.head.append(style);
})();
"""


def search_view_config(datasette, database: str | None, table: str | None) -> dict | None:
    """The ``search_view`` metadata of a table or view, or None when it has none."""
    if not database or not table:
        return None
    config = datasette.table_metadata(database, table).get(METADATA_KEY)
    return config if isinstance(config, dict) and config.get("match_column") else None


# trylast: Datasette's own search filter also runs for every table and sets supports_search
# False where no fts_table is configured; this plugin's context must be applied after it.
@hookimpl(trylast=True)
def filters_from_request(request, database, table, datasette):
    config = search_view_config(datasette, database, table)
    if config is None:
        return None
    search = request.args.get("_search", "").strip()
    context = {"supports_search": True, "search": search}
    if not search:
        return FilterArguments(["0"], extra_context=context)
    metadata_raw = datasette.table_metadata(database, table).get("searchmode") == "raw"
    mode = request.args.get("_searchmode")
    raw = mode == "raw" or (metadata_raw and mode != "escaped")
    clause = "{} MATCH {}".format(escape_sqlite(config["match_column"]),
                                  ":search" if raw else "escape_fts(:search)")
    return FilterArguments([clause], {"search": search}, [f'search matches "{search}"'],
                           context)


@hookimpl
def render_cell(value, column, table, database, datasette):
    if column != "id" or not isinstance(value, int):
        return None
    config = search_view_config(datasette, database, table)
    if config is None or not config.get("rows_of"):
        return None
    href = datasette.urls.row(database, config["rows_of"], str(value))
    return Markup(f'<a href="{escape(href)}">{value}</a>')


@hookimpl
def extra_body_script(view_name, database, table, datasette):
    config = search_view_config(datasette, database, table) if view_name == "table" else None
    if config is None:
        return None
    css_class = "".join(c for c in config["match_column"] if c.isalnum() or c in "_-")
    return _HIDE_COLUMN % (css_class, css_class)
