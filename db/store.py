"""Writes crawl results into the archive database: captures, articles and their versions,
visit counters. Used by the live crawl and by reindex, so both produce the same rows.

Writes are batched: a transaction is committed every ``batch_size`` captures and on close,
with SQLite in WAL mode so Datasette can read while a crawl writes.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from typing import Any

import sqlite_utils

from db import attachments, changes
from db.errors import NotAnArchiveError
from db.schema import migrate

# Fields whose change makes a new article version. Volatile values (view counts, visit
# counters) are deliberately absent: they change on every fetch.
VERSION_FIELDS = ("title", "published_at", "author", "summary", "body_text", "category")
CAPTURE_FIELDS = (
    "crawl_id", "portal_id", "url", "status", "fetched_at", "content_type", "content_length",
    "payload_digest", "redirect_to", "warc_file", "warc_offset", "warc_length",
    "warc_record_id", "request_record_id", "page_type", "extract_status", "extract_reason",
    "resource_type",  # m013: the kind of a requisite's capture (NULL for pages)
    "warc_type", "refers_to",  # m006: revisit records (deduplicated payloads)
    "truncated",  # m014: WARC-Truncated of a body cut short
)


def content_hash(record: dict[str, Any]) -> str:
    """Fingerprint of an article's extracted content (volatile widgets excluded)."""
    data = json.dumps([record.get(f) for f in VERSION_FIELDS], ensure_ascii=False)
    return hashlib.sha1(data.encode("utf-8")).hexdigest()


_INSERT_VERSION = """INSERT INTO article_versions (id, article, version, content_hash,
    first_capture_id, first_seen_at, title, published_at, published_raw, date_precision, author,
    author_raw, summary, body_text, body_html, category, sources)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""


def _version_values(record: dict[str, Any], chash: str, capture_id: int, captured_at: str
                    ) -> list[Any]:
    """``_INSERT_VERSION``'s values after (id, article, version)."""
    return [chash, capture_id, captured_at, record.get("title"), record.get("published_at"),
            record.get("published_raw"), record.get("date_precision"), record.get("author"),
            record.get("author_raw"), record.get("summary"), record.get("body_text"),
            record.get("body_html"), record.get("category"),
            json.dumps(record.get("sources") or {}, ensure_ascii=False, sort_keys=True)]


