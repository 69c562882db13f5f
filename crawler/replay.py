"""Replay of one archived response straight from its WARC file by offset, made safe to open.

``replay(warc_dir, warc_file, offset)`` reads the single record at ``offset`` (one seek), and
returns the page as it was captured (content-encoding undone) with a banner naming the
portal, the URL, the capture time and the record id, under a Content-Security-Policy that
forbids scripts and every request that does not go back to the replay server itself: an
archived government page must never phone home, run its trackers or load live images.
Used by the Datasette plugin in ``crawler/datasette_plugins/replay.py``. No settings are read.

A replayed page's images and stylesheets (``img/@src``, simple ``img/@srcset``,
``link[rel=stylesheet]/@href``) are rewritten to the replay server (``resource_url``: the
plugin's ``/-/replay-url?url=…&at=…``, which serves the archived capture of that URL nearest
to the page's capture time), so an archived article renders with its archived images and
styles, and never with live ones. URLs inside stylesheets (fonts, backgrounds) are not
rewritten: the Content-Security-Policy keeps them from reaching the live web.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from archive import CorruptWarcError, read_record_at
from crawler.indexing import decode_html
from crawler.requisites import requisite_url, srcset_candidates

# 'self' is the replay server: the page may load what it serves (nothing of the live web);
# no scripts, no forms, no frames, no <base> tricks, no plugins.
CSP = ("default-src 'none'; script-src 'none'; img-src 'self' data:; "
       "style-src 'self' 'unsafe-inline'; font-src 'self' data:; media-src 'none'; "
       "connect-src 'none'; frame-src 'none'; object-src 'none'; form-action 'none'; "
       "base-uri 'none'; frame-ancestors 'self'")
WARC_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.warc(\.gz)?$")
REPLAYABLE = ("response", "resource")


@dataclass
class Replay:
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    # Set when the record is a revisit and its original was not given: the caller looks the
    # original up (in the database) and calls ``replay`` again with ``original``.
    refers_to: str | None = None


def replay_path(warc_file: str, offset: int) -> str:
    """The replay route of a record (relative to Datasette's root)."""
    return f"/-/replay/{warc_file}/{int(offset)}"


def error(status: int, message: str) -> Replay:
    return Replay(status, "text/plain; charset=utf-8", (message + "\n").encode("utf-8"),
                  {"Content-Security-Policy": CSP})


def _portal_name(path: Path) -> str:
    try:
        info = read_record_at(path, 0)
        portal = json.loads(info.fields.get("portal-archive-portal") or "{}")
    except (CorruptWarcError, ValueError):
        return ""
    return portal.get("name") or portal.get("id") or ""


def banner(portal: str, url: str, captured_at: str, record_id: str, where: str) -> str:
    """The archive banner: fixed at the top, styled inline (no external stylesheet)."""
    esc = html.escape
    return (
        '<div id="portal-archive-banner" style="all:initial;display:block;position:relative;'
        "z-index:2147483647;background:#fff8dc;color:#222;border-bottom:2px solid #b8860b;"
        'font:14px/1.4 sans-serif;padding:8px 12px">'
        "<strong>Bản lưu trữ / Archived copy</strong> — "
        f'<span class="portal">{esc(portal)}</span><br>'
        f'URL: <code class="url">{esc(url)}</code><br>'
        f'Thời điểm lưu / captured: <time class="captured">{esc(captured_at)}</time> · '
        f'record <code class="record-id">{esc(record_id)}</code> · '
        f'<code class="where">{esc(where)}</code>'
        "</div>"
    )


def _with_banner(page: str, top: str) -> str:
    match = re.search(r"<body[^>]*>", page, flags=re.IGNORECASE)
    if match:
        return page[: match.end()] + top + page[match.end():]
    return top + page


# Start tags holding requisites, their URL attributes, and <base href>.
_TAG = re.compile(r"""<(img|link)\b((?:[^>"']|"[^"]*"|'[^']*')*)>""", re.IGNORECASE)
_URL_ATTR = re.compile(r"""(\s)(src|href|srcset)(\s*=\s*)("[^"]*"|'[^']*'|[^\s"'>]+)""",
                       re.IGNORECASE)
_REL_STYLESHEET = re.compile(r"""\srel\s*=\s*["']?[^"'>]*\bstylesheet\b""", re.IGNORECASE)
_BASE = re.compile(r"""<base\b[^>]*?\shref\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)""", re.IGNORECASE)


def rewrite_requisites(page: str, base_url: str, resource_url: Callable[[str], str]) -> str:
    """``page`` with the URLs of its images and stylesheets replaced by ``resource_url(url)``
    (``url``: the URL the crawl requested and archived, ``requisite_url``); the rest of the
    markup is left byte for byte."""
    found = _BASE.search(page)
    if found:
        base_url = requisite_url(base_url, html.unescape(found.group(1).strip("\"'"))) \
            or base_url

    def target(ref: str) -> str:
        url = requisite_url(base_url, ref)
        return resource_url(url) if url else ref

    def attr(tag: str, match: re.Match) -> str:
        name, value = match.group(2).lower(), html.unescape(match.group(4).strip("\"'"))
        if (tag == "img" and name == "src") or (tag == "link" and name == "href"):
            new = target(value)
        elif tag == "img" and name == "srcset":
            # Read as discovery reads it; a srcset it cannot read was not archived, its
            # pieces still point at the replay server (never at the live web).
            candidates = srcset_candidates(value) or [
                (p[0], " ".join(p[1:])) for p in (c.split() for c in value.split(",")) if p]
            new = ", ".join(" ".join(filter(None, (target(u), d))) for u, d in candidates)
        else:
            return match.group(0)
        return f'{match.group(1)}{match.group(2)}{match.group(3)}"{html.escape(new)}"'

    def tag(match: re.Match) -> str:
        name, attrs = match.group(1).lower(), match.group(2)
        if name == "link" and not _REL_STYLESHEET.search(attrs):
            return match.group(0)
        rewritten = _URL_ATTR.sub(lambda m: attr(name, m), attrs)
        return f"<{match.group(1)}{rewritten}>"

    return _TAG.sub(tag, page)


def replay(warc_dir: str | os.PathLike, warc_file: str, offset: int,
           original: tuple[str, int] | None = None,
           resource_url: Callable[[str, str], str] | None = None) -> Replay:
    """Serve the record at ``warc_file``/``offset`` inside ``warc_dir``; a revisit record is
    shown with the payload of ``original`` (file, offset of the record it refers to). An
    HTML page's images and stylesheets point at ``resource_url(url, capture date)``."""
    if not WARC_NAME.match(warc_file):
        return error(404, f"{warc_file}: not a WARC file name")
    path = Path(warc_dir) / warc_file
    if not path.is_file():
        return error(404, f"{warc_file}: no such WARC file in the archive")
    try:
        record = read_record_at(path, offset)
    except CorruptWarcError as exc:
        if exc.detail == "no record starts at this offset":
            return error(404, f"{warc_file}: no record starts at offset {offset}")
        return error(502, f"{warc_file}: corrupt or truncated WARC record at offset "
                           f"{exc.offset}: {exc.detail}")
    payload = record
    if record.rec_type == "revisit":
        refers_to = record.warc_headers.get("WARC-Refers-To", "")
        if original is None:
            return Replay(0, "", b"", refers_to=refers_to)
        if not WARC_NAME.match(original[0]):
            return error(404, f"{original[0]}: not a WARC file name")
        try:
            payload = read_record_at(Path(warc_dir) / original[0], original[1])
        except (CorruptWarcError, OSError) as exc:
            return error(502, f"{original[0]}@{original[1]} (original of the revisit at "
                               f"{warc_file}@{offset}): {exc}")
        if payload.record_id != refers_to:
            return error(502, f"{warc_file}@{offset}: revisit refers to {refers_to}, but "
                               f"{original[0]}@{original[1]} is {payload.record_id}")
    elif record.offset != offset or record.rec_type not in REPLAYABLE:
        return error(404, f"{warc_file}: the record at offset {offset} is a "
                           f"{record.rec_type} record, not a capture")
    content_type = record.header("Content-Type") or "application/octet-stream"
    headers = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
               "Referrer-Policy": "no-referrer", "X-Archive-Record-Id": record.record_id,
               "X-Archive-Target-Uri": record.target_uri}
    status = record.status or 200
    if content_type.split(";")[0].strip().lower() in ("text/html", "application/xhtml+xml"):
        page = decode_html(payload.content, content_type)
        if resource_url is not None:
            page = rewrite_requisites(page, record.target_uri,
                                      lambda url: resource_url(url, record.date))
        where = f"{warc_file}@{offset}"
        if payload is not record:
            where += (f" — revisit: identical payload archived {payload.date} in "
                      f"{payload.filename}@{payload.offset}")
        top = banner(_portal_name(path), record.target_uri, record.date, record.record_id,
                     where)
        body = _with_banner(page, top).encode("utf-8")
        content_type = "text/html; charset=utf-8"
    else:
        body = payload.content
    # The archived status is shown, not replayed: a 404 page is still a page we archived.
    headers["X-Archive-Status"] = str(status)
    return Replay(200, content_type, body, headers)
