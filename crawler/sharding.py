"""Which worker of a sharded crawl archives an article.

A crawl of one portal may run as N worker processes (``portal-archive crawl --workers N``)
so that it uses every core. Each worker walks the portal's navigation (home, listings,
pagination: a few percent of the pages) and fetches only the articles whose key falls in
its shard, so the workers share no state but the archive itself: the split is a stable
hash of the article key, the same in every process, run and machine. Each worker is a crawl
of its own (crawl id, WARC files, ``crawls`` row) and records its shard in the
``CRAWL_SHARD`` setting (``"I/N"``, kept in the warcinfo record and ``crawls.settings``), so
``--resume`` continues each shard where it stopped. Articles linked only from another
shard's articles are handed over after the workers (``crawler/sweep.py``).

Settings: ``CRAWL_SHARD`` (``""``: the whole portal).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

from crawler.errors import PortalArchiveError


class ShardError(PortalArchiveError):
    """Invalid shard:"""


def parse_shard(value: str | None) -> tuple[int, int] | None:
    """``"I/N"`` (worker I of N, counting from 0) as ``(I, N)``; None for a whole crawl."""
    if value in (None, ""):
        return None
    index, sep, count = str(value).partition("/")
    try:
        shard = (int(index), int(count))
    except ValueError:
        shard = None
    if not sep or shard is None or not 0 <= shard[0] < shard[1]:
        raise ShardError(f"expected I/N with 0 <= I < N, not {value!r}")
    return None if shard[1] == 1 else shard


def shard_of(article_key: str, count: int) -> int:
    """The shard (0..count-1) of an article key; stable across processes and runs."""
    return zlib.crc32(article_key.encode("utf-8")) % count


def worker_overrides(get: Callable[[str], Any], workers: int) -> dict[str, str]:
    """Settings that keep a portal's load the same when its crawl is split over ``workers``
    processes: each worker gets its share of the per-host concurrency (at least 1) and
    ``workers`` times the delay between requests (robots.txt's ``Crawl-delay`` and the
    registry's ``delay`` are multiplied by the crawl delay middleware, which reads
    ``CRAWL_SHARD``). ``get`` reads the effective settings (Scrapy's ``settings.get``)."""
    per_host = int(get("CONCURRENT_REQUESTS_PER_DOMAIN") or 1)
    target = float(get("AUTOTHROTTLE_TARGET_CONCURRENCY") or 1.0)
    return {
        "CONCURRENT_REQUESTS_PER_DOMAIN": str(max(1, per_host // workers)),
        "DOWNLOAD_DELAY": repr(float(get("DOWNLOAD_DELAY") or 0) * workers),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": repr(max(target / workers, 0.1)),
    }
