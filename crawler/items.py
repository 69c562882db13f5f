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
