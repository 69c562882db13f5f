"""Export articles (the ``article_exports`` view) as CSV or JSON Lines, streaming.

CSV is UTF-8 with CRLF line ends; ``bom=True`` adds the UTF-8 byte order mark Excel needs to
show Vietnamese correctly. Filters, the same as Datasette's: portal(s), ``since``/``until`` on
``published_at`` (inclusive dates, ``YYYY-MM-DD``), category(ies), author(s), and a full-text
``search`` with or without diacritics (the folded index of migration m004, folded like the
Datasette search box by :mod:`db.datasette.folding`).
"""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from collections.abc import Iterator, Sequence
from typing import IO, Any

from db.datasette.folding import fts_query
from db.errors import DatabaseError

EXPORT_COLUMNS = (
    "url", "portal", "article_id", "title", "published_at", "author", "summary", "body_text",
    "category", "view_count", "visits_today", "visits_total", "online_now", "captured_at",
    "warc_file", "warc_offset", "warc_record_id", "date_precision",
)
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class BadFilterError(DatabaseError):
    """Invalid export filter:"""


def export_rows(conn: sqlite3.Connection, portals: Sequence[str] = (), since: str | None = None,
                until: str | None = None, *, categories: Sequence[str] = (),
                authors: Sequence[str] = (), search: str | None = None
                ) -> Iterator[dict[str, Any]]:
    """Rows of the export, oldest publication first, filtered."""
    where, params = [], []
    for column, values in (("portal", portals), ("category", categories), ("author", authors)):
        if values:
            where.append(f"{column} IN ({', '.join('?' * len(values))})")
            params.extend(values)
    if search:
        where.append("(portal, article_id) IN (SELECT portal_id, article_id FROM articles "
                     "WHERE id IN (SELECT rowid FROM articles_folded_fts "
                     "WHERE articles_folded_fts MATCH ?))")
        params.append(fts_query(search))
    for name, value in (("since", since), ("until", until)):
        if value is not None and not DATE_RE.match(value):
            raise BadFilterError(f"--{name} {value!r}: expected a date like 2022-01-27")
    if since:
        where.append("published_at >= ?")
        params.append(since)
    if until:
        # published_at carries a time: compare on its date part so --until is inclusive.
        where.append("substr(published_at, 1, 10) <= ?")
        params.append(until)
    sql = f"SELECT {', '.join(EXPORT_COLUMNS)} FROM article_exports"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY published_at, portal, article_id"
    try:
        cursor = conn.execute(sql, params)
    except sqlite3.OperationalError as exc:  # e.g. a database older than the search index
        raise DatabaseError(f"export query failed: {exc}") from exc
    for row in cursor:
        yield dict(zip(EXPORT_COLUMNS, row, strict=True))


def write_csv(rows: Iterator[dict[str, Any]], out: IO[str], bom: bool = False) -> int:
    if bom:
        out.write("\ufeff")
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    return count


def write_jsonl(rows: Iterator[dict[str, Any]], out: IO[str]) -> int:
    count = 0
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    return count
