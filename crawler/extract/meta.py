"""The structured-metadata step: og:/article: meta tags, schema.org (JSON-LD, itemprop).

Last in the cascade because on these portals metadata is often missing, templated (a
``<title>``/og:title naming another district) or a truncated copy of the body (Liferay's
``description``). It fills only what the visible page did not give, with two exceptions
handled by the pipeline: og:title helps pick the title line, and a metadata timestamp on
the same day can add the time to a date-only visible date.
"""

from __future__ import annotations

from typing import Any

from .anchors import looks_like_name, parse_byline
from .dates import parse_date
from .normalize import casefold_key
from .step import StepResult

_TITLE_KEYS = ("og:title", "ld:headline", "itemprop:headline", "twitter:title")
_DATE_KEYS = ("article:published_time", "ld:datepublished", "itemprop:datepublished",
              "og:published_time", "dc.date.issued", "dcterms.created", "pubdate",
              "publishdate", "dc.date", "date")
_AUTHOR_KEYS = ("ld:author", "itemprop:author", "author", "article:author")
_SUMMARY_KEYS = ("og:description", "ld:description", "description", "twitter:description")
_CATEGORY_KEYS = ("article:section", "ld:articlesection", "itemprop:articlesection")


def _first(meta: dict[str, str], keys: tuple[str, ...]) -> tuple[str, str] | None:
    for key in keys:
        value = meta.get(key)
        if value:
            return key, value
    return None


def is_excerpt(summary: str, body_text: str | None) -> bool:
    """Whether a description is just the opening of the body (auto-generated, not a sapo)."""
    if not body_text:
        return False
    head = casefold_key(summary).rstrip(" .…")
    if head.endswith("..."):
        head = head[:-3].rstrip()
    return len(head) >= 20 and casefold_key(body_text[: len(summary) + 50]).startswith(head)


def meta_step(page: Any, wanted: set[str], body_text: str | None = None) -> StepResult:
    """Fill ``wanted`` fields from metadata; reasons for the rest go in ``failures``."""
    result = StepResult("meta")
    meta = page.meta
    if "title" in wanted:
        found = _first(meta, _TITLE_KEYS)
        if found:
            result.title = found[1]
        else:
            result.failures["title"] = "no og:title or schema.org headline"
    if "date" in wanted:
        found = _first(meta, _DATE_KEYS)
        if found:
            result.date = parse_date(found[1])
        if result.date is None:
            result.failures["date"] = "no article:published_time or schema.org datePublished"
    if "author" in wanted:
        found = _first(meta, _AUTHOR_KEYS)
        if found and not found[1].lower().startswith(("http://", "https://")):
            # Templates fill schema.org author with the site or unit name when no author was
            # entered (NukeViet: "UBND xã …"): only a value that reads as a person's name
            # counts.
            author = parse_byline(found[1], hinted=True)
            if author is not None and author.name and looks_like_name(author.name):
                result.author = author
            else:
                result.failures["author"] = f"{found[0]} {found[1]!r} is not a person's name"
        else:
            result.failures["author"] = "no author metadata"
    if "summary" in wanted:
        found = _first(meta, _SUMMARY_KEYS)
        if found and is_excerpt(found[1], body_text):
            result.failures["summary"] = f"{found[0]} is only the opening of the body"
        elif found and (len(found[1]) < 30 or casefold_key(found[1]) in
                        casefold_key(page.title_tag)):
            # a site-wide template description ("Cổng thông tin điện tử huyện …")
            result.failures["summary"] = f"{found[0]} looks like a site-wide description"
        elif found:
            result.summary = found[1]
        else:
            result.failures["summary"] = "no description metadata"
    if "category" in wanted:
        found = _first(meta, _CATEGORY_KEYS)
        if found:
            result.category = found[1]
        else:
            result.failures["category"] = "no article:section metadata"
    return result
