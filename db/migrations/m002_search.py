"""Migration m002_search: full-text search on article title and body."""

from __future__ import annotations

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    # remove_diacritics 2 folds tones and vowel marks; đ is handled in a later issue.
    db["articles"].enable_fts(
        ["title", "body_text"], create_triggers=True,
        tokenize="unicode61 remove_diacritics 2",
    )
