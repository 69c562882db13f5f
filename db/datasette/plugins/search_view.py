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
  through), shows the search box and says ``search matches "…"``; as Datasette does for
  tables, ``?_search_title=`` searches one column of the index (an FTS5 column filter; the
  view's metadata ``searchable_columns`` lists them, any other is a 400);
- without a query lists nothing (an unfiltered view would read every article's folded text
  through the index to count it): the page is a search page;
- refuses a filter on the match column itself (``?search_match=…``: FTS5 would read the value
  as unescaped query syntax) with a 400 that says to use ``_search``;
- links the ``id`` column to the row of ``rows_of`` and hides the match column on HTML pages
  (its value is FTS5's cursor number, meaningless outside the query).

No settings.
"""

from __future__ import annotations

import re

from datasette import hookimpl
from datasette.filters import FilterArguments
from datasette.utils import escape_sqlite, to_css_class
from datasette.utils.asgi import BadRequest
from markupsafe import Markup, escape

METADATA_KEY = "search_view"
_HIDE_COLUMN = """
(function () {
  var style = document.createElement('style');
  style.textContent = 'th.col-%s, td.col-%s { display: none; }';
  document.head.append(style);
})();
"""


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


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
    column = config["match_column"]
    if any(key == column or key.startswith(column + "__") for key in request.args):
        raise BadRequest(f"{column} is the search index: search with _search=")
    metadata = datasette.table_metadata(database, table)
    mode = request.args.get("_searchmode")
    raw = mode == "raw" or (metadata.get("searchmode") == "raw" and mode != "escaped")
    query = ":{}" if raw else "escape_fts(:{})"
    match = escape_sqlite(column) + " MATCH "
    search = request.args.get("_search", "").strip()
    context = {"supports_search": True, "search": search}
    if search:  # as in Datasette, _search wins over _search_<column>
        return FilterArguments([match + query.format("search")], {"search": search},
                               [f'search matches "{search}"'], context)
    parts, params, descriptions = [], {}, []
    searchable = metadata.get("searchable_columns") or []
    for key in request.args:
        if not key.startswith("_search_") or not request.args[key].strip():
            continue
        name = key.removeprefix("_search_")
        # Only names of the metadata's list reach the query, and only plain identifiers.
        if name not in searchable or not _IDENTIFIER.fullmatch(name):
            raise BadRequest("Cannot search by that column")
        param, text = f"search_{len(params)}", request.args[key].strip()
        parts.append(f"'{{{name}}} : (' || {query.format(param)} || ')'")
        params[param] = text
        descriptions.append(f'search column "{name}" matches "{text}"')
        context["search"] = text
    if not parts:
        return FilterArguments(["0"], extra_context=context)
    # One MATCH (FTS5 takes one per scan): the column searches ANDed inside the query.
    joined = " || ' AND ' || ".join(parts)
    return FilterArguments([f"{match}({joined})"], params, descriptions, context)


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
    css_class = to_css_class(config["match_column"])
    return _HIDE_COLUMN % (css_class, css_class)
