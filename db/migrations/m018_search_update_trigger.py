"""Migration m018_search_update_trigger: the search indexes are rewritten only when the
indexed text really changes.

sqlite-utils' ``enable_fts`` (m002) made ``articles_au`` fire on an update of *any* column, so
every recapture of an article (its view count, last capture time) deleted and re-tokenised
its whole title and body in ``articles_fts``; and an ``UPDATE OF title`` trigger (m004's
folded index) still fires when the statement sets the title to the value it had, which the
store does on every capture. Both update triggers now fire only when ``title`` or
``body_text`` differ from before; the indexes hold the same rows.
"""

from __future__ import annotations

import sqlite_utils

CHANGED = "WHEN old.title IS NOT new.title OR old.body_text IS NOT new.body_text"


def migrate(db: sqlite_utils.Database) -> None:
    for name in ("articles_au", "articles_folded_au"):
        (sql,) = db.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
                            [name]).fetchone()
        body = sql[sql.upper().index(" BEGIN"):]
        db.execute(f'DROP TRIGGER "{name}"')
        db.execute(f'CREATE TRIGGER "{name}" AFTER UPDATE OF title, body_text ON articles '
                   f"FOR EACH ROW {CHANGED}{body}")
