"""Datasette plugin: "CSV for Excel" — any CSV Datasette serves, with a UTF-8 byte order mark.

Excel opens a BOM-less UTF-8 CSV as the local ANSI code page, so Vietnamese turns to mojibake
(``BÃ¬nh LiÃªu``). Adding ``_bom=1`` to any ``.csv`` URL (table, view, filtered, faceted,
searched, canned query; with ``_stream=1`` for all rows of a table or view) prefixes the bytes
``EF BB BF`` and offers the file as a download. It works as ASGI middleware on the response
stream, so streamed exports stay streamed. A "CSV for Excel" link is added beside Datasette's
own CSV link on table, view and query pages. No settings.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from datasette import hookimpl

BOM = b"\xef\xbb\xbf"
_TRUE = {"1", "on", "true", "yes"}


def _wants_bom(scope) -> tuple[bool, bytes]:
    """(BOM asked for?, the query string without ``_bom``)."""
    pairs = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    asked = any(k == "_bom" and v.lower() in _TRUE for k, v in pairs)
    rest = urlencode([(k, v) for k, v in pairs if k != "_bom"]).encode("latin-1")
    return asked, rest


def bom_middleware(app):
    async def wrapped(scope, receive, send):
        if scope["type"] != "http" or not scope.get("path", "").endswith(".csv"):
            return await app(scope, receive, send)
        asked, rest = _wants_bom(scope)
        if not asked:
            return await app(scope, receive, send)
        scope = dict(scope, query_string=rest)
        state = {"ok": False, "sent": False}
        name = scope["path"].rsplit("/", 1)[-1].removesuffix(".csv") + "-excel.csv"

        async def send_with_bom(message):
            if message["type"] == "http.response.start":
                state["ok"] = message["status"] == 200
                if state["ok"]:
                    headers = [(k, v) for k, v in message.get("headers", [])
                               if k.lower() not in (b"content-length", b"content-disposition",
                                                    b"content-type")]
                    headers += [(b"content-type", b"text/csv; charset=utf-8"),
                                (b"content-disposition",
                                 f'attachment; filename="{name}"'.encode())]
                    message = dict(message, headers=headers)
            elif message["type"] == "http.response.body" and state["ok"] and not state["sent"]:
                state["sent"] = True
                message = dict(message, body=BOM + message.get("body", b""))
            await send(message)

        await app(scope, receive, send_with_bom)

    return wrapped


@hookimpl
def asgi_wrapper(datasette):
    return bom_middleware


# Beside Datasette's "CSV" export link: the same URL, all rows (streamed), with the BOM.
LINK_SCRIPT = """
document.querySelectorAll('p.export-links a').forEach(function (a) {
  if (a.textContent !== 'CSV') { return; }
  var url = new URL(a.href, location.href);
  url.searchParams.delete('_size');
  url.searchParams.set('_stream', 'on');
  url.searchParams.set('_dl', '1');
  url.searchParams.set('_bom', '1');
  var link = document.createElement('a');
  link.href = url.pathname + url.search;
  link.className = 'csv-excel';
  link.textContent = 'CSV for Excel';
  a.after(' (', link, ')');
});
"""


@hookimpl
def extra_body_script(view_name):
    if view_name in ("table", "query"):
        return LINK_SCRIPT
    return None
