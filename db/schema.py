"""Schema of the archive database, as small named migrations applied in order.

Each migration is a module in ``db/migrations`` (``m001_core.py``, …) with a ``migrate(db)``
function. Applied migrations are recorded in ``_migrations`` so an old database is brought up
to date on open, and a database with migrations this code does not know is refused.

Tables (plural snake_case): portals, crawls, captures, articles, article_versions,
article_captures, visit_counters; view article_exports.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

import sqlite_utils

import db.migrations
from db.errors import SchemaTooNewError

Migration = Callable[[sqlite_utils.Database], None]


def _discover() -> list[tuple[str, Migration]]:
    names = sorted(m.name for m in pkgutil.iter_modules(db.migrations.__path__)
                   if m.name[:1] == "m" and m.name[1:4].isdigit())
    return [(n, importlib.import_module(f"db.migrations.{n}").migrate) for n in names]


MIGRATIONS: list[tuple[str, Migration]] = _discover()
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(database: sqlite_utils.Database) -> list[str]:
    """Apply the migrations this database lacks, in order; return their names."""
    database.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT)"
    )
    done = {row[0] for row in database.execute("SELECT name FROM _migrations").fetchall()}
    unknown = done - {name for name, _ in MIGRATIONS}
    if unknown:
        raise SchemaTooNewError(", ".join(sorted(unknown)))
    applied = []
    for name, migration in MIGRATIONS:
        if name in done:
            continue
        with database.conn:
            migration(database)
            database.execute(
                "INSERT INTO _migrations VALUES (?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
                [name],
            )
        applied.append(name)
    return applied
