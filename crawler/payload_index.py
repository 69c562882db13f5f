"""Which archived record already holds a payload: the originals revisit records refer to.

Deduplication (``WARC_DEDUP_ENABLED``) asks, for every 2xx response, whether a record with the
same ``WARC-Payload-Digest`` is already in the archive. Loading every digest of the archive
into memory at the start of a crawl would make the crawl's memory grow with the archive (and
with the crawl); instead the archive database answers (``captures.payload_digest`` is
indexed) through one read-only connection, and the digests this crawl wrote in the last
moments (not yet in the database: the store writes in bursts) are kept in a small bounded
map in front of it.
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict
from pathlib import Path

from archive.writer import RevisitTarget

RECENT = 4096  # more than the store ever holds back (ARCHIVE_DB_BATCH or 1 s of captures)

# Only records of crawls that have ended, or of this crawl: a revisit never refers to a
# record of a crawl running at the same time (another worker of a sharded crawl, another
# portal crawled into the same directory), whose file may sort after the revisit's own and
# whose records may yet be lost with it. Reading the WARC files in name order (reindex)
# then always meets an original before the revisits that refer to it.
_ORIGINAL = (
    "SELECT c.warc_record_id, c.url, c.fetched_at FROM captures c JOIN crawls k "
    "ON k.id = c.crawl_id WHERE c.payload_digest = ? AND c.refers_to IS NULL "
    "AND c.status BETWEEN 200 AND 299 AND c.content_length > 0 {truncated}"
    "AND (k.status != 'running' OR c.crawl_id = ?) ORDER BY c.id LIMIT 1"
)


# A 304's revisit refers to the URL's latest full capture (crawler/middlewares/warc_capture.py).
_LATEST = (
    "SELECT warc_record_id, fetched_at FROM captures WHERE url = ? AND status BETWEEN 200 AND "
    "299 AND refers_to IS NULL ORDER BY fetched_at DESC LIMIT 1"
)


class PayloadIndex:
    def __init__(self, db_path: Path, crawl_id: str) -> None:
        self.db_path = Path(db_path)
        self.crawl_id = crawl_id
        self._conn: sqlite3.Connection | None = None
        self._sql = _ORIGINAL.format(truncated="AND c.truncated IS NULL ")
        self._recent: OrderedDict[str, RevisitTarget] = OrderedDict()

    def _connection(self) -> sqlite3.Connection | None:
        if self._conn is None and self.db_path.exists():
            self._conn = sqlite3.connect(f"{self.db_path.resolve().as_uri()}?mode=ro", uri=True,
                                         check_same_thread=False)
        return self._conn

    def original(self, digest: str) -> RevisitTarget | None:
        """The earliest full record of this payload in the archive, if any."""
        found = self._recent.get(digest)
        if found is not None:
            return found
        conn = self._connection()
        if conn is None:
            return None
        try:
            row = conn.execute(self._sql, [digest, self.crawl_id]).fetchone()
        except sqlite3.OperationalError as exc:
            if "no such column" not in str(exc):
                return None  # a database busy or being made: no revisit this time, no switch
            # An archive from before truncation marks (m014) or revisits (m006).
            self._sql = _ORIGINAL.format(truncated="")
            try:
                row = conn.execute(self._sql, [digest, self.crawl_id]).fetchone()
            except sqlite3.OperationalError:
                return None
        return RevisitTarget(*row) if row else None

    def latest(self, url: str) -> tuple[str, str] | None:
        """(record id, fetched_at) of the URL's latest full capture in the archive, if any,
        through the same read-only connection (an incremental crawl asks for every 304)."""
        conn = self._connection()
        if conn is None:
            return None
        try:
            return conn.execute(_LATEST, [url]).fetchone()
        except sqlite3.OperationalError:
            return None

    def add(self, digest: str, target: RevisitTarget) -> None:
        """A full record this crawl just wrote (found here until the database has it)."""
        if digest not in self._recent:
            self._recent[digest] = target
            if len(self._recent) > RECENT:
                self._recent.popitem(last=False)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