class ArchiveStore:
    """The archive database of one output directory."""

    def __init__(self, path: str | os.PathLike, batch_size: int = 200) -> None:
        self.path = str(path)
        try:
            self.db = sqlite_utils.Database(self.path)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            migrate(self.db)
        except sqlite3.OperationalError:
            raise  # a full disk or a locked file, not a foreign file
        except sqlite3.DatabaseError as exc:
            raise NotAnArchiveError(f"{self.path}: {exc}") from exc
        self.conn = self.db.conn
        self.batch_size = batch_size
        self._pending = 0

    # -- transactions --------------------------------------------------------------------
    def _wrote(self) -> None:
        self._pending += 1
        if self._pending >= self.batch_size:
            self.commit()

    def commit(self) -> None:
        self.conn.commit()
        self._pending = 0

    def begin_immediate(self) -> None:
        """Open a write transaction now (waiting for another writer's lock), so a burst of
        writes never fails half-way on a lock another process took in between."""
        if not self.conn.in_transaction:
            self.conn.execute("BEGIN IMMEDIATE")

    def close(self) -> None:
        self.commit()
        self.db.close()

    # -- portals and crawls --------------------------------------------------------------
    def upsert_portal(self, portal: dict[str, Any]) -> None:
        row = dict(portal)
        for key in ("start_urls", "allowed_hosts"):
            if isinstance(row.get(key), list | tuple):
                row[key] = json.dumps(list(row[key]), ensure_ascii=False)
        if "confirmed" in row:
            row["confirmed"] = int(bool(row["confirmed"]))
        self.db["portals"].upsert(row, pk="id", alter=False)
        self.commit()

    def start_crawl(self, crawl_id: str, portal_id: str, started_at: str,
                    settings: dict[str, Any]) -> None:
        self.db["crawls"].upsert(
            {"id": crawl_id, "portal_id": portal_id, "started_at": started_at,
             "status": "running", "settings": json.dumps(settings, ensure_ascii=False,
                                                          sort_keys=True, default=str)},
            pk="id",
        )
        self.commit()

    def finish_crawl(self, crawl_id: str, finished_at: str, status: str, finish_reason: str,
                     stats: dict[str, Any]) -> None:
        counts = self.conn.execute(
            # pages: requisites (images, stylesheets, documents: m013) are not pages
            """SELECT count(*) - count(resource_type), sum(extract_status = 'failed'),
                      sum(content_length) FROM captures WHERE crawl_id = ?""",
            [crawl_id],
        ).fetchone()
        articles = self.conn.execute(
            """SELECT count(DISTINCT ac.article) FROM article_captures ac
                 JOIN captures c ON c.id = ac.capture_id WHERE c.crawl_id = ?""",
            [crawl_id],
        ).fetchone()[0]
        errors = int(stats.get("errors", 0) or 0) + int(counts[1] or 0)
        self.db["crawls"].update(
            crawl_id,
            {"finished_at": finished_at, "status": status, "finish_reason": finish_reason,
             "pages": counts[0], "articles": articles, "errors": errors,
             "bytes": counts[2] or 0,
             "stats": json.dumps(stats, ensure_ascii=False, sort_keys=True, default=str)},
        )
        changes.record_report(self.conn, crawl_id, stats)  # run report and portal health
        self.commit()

    # -- failures (m012) -----------------------------------------------------------------
    def add_failures(self, rows: list[dict[str, Any]]) -> None:
        """Insert ``fetch_failures`` rows (crawl_id, portal_id, url, kind, detail, failed_at,
        warc_record_id) in one transaction."""
        if rows:
            self.db["fetch_failures"].insert_all(rows, alter=False)
            self.commit()

    def add_failure(self, row: dict[str, Any]) -> None:
        """Insert one ``fetch_failures`` row in the current batch (committed with it)."""
        keys = list(row)
        self.conn.execute(f"INSERT INTO fetch_failures ({', '.join(keys)}) "
                          f"VALUES ({', '.join('?' * len(keys))})", [row[k] for k in keys])
        self._wrote()

    # -- captures ------------------------------------------------------------------------
    def add_capture(self, capture: dict[str, Any]) -> int:
        """Insert one capture row (one fetched URL); return its id. Idempotent per record."""
        values = [capture.get(f) for f in CAPTURE_FIELDS]
        cur = self.conn.execute(
            f"INSERT OR IGNORE INTO captures ({', '.join(CAPTURE_FIELDS)}) "
            f"VALUES ({', '.join('?' * len(CAPTURE_FIELDS))})",
            values,
        )
        self._wrote()
        if cur.rowcount:
            changes.note_capture(self.conn, cur.lastrowid, capture)  # takedowns
            attachments.note_capture(self.conn, cur.lastrowid, capture)  # requisites
            return cur.lastrowid
        return self.capture_id(capture["warc_record_id"])

    def capture_id(self, warc_record_id: str) -> int:
        row = self.conn.execute(
            "SELECT id FROM captures WHERE warc_record_id = ?", [warc_record_id]
        ).fetchone()
        if row is None:
            raise KeyError(warc_record_id)
        return row[0]

    # -- requisites and attachments (m013) ------------------------------------------------
    def add_requisite_links(self, capture_id: int, requisites: list[tuple[str, str]]) -> int:
        """Link the article of a capture to its requisites ((url, kind) each)."""
        return attachments.add_links(self.conn, capture_id, requisites)

    def add_skipped_requisite(self, crawl_id: str, portal_id: str, url: str, kind: str,
                              reason: str, at: str) -> None:
        """A requisite the crawl did not archive, and why."""
        attachments.add_skipped(self.conn, crawl_id, portal_id, url, kind, reason, at)
        self._wrote()

    def set_extraction(self, capture_id: int, page_type: str | None, status: str,
                       reason: str | None) -> None:
        self.conn.execute(
            "UPDATE captures SET page_type = ?, extract_status = ?, extract_reason = ? "
            "WHERE id = ?",
            [page_type, status, reason, capture_id],
        )

    # -- extracted content ---------------------------------------------------------------
    def add_counters(self, capture_id: int, portal_id: str, captured_at: str,
                     counters: list[dict[str, Any]]) -> None:
        self.conn.executemany(
            "INSERT INTO visit_counters (portal_id, captured_at, capture_id, metric, value, "
            "label_raw, value_raw) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(portal_id, captured_at, capture_id, c["metric"], c["value"], c.get("label_raw"),
              c.get("value_raw")) for c in counters],
        )

    def add_article(self, capture_id: int, portal_id: str, captured_at: str,
                    record: dict[str, Any], article_key: str, canonical_url: str) -> int:
        """Record an article seen in a capture: the article row, its version, the link."""
        chash = content_hash(record)
        row = self.conn.execute(
            "SELECT id, versions, current_version_id FROM articles WHERE portal_id = ? AND "
            "article_id = ?",
            [portal_id, article_key],
        ).fetchone()
        current = {f: record.get(f) for f in VERSION_FIELDS}
        current.update(
            published_raw=record.get("published_raw"),
            date_precision=record.get("date_precision"),
        )
        if row is None:
            # One INSERT with the row's final values: the text goes in with the row, so the
            # search triggers index it once, and no UPDATE rewrites the freshly written row
            # (text and all) to fill in its version. The version's id is chosen here, as
            # SQLite would choose it (the largest + 1), inside a write transaction so that
            # no other writer takes it in between.
            if not self.conn.in_transaction:
                self.conn.execute("BEGIN IMMEDIATE")
            version_id = self.conn.execute(
                "SELECT coalesce(max(id), 0) + 1 FROM article_versions").fetchone()[0]
            cur = self.conn.execute(
                f"INSERT INTO articles (portal_id, article_id, url, first_captured_at, "
                f"last_captured_at, versions, current_version_id, last_capture_id, view_count, "
                f"{', '.join(current)}) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?"
                f"{', ?' * len(current)})",
                [portal_id, article_key, canonical_url, captured_at, captured_at, version_id,
                 capture_id, record.get("view_count"), *current.values()],
            )
            article_pk, previous_version = cur.lastrowid, None
            self.conn.execute(_INSERT_VERSION, [version_id, article_pk, 1,
                                                *_version_values(record, chash, capture_id,
                                                                 captured_at)])
        else:
            article_pk, versions, previous_version = row
            version = self.conn.execute(
                "SELECT id FROM article_versions WHERE article = ? AND content_hash = ?",
                [article_pk, chash],
            ).fetchone()
            if version is None:
                versions += 1
                version_id = self.conn.execute(_INSERT_VERSION, [
                    None, article_pk, versions,
                    *_version_values(record, chash, capture_id, captured_at)]).lastrowid
            else:
                version_id = version[0]
            self.conn.execute(
                f"""UPDATE articles SET url = ?, {', '.join(f'{k} = ?' for k in current)},
                    view_count = ?, last_captured_at = ?, versions = ?, current_version_id = ?,
                    last_capture_id = ? WHERE id = ?""",
                [canonical_url, *current.values(), record.get("view_count"), captured_at,
                 versions, version_id, capture_id, article_pk],
            )
        self.conn.execute(
            "INSERT OR REPLACE INTO article_captures (article, capture_id, version_id, url, "
            "captured_at, view_count, view_count_raw) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [article_pk, capture_id, version_id, record.get("url"), captured_at,
             record.get("view_count"), record.get("view_count_raw")],
        )
        changes.note_article(self.conn, article_pk, previous_version, version_id, capture_id,
                             captured_at, is_new=row is None)
        return article_pk
