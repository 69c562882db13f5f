"""The ``portal`` spider: walks a portal's home page, category listings and pagination, and
hands every archived HTML page to extraction.

Arguments (``-a``): ``portal`` (a registry id) or ``url`` (an ad-hoc site), ``family``
(registry family by default; ``auto`` detects it per page), ``limit`` (stop after N
responses), ``registry`` (another registry file), ``portal_id`` (id for an ad-hoc site),
``mode`` (``full``, the default, or ``incremental``: see ``crawler.incremental``).
Navigation only: which links to follow is the family profile's decision, what a page says is
the extractor's. Links are followed on the portal's allowed hosts (and paths) only.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response, TextResponse

from archive.exchange import warc_date
from crawler.errors import PortalArchiveError
from crawler.incremental import MODES, open_plan
from crawler.indexing import analyse, portal_article_key, resolve_family
from crawler.items import PageItem
from crawler.middlewares.warc_capture import href_joiner, remember_hrefs
from crawler.registry import adhoc_portal, get_portal, host_allowed, scrapy_domains
from crawler.seen import SeenSet
from crawler.sharding import parse_shard, shard_of
from crawler.signals import report_failure
from crawler.sweep import HandoffLog, archived_set, handoff_path, read_articles
from crawler.traps import TrapRules

ARTICLE_PRIORITY = 10  # above navigation (0): keeps the frontier to a few listings' links


def new_crawl_id(portal_id: str, now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{portal_id}-{stamp}-{secrets.token_hex(2)}"


class PortalSpider(scrapy.Spider):
    name = "portal"

    def __init__(self, portal: str | None = None, url: str | None = None,
                 family: str | None = None, limit: str | int | None = None,
                 registry: str | None = None, portal_id: str | None = None,
                 crawl_id: str | None = None, mode: str | None = None,
                 started_at: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mode = mode or "full"
        if self.mode not in MODES:
            raise PortalArchiveError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        self.incremental = None  # the IncrementalPlan, once start() has read the archive
        if bool(portal) == bool(url):
            raise PortalArchiveError("give exactly one of -a portal=ID or -a url=URL")
        if portal:
            self.portal = get_portal(portal, registry)
        else:
            self.portal = adhoc_portal(url, family or "auto", portal_id)
        self.family_name = family or self.portal.family
        now = datetime.now(UTC)
        self.crawl_id = crawl_id or new_crawl_id(self.portal.id, now)
        self.started_at = started_at or warc_date(now)  # a resumed crawl keeps its start
        self.finished_at: str | None = None
        self.limit = int(limit) if limit not in (None, "", 0, "0") else None
        self.allowed_domains = scrapy_domains(self.portal.allowed_hosts)
        self.allowed_paths = tuple(self.portal.extra.get("allowed_paths", ()))
        # URLs already requested, and links already judged. Portal chrome repeats the same
        # ~60 menu and sidebar links on every page; judging each once keeps link handling
        # off the profile (Scrapy's dupefilter would drop them anyway, but only after a
        # Request, a fingerprint and the spider middlewares have been paid for).
        # Both on disk (crawler/seen.py): a crawl's memory must not grow with the portal.
        self.scheduled = SeenSet()
        self.judged = SeenSet()
        # A sharded crawl: other workers' articles met on article pages (crawler/sweep.py).
        self.handoffs: HandoffLog | None = None
        # A sweep (CRAWL_SWEEP): the keys of the articles its run archived already.
        self.swept: SeenSet | None = None

    def _schedule(self, url: str) -> bool:
        """Whether ``url`` is new and one more page may be requested under ``limit``."""
        if self.limit is not None and len(self.scheduled) >= self.limit:
            return False
        # add answers whether it was new: one lookup per link, not a test and an add
        return self.scheduled.add(url) and not self._trap(url)

    def closed(self, reason: str) -> None:
        self.scheduled.close()
        self.judged.close()
        if self.handoffs is not None:
            self.handoffs.close()
        if self.swept is not None:
            self.swept.close()

    def _hand_off(self, article_key: str, url: str) -> None:
        """Note another worker's article linked from one of ours (crawler/sweep.py)."""
        if self.handoffs is None:
            out = self.settings.get("ARCHIVE_OUT_DIR") or "data"
            self.handoffs = HandoffLog(handoff_path(out, self.crawl_id))
        self.handoffs.add(article_key, url)

    def _mine(self, article_key: str) -> bool:
        """Whether this worker archives the article (all of them in an unsharded crawl)."""
        if not hasattr(self, "_shard"):
            self._shard = parse_shard(self.settings.get("CRAWL_SHARD"))
        return self._shard is None or shard_of(article_key, self._shard[1]) == self._shard[0]

    def _requisites_on(self) -> bool:
        """Whether page requisites are discovered (otherwise extraction skips collecting
        what references them)."""
        if not hasattr(self, "_requisites"):
            crawler = getattr(self, "crawler", None)
            self._requisites = (crawler is None
                                or crawler.settings.getbool("REQUISITES_ENABLED", True))
        return self._requisites

    def _trap(self, url: str) -> bool:
        """Whether ``url`` is a crawler trap (crawler/traps.py); reported as a failure."""
        if not hasattr(self, "_traps"):
            crawler = getattr(self, "crawler", None)
            self._traps = TrapRules.from_settings(crawler.settings) if crawler else None
        reason = self._traps.reason(url) if self._traps is not None else None
        if reason:
            self.crawler.stats.inc_value("traps/cut")
            report_failure(self.crawler, url, "trap", reason)
        return reason is not None

    def finish_time(self) -> str:
        """The crawl's end time, fixed by the first component that asks (WARC and DB agree)."""
        if self.finished_at is None:
            self.finished_at = warc_date(datetime.now(UTC))
        return self.finished_at

    async def start(self):
        sweep = self.settings.get("CRAWL_SWEEP") or ""
        if sweep:  # only the articles the workers of a sharded run left to each other
            from crawler.incremental import db_path

            run = [i for i in str(self.settings.get("CRAWL_SWEEP_RUN") or "").split(",") if i]
            self.swept = archived_set(db_path(self.settings), run)
            for url in read_articles([sweep]).values():
                if self._schedule(url):
                    yield scrapy.Request(url, callback=self.parse, priority=ARTICLE_PRIORITY)
            return
        self.incremental, revisits = open_plan(self, self.mode)
        for url in self.portal.start_urls:
            if self._schedule(url):
                yield scrapy.Request(url, callback=self.parse)
        for url, headers in revisits:  # known articles fetched again to see edits, removals
            if self._revisit_mine(url) and self._schedule(url):
                yield scrapy.Request(url, headers=headers, callback=self.parse)

    def _revisit_mine(self, url: str) -> bool:
        from crawler.extract import get_family

        family = get_family(resolve_family(self.family_name, url))
        article_id = family.article_id(url)
        if not article_id:
            return True
        return self._mine(portal_article_key(family, url, article_id, self.portal.base_url))

    def _in_scope(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return False
        if not host_allowed(parts.hostname or "", self.portal.allowed_hosts):
            return False
        if self.allowed_paths:
            path = parts.path.lower()
            return any(path.startswith(p.lower()) for p in self.allowed_paths)
        return True

    def parse(self, response: Response):
        pointer = response.meta.get("warc")
        if pointer is None or not isinstance(response, TextResponse):
            return
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        page = analyse(response.url, response.body, content_type, self.family_name,
                       self.portal.base_url, references=self._requisites_on())
        record, key, canonical = page.record, page.key, page.canonical
        # The links come from the extraction's parse (the page is parsed once); the WARC
        # metadata record reads them back from the request's meta (page_hrefs).
        hrefs = remember_hrefs(response, page.hrefs, page.base_url)
        yield PageItem(
            url=response.url,
            warc_record_id=pointer.record_id,
            captured_at=response.meta["warc_fetched_at"],
            record=record,
            article_key=key,
            canonical_url=canonical,
            references=page.references,
        )
        from crawler.extract import get_family

        family = get_family(resolve_family(record.get("family") or self.family_name,
                                           response.url))
        links: list[tuple[str, str | None]] = []
        join = href_joiner(page.base_url or response.url)
        for href in hrefs:
            href = href.strip()
            # An incremental crawl judges every link of every page: whether a listing page
            # shows anything new depends on all its links, even those judged elsewhere.
            if not href or (href in self.judged and self.incremental is None):
                continue
            if href.startswith(("/", "http:", "https:")):
                # Base-independent links: the same string means the same URL on every page.
                self.judged.add(href)
            if href.startswith(("#", "javascript:", "mailto:", "tel:")):
                continue
            url = join(href)
            if url is None or not self._in_scope(url) or not family.should_follow(url):
                continue
            article_id = family.article_id(url)
            if article_id:
                # Twins (print views, &title= suffixes, case) collapse to one request.
                url = family.canonical_url(url)
                article_id = portal_article_key(family, url, article_id, self.portal.base_url)
            if self.swept is not None and (not article_id or article_id in self.swept):
                continue  # a sweep follows articles its run has not archived, nothing else
            if article_id and not self._mine(article_id):
                if key is not None and self.mode == "full":  # its owner may never see it
                    self._hand_off(article_id, url)
                continue  # another worker's article (crawler/sharding.py)
            links.append((url, article_id))
        urls = [url for url, _ in links]
        if self.incremental is not None:
            urls = self.incremental.select(response.url, record.get("page_type"), links)
        articles = {url for url, article_id in links if article_id}
        for url in urls:
            if self._schedule(url):
                # Absolute already: Request, not response.follow, which would decode the
                # whole body again for the page's encoding and base URL. Articles go
                # first: listings (the next page above all) would otherwise be walked to
                # the end while every article link they show waited in memory.
                yield scrapy.Request(url, callback=self.parse,
                                     priority=ARTICLE_PRIORITY if url in articles else 0)
