"""Bulk loading a new archive database: full-text indexes built once at the end, not per row.

Every ``articles`` row written through ``ArchiveStore`` fires the triggers that keep the
full-text table (``articles_folded_fts``, and any other external-content FTS5 table) in
step, and FTS5 writes each statement's terms to disk as a segment of its own that later
merges rewrite: most of the cost of a row. ``deferred_search_index`` sets those triggers
aside while a new database is filled (``portal-archive reindex``), then puts them back as
they were and ``rebuild``s each index from its content table in one pass: the same index the
triggers would have kept (FTS5's ``integrity-check`` holds), built several times faster.
Only triggers whose every write goes to an external-content FTS5 table are set aside (found
in ``sqlite_master``, so a later migration's index is handled too); a trigger that also
writes elsewhere keeps running.
If the load stops half-way the triggers are missing: use it on a file being built only.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

_EXTERNAL_CONTENT = re.compile(r"\bcontent\s*=\s*['\"]?\w", re.IGNORECASE)
_FTS5 = re.compile(r"\busing\s+fts5\b", re.IGNORECASE)
_BEGIN = re.compile(r"\bBEGIN\b", re.IGNORECASE)
_WRITE = re.compile(
    r"\b(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)"
    r"\s+[\"'`\[]?(\w+)", re.IGNORECASE)


def search_indexes(conn: sqlite3.Connection) -> set[str]:
    """The external-content FTS5 tables of a database (lower-cased names)."""
    rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                        "AND sql LIKE 'CREATE VIRTUAL TABLE%'").fetchall()
    return {name.lower() for name, sql in rows
            if _FTS5.search(sql) and _EXTERNAL_CONTENT.search(sql)}


def index_triggers(conn: sqlite3.Connection) -> list[tuple[str, str, set[str]]]:
    """(name, sql, indexes written) of each trigger that writes to those tables only."""
    indexes = search_indexes(conn)
    found = []
    for name, sql in conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                  "ORDER BY rowid").fetchall():
        begin = _BEGIN.search(sql or "")
        targets = {t.lower() for t in _WRITE.findall(sql[begin.end():])} if begin else set()
        if targets and targets <= indexes:
            found.append((name, sql, targets))
    return found


@contextmanager
def deferred_search_index(conn: sqlite3.Connection) -> Iterator[list[str]]:
    """Drop the search-index triggers for the block, then restore them and rebuild their
    indexes (committed). Yields the names of the indexes that will be rebuilt."""
    triggers = index_triggers(conn)
    rebuilt = sorted({t for _, _, targets in triggers for t in targets})
    for name, _, _ in triggers:
        conn.execute(f'DROP TRIGGER "{name}"')
    conn.commit()
    yield rebuilt
    for _, sql, _ in triggers:
        conn.execute(sql)
    for index in rebuilt:
        conn.execute(f'INSERT INTO "{index}" ("{index}") VALUES (\'rebuild\')')
    conn.commit()
