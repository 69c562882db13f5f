"""Migration m006_capture_revisits: which kind of WARC record a capture is (``response`` or
``revisit``, deduplicated against an earlier identical payload) and the record it refers to;
captures are looked up by payload digest when deduplicating."""

from __future__ import annotations

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    db["captures"].add_column("warc_type", str)
    db["captures"].add_column("refers_to", str)
    db.execute("UPDATE captures SET warc_type = 'response' WHERE warc_type IS NULL")
    db["captures"].create_index(["payload_digest"])
