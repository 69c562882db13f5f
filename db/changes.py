"""Change and takedown detection, run reports and portal health, as rows.

``ArchiveStore`` calls ``note_capture`` for every capture, ``note_article`` for every article
seen and ``record_report`` when a crawl finishes. The live crawl and ``reindex`` both go
through the store, so every row here is derived from the WARC files alone and comes out the
same either way. Reading helpers (``known_articles``, ``known_pages``, ``has_capture``) give an
incremental crawl what the archive already holds.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

# Only the identity-defining fields: a change in published_at alone is a re-dating.
CONTENT_FIELDS = ("title", "author", "summary", "body_text", "category")
GONE_STATUSES = (404, 410)
# Paths a portal's home page answers on (a takedown often redirects there).
HOME_PATHS = frozenset({"", "/", "/index.html", "/index.htm", "/index.php", "/default.aspx",
                        "/trang/default.aspx", "/pages/default.aspx", "/trang-chu",
                        "/trang-chu.html", "/home", "/vi", "/vi/", "/portal",
                        "/portal/pages/default.aspx"})


def is_home(url: str | None) -> bool:
    parts = urlsplit(url or "")
    return parts.path.lower() in HOME_PATHS and not parts.query


def is_gone(status: int, redirect_to: str | None) -> bool:
    """Whether an article URL's answer means it was taken down: 404/410, or a redirect to
    a home page."""
    return status in GONE_STATUSES or (
        300 <= status < 400 and bool(redirect_to) and is_home(redirect_to))


def _crawl_of(conn: sqlite3.Connection, capture_id: int) -> str | None:
    row = conn.execute("SELECT crawl_id FROM captures WHERE id = ?", [capture_id]).fetchone()
    return row[0] if row else None


def _event(conn: sqlite3.Connection, article: int, capture_id: int, seen_at: str, kind: str,
           old: Any = None, new: Any = None) -> None:
    conn.execute(
        "INSERT INTO article_events (article, capture_id, crawl_id, seen_at, kind, old, new) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [article, capture_id, _crawl_of(conn, capture_id), seen_at, kind, old, new])


def note_capture(conn: sqlite3.Connection, capture_id: int, capture: dict[str, Any]) -> None:
    """Mark the article at this URL removed when the capture says it is gone (first time
    only: ``removed_at`` is the date it was first seen missing)."""
    status = int(capture.get("status") or 0)
    if not is_gone(status, capture.get("redirect_to")):
        return
    row = conn.execute(
        "SELECT id FROM articles WHERE portal_id = ? AND url = ? AND removed_at IS NULL",
        [capture.get("portal_id"), capture.get("url")]).fetchone()
    if row is None:
        return
    seen_at = capture.get("fetched_at")
    conn.execute("UPDATE articles SET removed_at = ?, removed_status = ?, removed_capture_id = ? "
                 "WHERE id = ?", [seen_at, status, capture_id, row[0]])
    _event(conn, row[0], capture_id, seen_at, "removed", None,
           json.dumps({"status": status, "redirect_to": capture.get("redirect_to")}))


def note_article(conn: sqlite3.Connection, article: int, previous_version: int | None,
                 version: int, capture_id: int, seen_at: str, is_new: bool) -> None:
    """Record what this sighting of an article tells: new, changed, re-dated, restored."""
    if is_new:
        _event(conn, article, capture_id, seen_at, "new")
        return
    removed = conn.execute("SELECT removed_at FROM articles WHERE id = ?", [article]).fetchone()
    if removed and removed[0] is not None:
        conn.execute("UPDATE articles SET removed_at = NULL, removed_status = NULL, "
                     "removed_capture_id = NULL WHERE id = ?", [article])
        _event(conn, article, capture_id, seen_at, "restored", removed[0], None)
    if previous_version is None or previous_version == version:
        return
    fields = ", ".join(("published_at", *CONTENT_FIELDS))
    old, new = (conn.execute(f"SELECT {fields} FROM article_versions WHERE id = ?", [v]
                             ).fetchone() for v in (previous_version, version))
    if old is None or new is None:
        return
    if old[0] != new[0]:
        conn.execute("UPDATE articles SET redated = 1 WHERE id = ?", [article])
        _event(conn, article, capture_id, seen_at, "redated", old[0], new[0])
    if tuple(old[1:]) != tuple(new[1:]):
        changed = [f for f, a, b in zip(CONTENT_FIELDS, old[1:], new[1:], strict=True) if a != b]
        _event(conn, article, capture_id, seen_at, "changed", None, ",".join(changed))


# -- run reports and portal health --------------------------------------------------------
def _seconds(started: str | None, finished: str | None) -> float | None:
    try:
        start = datetime.fromisoformat((started or "").replace("Z", "+00:00"))
        end = datetime.fromisoformat((finished or "").replace("Z", "+00:00"))
    except ValueError:
        return None
    return round((end - start).total_seconds(), 3)


def _exceptions(stats: dict[str, Any], full: bool = False) -> dict[str, int]:
    """Download exceptions by class name (``full``: with the module, e.g. OpenSSL.SSL.Error)."""
    prefix = "downloader/exception_type_count/"
    found: dict[str, int] = {}
    for key, value in stats.items():
        if key.startswith(prefix) and isinstance(value, int):
            name = key[len(prefix):] if full else key[len(prefix):].rsplit(".", 1)[-1]
            found[name] = found.get(name, 0) + value
    return found


def errors_by_kind(conn: sqlite3.Connection, crawl_id: str, stats: dict[str, Any]
                   ) -> dict[str, int]:
    kinds: dict[str, int] = {}
    for status, n in conn.execute("SELECT status, count(*) FROM captures WHERE crawl_id = ? "
                                  "AND status >= 400 GROUP BY status", [crawl_id]):
        kinds[f"http_{status}"] = n
    kinds.update(_exceptions(stats))
    failed = conn.execute("SELECT count(*) FROM captures WHERE crawl_id = ? AND "
                          "extract_status = 'failed'", [crawl_id]).fetchone()[0]
    if failed:
        kinds["extraction_failed"] = failed
    if stats.get("retry_after/waits"):
        kinds["retry_after"] = int(stats["retry_after/waits"])
    return dict(sorted(kinds.items()))


def portal_health(conn: sqlite3.Connection, crawl_id: str, portal_id: str,
                  stats: dict[str, Any]) -> tuple[str, str | None, str | None]:
    """(status, detail, target) of the portal as this crawl found it, from its start URL."""
    row = conn.execute("SELECT start_urls, base_url FROM portals WHERE id = ?", [portal_id]
                       ).fetchone()
    starts: list[str] = []
    if row:
        try:
            starts = list(json.loads(row[0] or "[]"))
        except ValueError:
            starts = []
        starts = starts or [row[1]]
    captures = {url: (status, target) for url, status, target in conn.execute(
        "SELECT url, status, redirect_to FROM captures WHERE crawl_id = ? ORDER BY id",
        [crawl_id])}
    url, seen = next((u for u in starts if u in captures), None), set()
    while url in captures and url not in seen:  # follow redirects captured in this crawl
        seen.add(url)
        status, target = captures[url]
        if 300 <= status < 400 and target:
            if urlsplit(target).hostname != urlsplit(url).hostname and target not in captures:
                return "redirected", str(status), target
            if target not in captures:
                return "http_error", f"redirect {status} not followed", target
            url = target
            continue
        if status >= 400:
            return "http_error", str(status), None
        first = starts[0] if starts else ""
        if urlsplit(url).hostname != urlsplit(first).hostname:
            return "redirected", None, url
        return "ok", None, None
    errors = _exceptions(stats, full=True)
    names = ", ".join(sorted(errors))
    # failures/start/<kind> come from crawler.middlewares.failure_kinds (the start URL's own
    # failures); exception class names are the fallback for crawls made without it.
    if stats.get("failures/start/dns") or any(
            "DNS" in name or "CannotResolveHost" in name for name in errors):
        return "dns_failure", names, None
    if stats.get("failures/start/tls") or any(
            word in name.upper() for name in errors for word in ("SSL", "TLS", "CERTIFICATE")):
        return "tls_failure", names, None
    if stats.get("robotstxt/forbidden"):
        return "robots_disallowed", f"{stats['robotstxt/forbidden']} requests forbidden", None
    if errors:
        return "network_error", names, None
    return "unreachable", None, None


def record_report(conn: sqlite3.Connection, crawl_id: str, stats: dict[str, Any]) -> None:
    """Fill the crawl's run report columns and its portal_health row."""
    crawl = conn.execute("SELECT portal_id, started_at, finished_at FROM crawls WHERE id = ?",
                         [crawl_id]).fetchone()
    if crawl is None:
        return
    portal_id, started, finished = crawl
    events = dict(conn.execute("SELECT kind, count(DISTINCT article) FROM article_events "
                               "WHERE crawl_id = ? GROUP BY kind", [crawl_id]).fetchall())
    seen = conn.execute(
        """SELECT count(DISTINCT ac.article) FROM article_captures ac
           JOIN captures c ON c.id = ac.capture_id WHERE c.crawl_id = ? AND ac.article NOT IN
           (SELECT article FROM article_events WHERE crawl_id = ? AND
            kind IN ('new', 'changed', 'redated'))""", [crawl_id, crawl_id]).fetchone()[0]
    not_modified = conn.execute(
        """SELECT count(DISTINCT a.id) FROM captures c JOIN articles a
           ON a.portal_id = c.portal_id AND a.url = c.url
           WHERE c.crawl_id = ? AND c.status = 304""", [crawl_id]).fetchone()[0]
    fetched = conn.execute("SELECT count(*) FROM captures WHERE crawl_id = ?", [crawl_id]
                           ).fetchone()[0]
    conn.execute(
        """UPDATE crawls SET mode = ?, fetched = ?, new = ?, changed = ?, unchanged = ?,
           removed = ?, redated = ?, errors_by_kind = ?, seconds = ? WHERE id = ?""",
        [stats.get("incremental/mode") or "full", fetched, events.get("new", 0),
         events.get("changed", 0), seen + not_modified, events.get("removed", 0),
         events.get("redated", 0), json.dumps(errors_by_kind(conn, crawl_id, stats)),
         _seconds(started, finished), crawl_id])
    status, detail, target = portal_health(conn, crawl_id, portal_id, stats)
    conn.execute("INSERT OR REPLACE INTO portal_health (crawl_id, portal_id, checked_at, status, "
                 "detail, target) VALUES (?, ?, ?, ?, ?, ?)",
                 [crawl_id, portal_id, finished or started, status, detail, target])


