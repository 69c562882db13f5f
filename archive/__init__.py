"""WARC writing and reading for portal-archive (warcio only; never imports Scrapy).

The WARC files are the record of the archive; everything in SQLite can be rebuilt from them.
"""

from archive.exchange import HttpExchange, WarcPointer
from archive.reader import ArchivedRecord, CorruptWarcError, iter_records, read_record_at
from archive.writer import RotatingWarcWriter, WarcWriteError

__all__ = [
    "ArchivedRecord",
    "CorruptWarcError",
    "HttpExchange",
    "RotatingWarcWriter",
    "WarcPointer",
    "WarcWriteError",
    "iter_records",
    "read_record_at",
]
