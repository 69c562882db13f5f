"""Migration m014_capture_truncation: ``captures.truncated``, the ``WARC-Truncated`` reason of a
response archived with an incomplete body (``length``: past ``DOWNLOAD_MAXSIZE``;
``disconnect``: the connection was reset or closed before the announced length), NULL for a
whole body. Such captures are archived but not extracted (``extract_reason`` says why)."""

from __future__ import annotations

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    db["captures"].add_column("truncated", str)
