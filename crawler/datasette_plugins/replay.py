"""Datasette plugin (loaded with ``--plugins-dir crawler/datasette_plugins``): the
``/-/replay/<warc_file>/<offset>`` route serving an archived page from its WARC record, and
links to it from every capture and article row. ``/-/replay-url?url=URL&at=TIME`` serves the
2xx capture of ``URL`` nearest to ``TIME`` (a replayed page's images and stylesheets point
there; see ``crawler.replay.rewrite_requisites``).

WARC files are looked up in ``warc/`` beside each served database file (the archive layout
``DIR/archive.db`` + ``DIR/warc/``). Links: the ``warc_offset`` cell of any row that has a
``warc_file`` (captures, article_exports), and the capture-id cells of articles,
article_captures, article_versions and visit_counters (looked up in captures).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from crawler.replay import WARC_NAME, replay, replay_path
from crawler.replay import error as replay_error

CAPTURE_ID_COLUMNS = {
    ("articles", "last_capture_id"), ("article_captures", "capture_id"),
    ("article_versions", "first_capture_id"), ("visit_counters", "capture_id"),
    ("article_attachments", "capture_id"),
}


def _warc_dirs(datasette) -> list[Path]:
    dirs = []
    for db in datasette.databases.values():
        if db.path:
            dirs.append(Path(db.path).resolve().parent / "warc")
    return dirs


async def replay_view(datasette, request):
    warc_file = request.url_vars["warc_file"]
    offset = int(request.url_vars["offset"])
    return await _serve(datasette, warc_file, offset)


async def _serve(datasette, warc_file: str, offset: int) -> Response:
    warc_dir = next((d for d in _warc_dirs(datasette)
                     if WARC_NAME.match(warc_file) and (d / warc_file).is_file()),
                    _warc_dirs(datasette)[0] if _warc_dirs(datasette) else Path("."))
    base = datasette.urls.path("/-/replay-url")

    def resource_url(url: str, at: str) -> str:
        return f"{base}?{urlencode({'url': url, 'at': at})}"

    result = replay(warc_dir, warc_file, offset, resource_url=resource_url)
    if result.refers_to is not None:
        found = None
        for db in datasette.databases.values():
            if db.path:
                found = (await db.execute(
                    "SELECT warc_file, warc_offset FROM captures WHERE warc_record_id = ?",
                    [result.refers_to])).first()
                if found:
                    break
        if found is None:
            result = replay_error(404, f"{warc_file}@{offset}: revisit of {result.refers_to}, "
                                       "which is not in the archive database")
        else:
            result = replay(warc_dir, warc_file, offset, original=(found[0], found[1]),
                            resource_url=resource_url)
    return Response(result.body, status=result.status, headers=result.headers,
                    content_type=result.content_type)


async def replay_url_view(datasette, request):
    """The archived 2xx capture of ``url`` nearest in time to ``at`` (a page requisite)."""
    url, at = request.args.get("url", ""), request.args.get("at", "")
    for db in datasette.databases.values():
        if not db.path:
            continue
        found = (await db.execute(
            "SELECT warc_file, warc_offset FROM captures WHERE url = ? AND status BETWEEN 200 "
            "AND 299 ORDER BY abs(julianday(fetched_at) - julianday(?)), id LIMIT 1",
            [url, at or "now"])).first()
        if found:
            return await _serve(datasette, found[0], found[1])
    result = replay_error(404, f"{url}: not in the archive")
    return Response(result.body, status=result.status, headers=result.headers,
                    content_type=result.content_type)


@hookimpl
def register_routes():
    return [(r"^/-/replay/(?P<warc_file>[^/]+)/(?P<offset>[0-9]+)$", replay_view),
            (r"^/-/replay-url$", replay_url_view)]


def _link(datasette, warc_file: str, offset: int, label: str) -> str:
    href = datasette.urls.path(replay_path(warc_file, offset))
    return f'<a class="replay" href="{escape(href)}" title="archived page">{escape(label)}</a>'


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if column == "warc_offset" and value is not None:
        keys = row.keys() if hasattr(row, "keys") else []
        if "warc_file" in keys and row["warc_file"]:
            return Markup(f"{escape(value)} · "
                          + _link(datasette, row["warc_file"], value, "▶ replay"))
        return None
    if (table, column) not in CAPTURE_ID_COLUMNS:
        return None
    # A foreign key cell arrives as {"value": id, "label": …} when labels are expanded.
    capture_id = value.get("value") if isinstance(value, dict) else value
    label = value.get("label") if isinstance(value, dict) else None
    if not isinstance(capture_id, int):
        return None

    async def capture_link():
        db = datasette.get_database(database)
        found = (await db.execute(
            "SELECT warc_file, warc_offset FROM captures WHERE id = ?", [capture_id])).first()
        if found is None:
            return None
        capture = datasette.urls.row(database, "captures", str(capture_id))
        text = f"{escape(label)} <em>{capture_id}</em>" if label else str(capture_id)
        return Markup(f'<a href="{escape(capture)}">{text}</a> · '
                      + _link(datasette, found[0], found[1], "▶ replay"))
    return capture_link
    return None