REPORT_COLUMNS = ("id", "portal_id", "mode", "status", "started_at", "seconds", "fetched", "new",
                  "changed", "unchanged", "removed", "redated", "errors", "errors_by_kind",
                  "bytes", "health", "health_target")


def run_reports(conn: sqlite3.Connection, portal_id: str | None = None) -> list[dict[str, Any]]:
    """Every crawl's report, oldest first, with the portal's health in that run."""
    sql = ("SELECT c.id, c.portal_id, c.mode, c.status, c.started_at, c.seconds, c.fetched, "
           "c.new, c.changed, c.unchanged, c.removed, c.redated, c.errors, c.errors_by_kind, "
           "c.bytes, h.status, h.target FROM crawls c "
           "LEFT JOIN portal_health h ON h.crawl_id = c.id")
    params: list[Any] = []
    if portal_id:
        sql += " WHERE c.portal_id = ?"
        params.append(portal_id)
    rows = []
    for values in conn.execute(sql + " ORDER BY c.started_at, c.id", params):
        row = dict(zip(REPORT_COLUMNS, values, strict=True))
        row["errors_by_kind"] = json.loads(row["errors_by_kind"] or "{}")
        rows.append(row)
    return rows


# -- what an incremental crawl starts from -------------------------------------------------
def has_capture(conn: sqlite3.Connection, portal_id: str) -> bool:
    return conn.execute("SELECT 1 FROM captures WHERE portal_id = ? LIMIT 1", [portal_id]
                        ).fetchone() is not None


def known_articles(conn: sqlite3.Connection, portal_id: str) -> list[dict[str, Any]]:
    """Each archived article: id, URL, publication and capture times, removal, and where its
    last capture's record is (for the validators of a conditional request)."""
    cur = conn.execute(
        """SELECT a.article_id, a.url, a.published_at, a.last_captured_at, a.removed_at,
                  c.warc_file, c.warc_offset
             FROM articles a LEFT JOIN captures c ON c.id = a.last_capture_id
            WHERE a.portal_id = ?""", [portal_id])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur]


def known_pages(conn: sqlite3.Connection, portal_id: str
                ) -> dict[str, tuple[str | None, int]]:
    """URL -> (page type, status) of its latest capture, for every URL captured for the
    portal."""
    return {url: (page_type, status) for url, page_type, status in conn.execute(
        "SELECT url, page_type, status FROM captures WHERE portal_id = ? ORDER BY id",
        [portal_id])}
