"""Attachment rows (m013): an article's page requisites and linked documents.

``ArchiveStore`` calls ``note_capture`` for every new capture (a requisite's capture carries
``resource_type``), ``add_links`` when an article capture's requisites are known (from the
spider live, from the article's WARC ``metadata`` record on reindex) and ``add_skipped`` for
a requisite that was not fetched (from its ``requisite-skipped`` metadata record). Each link
is resolved to the ``attachments`` row of the same crawl, or, when that crawl did not fetch
the URL, to the latest one archived before the article's capture; whichever of a capture and
a link comes first, the other completes the pair, so the live crawl and reindex (which see
them in the same WARC order anyway) end with the same rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

_CAPTURE_COLUMNS = ("kind", "status", "http_status", "content_type", "size", "payload_digest",
                    "fetched_at", "capture_id", "warc_file", "warc_offset", "warc_record_id",
                    "redirect_to", "reason")


def _status(capture: dict[str, Any]) -> str:
    status = int(capture.get("status") or 0)
    if capture.get("truncated"):
        return "truncated"
    if 200 <= status < 300:
        return "revisit" if capture.get("warc_type") == "revisit" else "archived"
    if status == 304:
        return "not_modified"
    if 300 <= status < 400:
        return "redirect"
    return "http_error"


def _link(conn: sqlite3.Connection, attachment: int, crawl_id: str, url: str) -> None:
    conn.execute("UPDATE article_attachments SET attachment = ? WHERE crawl_id = ? AND url = ?",
                 [attachment, crawl_id, url])


def _upsert(conn: sqlite3.Connection, row: dict[str, Any], update: Iterable[str]) -> int:
    columns = ["crawl_id", "portal_id", "url", *_CAPTURE_COLUMNS]
    sets = ", ".join(f"{c} = excluded.{c}" for c in update)
    conn.execute(
        f"INSERT INTO attachments ({', '.join(columns)}) VALUES "
        f"({', '.join('?' * len(columns))}) ON CONFLICT (crawl_id, url) DO UPDATE SET {sets}",
        [row.get(c) for c in columns])
    return conn.execute("SELECT id FROM attachments WHERE crawl_id = ? AND url = ?",
                        [row["crawl_id"], row["url"]]).fetchone()[0]


def note_capture(conn: sqlite3.Connection, capture_id: int, capture: dict[str, Any]) -> None:
    """The attachments row of a requisite's capture (a later attempt at the same URL in the
    same crawl, e.g. after a 503, replaces the earlier one)."""
    kind = capture.get("resource_type")
    if not kind:
        return
    truncated = capture.get("truncated")
    row = {**capture, "kind": kind, "status": _status(capture),
           "http_status": capture.get("status"), "size": capture.get("content_length"),
           "capture_id": capture_id,
           "reason": f"truncated: {truncated}" if truncated else None}
    attachment = _upsert(conn, row, _CAPTURE_COLUMNS)
    _link(conn, attachment, row["crawl_id"], row["url"])


def add_skipped(conn: sqlite3.Connection, crawl_id: str, portal_id: str, url: str, kind: str,
                reason: str, at: str) -> None:
    """A requisite the crawl did not archive, and why. When an earlier attempt of the same
    crawl was archived (a 503 before a timeout), that capture stays and gets the reason."""
    row = {"crawl_id": crawl_id, "portal_id": portal_id, "url": url, "kind": kind,
           "status": "skipped", "fetched_at": at, "reason": reason}
    attachment = _upsert(conn, row, ("reason",))
    _link(conn, attachment, crawl_id, url)


def _resolve(conn: sqlite3.Connection, crawl_id: str, portal_id: str, url: str,
             before: str) -> int | None:
    row = conn.execute("SELECT id FROM attachments WHERE crawl_id = ? AND url = ?",
                       [crawl_id, url]).fetchone()
    if row is None:
        row = conn.execute(
            "SELECT id FROM attachments WHERE portal_id = ? AND url = ? AND capture_id IS NOT "
            "NULL AND http_status BETWEEN 200 AND 299 AND fetched_at <= ? "
            "ORDER BY fetched_at DESC, id DESC LIMIT 1", [portal_id, url, before]).fetchone()
    return row[0] if row else None


def add_links(conn: sqlite3.Connection, capture_id: int,
              requisites: Iterable[tuple[str, str]]) -> int:
    """Link the article seen in capture ``capture_id`` to its requisites ((url, kind) each);
    return how many links were made (none when the capture holds no stored article)."""
    found = conn.execute(
        "SELECT ac.article, c.crawl_id, c.portal_id, c.fetched_at FROM article_captures ac "
        "JOIN captures c ON c.id = ac.capture_id WHERE ac.capture_id = ?", [capture_id]
    ).fetchone()
    if found is None:
        return 0
    article, crawl_id, portal_id, fetched_at = found
    made = 0
    for url, kind in requisites:
        cur = conn.execute(
            "INSERT OR IGNORE INTO article_attachments (article, capture_id, crawl_id, url, "
            "kind, attachment) VALUES (?, ?, ?, ?, ?, ?)",
            [article, capture_id, crawl_id, url, kind,
             _resolve(conn, crawl_id, portal_id, url, fetched_at)])
        made += cur.rowcount
    return made
