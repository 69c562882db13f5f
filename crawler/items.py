"""Items passed from the spider to the pipelines."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class PageItem:
    """What extraction found in one archived response."""

    url: str
    warc_record_id: str
    captured_at: str
    record: dict[str, Any] = field(default_factory=dict)
    article_key: str | None = None
    canonical_url: str | None = None
    # An article's page requisites and documents ((url, kind) each; m013), set by
    # crawler/middlewares/requisites.py: listed in its WARC metadata record, linked in
    # article_attachments.
    requisites: list[tuple[str, str]] = field(default_factory=list)
    # What the page's markup references (crawler.indexing.PageAnalysis.references), read by
    # the requisites middleware instead of parsing the page again; not stored.
    references: list[tuple[str, str, str]] = field(default_factory=list, repr=False,
                                                   compare=False)


@dataclass
class SkippedRequisite:
    """A page requisite the crawl did not archive (larger than ``REQUISITES_MAX_SIZE``,
    disallowed by robots.txt, a network failure): its WARC ``metadata`` record is written by
    the requisites middleware, and the pipeline gives it an ``attachments`` row."""

    url: str
    kind: str
    reason: str
    skipped_at: str
