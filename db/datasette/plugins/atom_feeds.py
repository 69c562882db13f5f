"""Datasette plugin: Atom feeds that also work when nothing matches.

datasette-atom (pinned) renders ``.atom`` for any query returning ``atom_id``, ``atom_title``
and ``atom_updated`` (the canned queries ``feed_new_articles`` and ``feed_search``), but
answers a 500 when a query has no rows (a search nobody has written about yet, a brand-new
portal). This registers the same ``atom`` extension after it (``trylast``: the last renderer
registered for an extension wins) and returns a valid, empty feed in that case; any other
request goes to datasette-atom unchanged. No settings.
"""

from __future__ import annotations

from datetime import UTC, datetime
from xml.sax.saxutils import escape

from datasette import hookimpl
from datasette.utils.asgi import Response
from datasette_atom import can_render_atom, render_atom

EMPTY = """<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>{url}</id>
  <title>{title}</title>
  <updated>{updated}</updated>
  <link href="{url}" rel="self"/>
</feed>
"""


def render(datasette, request, sql, columns, rows, database, table, query_name, view_name,
           data):
    if rows:
        return render_atom(datasette, request, sql, columns, rows, database, table,
                           query_name, view_name, data)
    title = query_name or table or "query"
    if query_name:
        queries = (datasette.metadata(database=database) or {}).get("queries") or {}
        title = (queries.get(query_name) or {}).get("title") or title
    # No entries: "updated" is the time of the answer, so readers still accept the feed.
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = EMPTY.format(url=escape(request.url, {'"': "&quot;"}), title=escape(title),
                        updated=now)
    return Response(body, content_type="application/xml; charset=utf-8")


@hookimpl(trylast=True)
def register_output_renderer():
    return {"extension": "atom", "render": render, "can_render": can_render_atom}
