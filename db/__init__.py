"""SQLite index of the archive (sqlite-utils; never imports Scrapy or warcio).

The WARC files are the record; these tables are an index that can be rebuilt from them.
"""

from db.errors import DatabaseError, SchemaTooNewError
from db.schema import SCHEMA_VERSION, migrate
from db.store import ArchiveStore, content_hash

__all__ = [
    "SCHEMA_VERSION",
    "ArchiveStore",
    "DatabaseError",
    "SchemaTooNewError",
    "content_hash",
    "migrate",
]
