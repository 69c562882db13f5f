"""Incremental crawls: what the archive already holds of a portal, and what to fetch again.

After a first full crawl into the same output directory, an incremental crawl:

- walks each category listing only until a page shows nothing new: a listing page that links
  no article unknown to the archive counts as one page of overlap, and the walk goes on to the
  next page only while fewer than ``INCREMENTAL_OVERLAP_PAGES`` such pages were seen in a row
  (default 1: stop at the first page with nothing new);
- fetches every article the archive does not know, and every page it has never captured;
- skips pages already captured (static pages, known articles), except the revisits: articles
  published in the ``INCREMENTAL_REVISIT_DAYS`` before the newest archived one (the portal's
  own clock: a frozen portal's last articles are still the likeliest to be edited), plus
  ``INCREMENTAL_REVISIT_SAMPLE`` older ones, the longest unvisited first (ties broken by a
  hash of the crawl id), so repeated crawls rotate through the whole archive;
- sends revisits as conditional requests (``If-None-Match`` from the last capture's ETag,
  ``If-Modified-Since`` from its Last-Modified, read back from the WARC record) when
  ``INCREMENTAL_CONDITIONAL`` is on; a ``304`` is an unchanged article.

What the answers mean (changed, re-dated, removed) is decided by the store (``db.changes``),
so reindex finds the same from the WARC files. Stats: ``incremental/mode``,
``incremental/known_articles``, ``incremental/revisits``, ``incremental/conditional``,
``incremental/listing_stops``, ``incremental/skipped_known``.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from w3lib.url import safe_url_string

from archive import read_record_at
from db import ArchiveStore
from db import changes as db_changes

logger = logging.getLogger(__name__)
MODES = ("full", "incremental")
# Query parameters that number the pages of a listing, across the families met so far.
_PAGE_PARAMS = ("page", "pageindex", "p", "cur", "_101_cur", "trang", "start")
_PATH_PAGE = re.compile(r"^(?P<head>.*?)/page-(?P<n>\d+)/?$", re.I)


def db_path(settings: Any) -> Path:
    out = Path(settings.get("ARCHIVE_OUT_DIR") or "data")
    return Path(settings.get("ARCHIVE_DB_PATH") or out / "archive.db")


def has_baseline(path: str | Path, portal_id: str) -> bool:
    """Whether the archive at ``path`` holds an earlier crawl of the portal."""
    if not Path(path).exists():
        return False
    store = ArchiveStore(path)
    try:
        return db_changes.has_capture(store.conn, portal_id)
    finally:
        store.close()


def _page_number(url: str) -> tuple[str, int]:
    """(the URL without its page number, the page number: 1 when absent)."""
    parts = urlsplit(url)
    path = parts.path
    number = 1
    match = _PATH_PAGE.match(path)
    if match:
        path, number = match["head"], int(match["n"])
    query = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key.lower() in _PAGE_PARAMS and value.isdigit():
            number = int(value)
        else:
            query.append((key.lower(), value))
    return f"{parts.netloc.lower()}{path.lower()}?{sorted(query)}", number


def is_next_page(current: str, candidate: str) -> bool:
    """Whether ``candidate`` is the page after ``current`` in the same listing."""
    here, n = _page_number(current)
    there, m = _page_number(candidate)
    return here == there and m == n + 1


def same_listing(a: str, b: str) -> bool:
    return _page_number(a)[0] == _page_number(b)[0]


def is_first_page(url: str) -> bool:
    return _page_number(url)[1] == 1


@dataclass
class IncrementalPlan:
    """The known state of one portal and the link policy of an incremental crawl."""

    articles: dict[str, dict[str, Any]]  # article id -> known_articles row
    pages: dict[str, str | None]  # captured URL -> page type
    overlap: int = 1
    revisit_days: int = 60
    sample: int = 10
    seed: str = ""
    stats: Any = None
    stale: dict[str, int] = field(default_factory=dict)

    def _inc(self, key: str, n: int = 1) -> None:
        if self.stats is not None:
            self.stats.inc_value(f"incremental/{key}", n)

    def revisits(self) -> list[dict[str, Any]]:
        """Known articles to fetch again: the recent ones, then a rotating sample."""
        live = [a for a in self.articles.values() if not a.get("removed_at") and a.get("url")]
        dated = [(datetime.fromisoformat(a["published_at"]), a) for a in live
                 if a.get("published_at")]
        recent: list[dict[str, Any]] = []
        if dated:
            since = max(d for d, _ in dated) - timedelta(days=self.revisit_days)
            recent = [a for d, a in dated if d >= since]
        chosen = {a["article_id"] for a in recent}

        def order(a: dict[str, Any]) -> tuple[str, str]:
            tie = hashlib.sha1(f"{self.seed}:{a['article_id']}".encode()).hexdigest()
            return a.get("last_captured_at") or "", tie

        older = sorted((a for a in live if a["article_id"] not in chosen), key=order)
        return recent + older[: self.sample]

    def _is_new(self, link: str, aid: str) -> bool:
        """An article the archive does not know (and not a known 404, 301 or failure)."""
        return aid not in self.articles and safe_url_string(link) not in self.pages

    def select(self, url: str, page_type: str | None, links: list[tuple[str, str | None]]
               ) -> list[str]:
        """Of the links of the page at ``url`` ((url, article id or None) each), those an
        incremental crawl follows."""
        stale = 0
        if page_type == "listing":
            fresh = any(self._is_new(link, aid) for link, aid in links if aid)
            stale = 0 if fresh else self.stale.get(url, 0) + 1
        follow = []
        for link, aid in links:
            if aid:
                if self._is_new(link, aid):
                    follow.append(link)
                else:
                    self._inc("skipped_known")  # revisits were requested at the start
                continue
            page = self.pages.get(safe_url_string(link), "")
            if page == "":
                follow.append(link)  # never captured: a new page of the site
            elif page == "listing" and is_first_page(link) and not (
                    page_type == "listing" and same_listing(url, link)):
                follow.append(link)  # a listing's entry (from elsewhere): always walked
            elif page == "listing" and page_type == "listing" and is_next_page(url, link):
                if stale < self.overlap:
                    self.stale[link] = stale
                    follow.append(link)
                else:
                    self._inc("listing_stops")
            else:
                self._inc("skipped_known")
        return follow


def _validators(warc_dir: Path, row: dict[str, Any]) -> dict[str, str]:
    if not row.get("warc_file"):
        return {}
    try:
        record = read_record_at(warc_dir / row["warc_file"], row["warc_offset"])
    except (OSError, ValueError) as exc:
        logger.debug("no validators for %s: %s", row.get("url"), exc)
        return {}
    headers = {}
    if record.header("ETag"):
        headers["If-None-Match"] = record.header("ETag")
    if record.header("Last-Modified"):
        headers["If-Modified-Since"] = record.header("Last-Modified")
    return headers


def open_plan(spider: Any, mode: str) -> tuple[IncrementalPlan | None,
                                               list[tuple[str, dict[str, str]]]]:
    """The plan and the revisit requests (url, headers) of an incremental crawl; ``(None,
    [])`` for a full one, or when the archive holds no earlier crawl of the portal (which is
    said in a warning: the crawl then runs in full)."""
    settings, stats = spider.settings, spider.crawler.stats
    portal_id = spider.portal.id
    path = db_path(settings)
    if mode == "incremental" and not has_baseline(path, portal_id):
        logger.warning("no earlier crawl of %s in %s: running a full crawl", portal_id, path)
        mode = "full"
    stats.set_value("incremental/mode", mode)
    if mode != "incremental":
        return None, []
    store = ArchiveStore(path)
    try:
        known = db_changes.known_articles(store.conn, portal_id)
        pages = {url: ptype for url, (ptype, status) in
                 db_changes.known_pages(store.conn, portal_id).items() if status < 500}
    finally:
        store.close()
    plan = IncrementalPlan(
        {a["article_id"]: a for a in known}, pages,
        overlap=settings.getint("INCREMENTAL_OVERLAP_PAGES", 1),
        revisit_days=settings.getint("INCREMENTAL_REVISIT_DAYS", 60),
        sample=settings.getint("INCREMENTAL_REVISIT_SAMPLE", 10),
        seed=spider.crawl_id, stats=stats)
    out = Path(settings.get("ARCHIVE_OUT_DIR") or "data")
    warc_dir = Path(settings.get("WARC_DIR") or out / "warc")
    conditional = settings.getbool("INCREMENTAL_CONDITIONAL", True)
    requests = []
    for row in plan.revisits():
        headers = _validators(warc_dir, row) if conditional else {}
        if headers:
            stats.inc_value("incremental/conditional")
        requests.append((row["url"], headers))
    stats.set_value("incremental/known_articles", len(known))
    stats.set_value("incremental/revisits", len(requests))
    return plan, requests
