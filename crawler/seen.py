"""Sets of URLs, fingerprints and links that a crawl has met, kept on disk.

A crawl must remember every URL it requested (so it never requests one twice) however big
the portal; kept in Python sets, that memory grows with every page (some hundred bytes per
URL per set), and a crawl of a 100,000-page portal would end several times the size it
started. ``SeenSet`` keeps 64-bit hashes of its members in a private temporary SQLite
database (on disk, deleted when closed; SQLite's page cache is capped) with a bounded
in-memory cache of recent members in front, since the same ~60 menu links come back on
every page. The crawl's memory then stays flat: see ``make bench``.

A 64-bit hash makes a false "already seen" possible in theory: for a million members the
chance that any two of them collide is about 3 in 100 million.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections import OrderedDict

CACHE_SIZE = 2048  # recent members answered from memory (a page shows ~100 links)
PAGE_CACHE_KB = 256  # SQLite's own cache for the table (the OS caches the file too)


def key_hash(key: str | bytes) -> int:
    """A signed 64-bit hash of a member (SQLite integers are signed 64-bit)."""
    data = key.encode("utf-8", "surrogatepass") if isinstance(key, str) else key
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big", signed=True)


class SeenSet:
    """An add-only set of strings (or bytes) with flat memory."""

    def __init__(self, cache_size: int = CACHE_SIZE) -> None:
        # "": SQLite's private temporary database, on disk once its cache is full.
        self._db = sqlite3.connect("", isolation_level=None, check_same_thread=False)
        self._db.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KB}")
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.execute("CREATE TABLE seen (h INTEGER PRIMARY KEY)")
        # Keyed by the member itself, not its hash: a repeated menu link is then answered by
        # one dict lookup (a string caches its own hash), with no blake2b at all.
        self._recent: OrderedDict[str | bytes, None] = OrderedDict()
        self._cache_size = cache_size
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def _remember(self, key: str | bytes) -> None:
        self._recent[key] = None
        if len(self._recent) > self._cache_size:
            self._recent.popitem(last=False)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str | bytes):
            return False
        if key in self._recent:
            self._recent.move_to_end(key)
            return True
        found = self._db.execute("SELECT 1 FROM seen WHERE h = ?", (key_hash(key),)).fetchone()
        if found:
            self._remember(key)
        return found is not None

    def add(self, key: str | bytes) -> bool:
        """Add ``key``; True when it was not a member yet."""
        if key in self._recent:
            self._recent.move_to_end(key)
            return False
        new = self._db.execute("INSERT OR IGNORE INTO seen VALUES (?)",
                               (key_hash(key),)).rowcount == 1
        self._count += new
        self._remember(key)
        return new

    def close(self) -> None:
        self._db.close()
