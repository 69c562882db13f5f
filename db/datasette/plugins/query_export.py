"""Datasette plugin: every row of a canned query, streamed as CSV or JSON.

Datasette streams all rows only for tables and views (``_stream=on``); a canned query's CSV
and JSON stop at ``max_returned_rows`` (1,000). This plugin serves

    /-/export/<database>/<query>.csv?<the query's parameters>   (``&_bom=1``: for Excel)
    /-/export/<database>/<query>.json?<the query's parameters>  (a JSON array of objects)

running the canned query's own SQL, by name, with its named parameters taken from the query
string (missing ones are ``""``, as on the query page): no other SQL can be run through it,
so it is safe in publish mode (``allow_sql: false``). The database is opened read-only (the
connection Datasette itself would open), with the plugins' SQL functions; each batch of
1,000 rows gets Datasette's ``sql_time_limit_ms`` (the time it gives one page), and the
output stops at ``max_csv_mb`` (CSV and JSON alike) with the reason written last, as
Datasette's own streamed CSV does. The visitor needs the permissions the query page needs;
writable canned queries and magic (``_``) parameters are refused. On every canned query's
page, "All rows:" links (CSV, CSV for Excel, JSON) carry the page's parameters over.
No settings.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sqlite3
import time
from typing import Any
from urllib.parse import urlencode

from datasette import hookimpl
from datasette.utils import derive_named_parameters
from datasette.utils.asgi import AsgiStream, BadRequest, NotFound, Response

BATCH = 1000


class _Rows:
    """A canned query running on its own read-only connection, fetched batch by batch in a
    worker thread (one batch at a time, so the connection is never shared)."""

    def __init__(self, datasette: Any, database: str, sql: str, params: dict[str, str],
                 limit_ms: int) -> None:
        self.datasette, self.database = datasette, database
        self.sql, self.params, self.limit_ms = sql, params, limit_ms
        self.conn: sqlite3.Connection | None = None
        self.cursor: sqlite3.Cursor | None = None

    def _timed(self, fn: Any) -> Any:
        assert self.conn is not None
        deadline = time.perf_counter() + self.limit_ms / 1000
        self.conn.set_progress_handler(lambda: 1 if time.perf_counter() >= deadline else 0,
                                       1000)
        try:
            return fn()
        finally:
            self.conn.set_progress_handler(None, 1000)

    def _open(self) -> tuple[list[str], list[tuple]]:
        db = self.datasette.get_database(self.database)
        self.conn = db.connect()  # mode=ro (or immutable): nothing can be written
        self.datasette._prepare_connection(self.conn, self.database)  # plugin functions
        self.conn.row_factory = None
        self.cursor = self._timed(lambda: self.conn.execute(self.sql, self.params))
        columns = [d[0] for d in self.cursor.description or ()]
        return columns, self._timed(lambda: self.cursor.fetchmany(BATCH))

    def _next(self) -> list[tuple]:
        assert self.cursor is not None
        return self._timed(lambda: self.cursor.fetchmany(BATCH))

    async def open(self) -> tuple[list[str], list[tuple]]:
        return await asyncio.to_thread(self._open)

    async def next(self) -> list[tuple]:
        return await asyncio.to_thread(self._next)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def _message(exc: Exception, limit_ms: int) -> str:
    if isinstance(exc, sqlite3.OperationalError) and "interrupted" in str(exc):
        return f"query took longer than the time limit ({limit_ms} ms)"
    return f"query failed: {exc}"


class _Limited:
    """Counts bytes written; past ``max_csv_mb`` the export stops, saying so."""

    def __init__(self, send: Any, limit_mb: int) -> None:
        self.send, self.limit, self.sent = send, limit_mb * 1024 * 1024, 0

    async def write(self, text: str) -> bool:
        size = len(text.encode("utf-8"))
        if self.limit and self.sent + size > self.limit:
            return False
        self.sent += size
        await self.send.write(text)
        return True


def _csv_text(rows: list[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


async def export_query(request: Any, datasette: Any) -> Any:
    database = request.url_vars["database"]
    name, fmt = request.url_vars["name"], request.url_vars["format"]
    try:
        datasette.get_database(database)
    except KeyError:
        raise NotFound(f"Database not found: {database}") from None
    query = await datasette.get_canned_query(database, name, request.actor)
    if not query:
        raise NotFound(f"No canned query called {name!r} in {database}")
    await datasette.ensure_permissions(request.actor, [
        ("view-query", (database, name)), ("view-database", database), "view-instance"])
    if query.get("write"):
        raise BadRequest("a writable canned query is not exported")
    sql = query["sql"]
    names = await derive_named_parameters(datasette.get_database(database), sql)
    if any(n.startswith("_") for n in names):
        raise BadRequest("queries with magic parameters are not exported")
    params = {n: request.args.get(n, "") for n in names}
    limit_ms = int(datasette.setting("sql_time_limit_ms"))
    rows = _Rows(datasette, database, sql, params, limit_ms)
    try:
        columns, first = await rows.open()
    except sqlite3.Error as exc:
        rows.close()
        return Response.text(_message(exc, limit_ms) + "\n", status=400)

    async def stream(send: Any) -> None:
        out = _Limited(send, int(datasette.setting("max_csv_mb") or 0))
        batch, count, problem = first, 0, None
        try:
            if fmt == "csv":
                await out.write(_csv_text([columns]))
            else:
                await out.write("[")
            while batch:
                if fmt == "csv":
                    text = _csv_text(batch)
                else:
                    text = "".join(
                        ("," if count + i else "") + "\n" + json.dumps(
                            dict(zip(columns, row, strict=True)), ensure_ascii=False,
                            default=str)
                        for i, row in enumerate(batch))
                if not await out.write(text):
                    problem = f"export stopped: more than {out.limit} bytes (max_csv_mb)"
                    break
                count += len(batch)
                try:
                    batch = await rows.next()
                except sqlite3.Error as exc:
                    problem = _message(exc, limit_ms)
                    break
            if fmt == "csv":
                if problem:  # as Datasette's streamed CSV does: the reason, last
                    await send.write(problem + "\r\n")
            else:
                tail = (("," if count else "") + "\n" + json.dumps({"error": problem})
                        if problem else "")
                await send.write(tail + "\n]\n")
        finally:
            rows.close()

    headers = {}
    if fmt == "csv":
        headers["content-disposition"] = f'attachment; filename="{name}.csv"'
        content_type = "text/csv; charset=utf-8"
    else:
        content_type = "application/json; charset=utf-8"
    return AsgiStream(stream, headers=headers, content_type=content_type)


@hookimpl
def register_routes():
    return [(r"^/-/export/(?P<database>[^/]+)/(?P<name>[^/]+)\.(?P<format>csv|json)$",
             export_query)]


_LINKS_SCRIPT = """
(function () {
  var lines = %s, excel = %s;
  var after = document.querySelector('p.export-links') || document.querySelector('form.sql');
  lines.forEach(function (line) {
    var p = document.createElement('p');
    p.className = 'export-all-rows';
    p.append(line[0] + ': ');
    line[1].forEach(function (pair, i) {
      var a = document.createElement('a');
      a.href = pair[1];
      a.textContent = pair[0];
      if (i) { p.append(' · '); }
      p.append(a);
    });
    if (after) { after.after(p); after = p; } else { document.body.append(p); }
  });
  // The "CSV for Excel" link beside Datasette's CSV (excel_csv.py) would stop at 1,000
  // rows on a canned query: point it here, once every inline script has run.
  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('a.csv-excel').forEach(function (a) { a.href = excel; });
  });
})();
"""


def _script_json(value: Any) -> str:
    """JSON that cannot end the <script> it sits in, whatever the query string held."""
    return (json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")
            .replace(">", "\\u003e").replace("&", "\\u0026"))


def export_links(datasette: Any, database: str, name: str, query: dict, names: list[str],
                 args: Any) -> list[tuple[str, list[tuple[str, str]]]]:
    """The lines of links a canned query's page gets: all its rows here; and with the
    query's ``all_matches`` metadata (``{"table": T, "search_param": P}``), every row of
    table T's search for the page's P (a ranked query shows the best matches only)."""
    params = [(n, args.get(n, "")) for n in dict.fromkeys(names) if not n.startswith("_")]
    base = datasette.urls.path(f"/-/export/{database}/{name}")
    plain = "?" + urlencode(params) if params else ""
    excel = "?" + urlencode([*params, ("_bom", "1")])
    lines = [("All rows / Tất cả các dòng", [
        ("CSV", f"{base}.csv{plain}"), ("CSV for Excel", f"{base}.csv{excel}"),
        ("JSON", f"{base}.json{plain}")])]
    every = query.get("all_matches") or {}
    value = args.get(every.get("search_param") or "", "")
    if every.get("table") and value:
        table = datasette.urls.table(database, every["table"])
        search = [("_search", value), ("_stream", "on"), ("_dl", "1")]
        lines.append(("Every matching article, unranked / Mọi bài khớp", [
            ("CSV", f"{table}.csv?{urlencode(search)}"),
            ("CSV for Excel", f"{table}.csv?{urlencode([*search, ('_bom', '1')])}"),
            ("JSON", f"{table}.json?{urlencode([('_search', value), ('_shape', 'objects')])}"),
            ("browse", f"{table}?{urlencode([('_search', value)])}")]))
    return lines


@hookimpl
def extra_body_script(view_name: str, database: str, request: Any, datasette: Any) -> Any:
    name = (request.url_vars or {}).get("table") if request is not None else None
    # A canned query's page comes through the table view (its name is the "table").
    if view_name not in ("table", "query") or not database or not name:
        return None

    async def script() -> str:
        query = await datasette.get_canned_query(database, name, request.actor)
        if not query:
            return ""  # a table: Datasette would print None into the <script>
        names = await derive_named_parameters(datasette.get_database(database), query["sql"])
        lines = export_links(datasette, database, name, query, names, request.args)
        return _LINKS_SCRIPT % (_script_json(lines), _script_json(lines[0][1][1][1]))

    return script
