"""Page requisites and attachments of an article page: what a faithful replay and a
researcher need besides the HTML (pure functions: no Scrapy, no network).

``discover(html, url)`` scans a page's markup for its images (``img/@src``, and the URLs of a
simple ``img/@srcset``), stylesheets (``link[rel~=stylesheet]/@href``), scripts
(``script/@src``) and the documents it links to (``a/@href`` whose path ends in a document
extension: the "văn bản" portals publish as PDF, DOC(X), XLS(X), ZIP, RAR, PPT(X), ODT/ODS).
The page is parsed with lxml by the extraction's ``load_page`` (libxml2's forgiving HTML
parser, ~0.2 ms for a 60 KB portal page: cheaper than any scan in Python); comments and the
text of inline scripts are not markup, ``<base href>`` is honoured, entities in attribute
values are decoded. The crawl does not parse again: ``from_references`` reads what the
extraction's parse collected (``crawler.extract.page.requisite_references``, carried by
``PageAnalysis`` and the item).

A requisite's *kind* is one of ``KINDS``; once fetched, its ``Content-Type`` may say better
(``kind_of(content_type, default)``). The crawler (``crawler/middlewares/requisites.py``)
decides which requisites to fetch (scope, kinds, size); the WARC ``metadata`` record of the
article lists them (``REQUISITES_FIELD``, JSON) so reindex links the same rows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import NamedTuple
from urllib.parse import urljoin, urlsplit, urlunsplit

from w3lib.url import safe_url_string

from crawler.extract.page import load_page

KINDS = ("image", "stylesheet", "script", "document")
DOCUMENT_EXTENSIONS = ("pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods",
                       "rtf", "zip", "rar", "7z")
# WARC field of the article's metadata record listing its requisites as [[kind, url], ...]
REQUISITES_FIELD = "portal-archive-requisites"
# WARC header naming the kind of a requisite's response record (as Browsertrix writes it)
RESOURCE_TYPE_HEADER = "WARC-Resource-Type"
# How each kind is referenced, for Heritrix-style ``outlink: URL E img/@src`` lines.
HOW = {"image": "img/@src", "stylesheet": "link/@href", "script": "script/@src",
       "document": "a/@href"}


class Requisite(NamedTuple):
    url: str
    kind: str


_SRCSET_ITEM = re.compile(r"^\s*(\S+)(?:\s+(\d+(?:\.\d+)?[wx]))?\s*$")


def srcset_candidates(value: str) -> list[tuple[str, str]]:
    """(URL, descriptor or "") of each candidate of a simple ``srcset`` (``url [Nw|Nx],
    ...``); nothing for anything fancier (a URL with a comma in it cannot be told from two
    candidates). Discovery and replay (``crawler/replay.py``) read srcsets alike."""
    candidates = []
    for item in value.split(","):
        match = _SRCSET_ITEM.match(item)
        # A piece without a dot or a slash is the tail of a URL that held a comma.
        if not match or not any(c in match.group(1) for c in "./"):
            return []
        candidates.append((match.group(1), match.group(2) or ""))
    return candidates


def requisite_url(base: str, ref: str) -> str | None:
    """The absolute http(s) URL of ``ref`` exactly as the crawl requests and archives it:
    joined to ``base``, without its fragment, made safe as Scrapy's ``Request`` does
    (w3lib's ``safe_url_string``: ``/ảnh/tin tức.jpg`` is ``/%E1%BA%A3nh/tin%20t%E1%BB%A9c.jpg``);
    None for data:, javascript:, a bare fragment and what makes no URL. Replay looks
    requisites up by the same URL."""
    ref = ref.strip()
    if not ref or ref.startswith("#"):
        return None
    try:
        parts = urlsplit(urljoin(base, ref))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return None
        return safe_url_string(urlunsplit(parts._replace(fragment="")), "utf-8")
    except ValueError:
        return None


def _raw_extension(href: str) -> str:
    path = href.split("#", 1)[0].split("?", 1)[0].rstrip()
    name = path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def extension(url: str) -> str:
    """The lower-cased extension of a URL's path (``"pdf"``), or ``""``."""
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def discover(html: str | bytes, url: str,
             document_extensions: Iterable[str] = DOCUMENT_EXTENSIONS) -> list[Requisite]:
    """Every requisite of the page at ``url`` (its HTML as text, or as UTF-8 bytes), by the
    URL the crawl requests (``requisite_url``), each URL once, in page order: the page is
    parsed as the extraction parses it (``load_page``), whose references the crawl reads."""
    return from_references(load_page(url, html).references, url, document_extensions)


def from_references(references: Iterable[tuple[str, str, str]], url: str,
                    document_extensions: Iterable[str] = DOCUMENT_EXTENSIONS
                    ) -> list[Requisite]:
    """``discover`` from what the extraction's parse already read of the page
    (``crawler.extract.page.requisite_references``: ``PageAnalysis.references``)."""
    docs = {e.lower().lstrip(".") for e in document_extensions}
    references = list(references)
    base = url
    for tag, value, _ in references:  # the first <base href> applies to the whole document
        if tag == "base":
            base = requisite_url(url, value) or url
            break
    found: dict[str, str] = {}

    def add(ref: str | None, kind: str) -> None:
        target = requisite_url(base, ref) if ref else None
        if target is not None:
            found.setdefault(target, kind)

    for tag, value, other in references:
        if tag == "img":
            add(value, "image")
            for ref, _descriptor in srcset_candidates(other):
                add(ref, "image")
        elif tag == "link":
            if "stylesheet" in other.lower().split():
                add(value, "stylesheet")
        elif tag == "script":
            add(value, "script")
        elif tag == "a":
            href = value
            # Most of a portal page's ~150 links are not documents: judge the raw path first.
            if _raw_extension(href) in docs:
                target = requisite_url(base, href)
                if target is not None and extension(target) in docs:
                    found.setdefault(target, "document")
    return [Requisite(u, k) for u, k in found.items()]


_TYPE_KINDS = (
    ("image/", "image"), ("text/css", "stylesheet"),
    ("javascript", "script"), ("ecmascript", "script"),
    ("application/pdf", "document"), ("application/msword", "document"),
    ("application/vnd.", "document"), ("application/zip", "document"),
    ("application/x-zip", "document"), ("application/x-rar", "document"),
    ("application/x-7z", "document"), ("application/rtf", "document"),
)


def kind_of(content_type: str | None, default: str) -> str:
    """The kind a fetched requisite's ``Content-Type`` says it is (``default`` when it says
    nothing useful, e.g. ``application/octet-stream`` or an HTML error page)."""
    ctype = (content_type or "").split(";")[0].strip().lower()
    for prefix, kind in _TYPE_KINDS:
        if ctype.startswith(prefix) or (prefix in ("javascript", "ecmascript")
                                        and prefix in ctype):
            return kind
    return default


def encode_field(requisites: Iterable[tuple[str, str]]) -> str:
    """The metadata record's value of ``REQUISITES_FIELD`` for (url, kind) pairs:
    ``[[kind, url], ...]``."""
    return json.dumps([[kind, url] for url, kind in requisites], ensure_ascii=False,
                      separators=(",", ":"))


def decode_field(value: str | None) -> list[Requisite]:
    """``encode_field`` read back; malformed entries are dropped."""
    try:
        items = json.loads(value or "[]")
    except ValueError:
        return []
    return [Requisite(str(url), str(kind)) for kind, url in
            (item for item in items if isinstance(item, list) and len(item) == 2)
            if kind in KINDS]


def outlink_lines(requisites: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Heritrix-style embed outlinks (``outlink: URL E img/@src``) of (url, kind) pairs;
    documents are ordinary links, listed with the page's ``a/@href`` outlinks already."""
    return [("outlink", f"{url} E {HOW[kind]}") for url, kind in requisites
            if kind != "document"]


# Request meta key of a requisite request: the kind the page uses it as.
REQUISITE_META = "requisite"


def requisite_kind(meta: dict, content_type: str | None) -> str | None:
    """The kind of the response to a request with ``meta`` (None: not a requisite), refined
    by the response's ``Content-Type``; the WARC record's ``WARC-Resource-Type``."""
    kind = meta.get(REQUISITE_META)
    return kind_of(content_type, kind) if kind in KINDS else None


def resource_headers(kind: str | None) -> dict[str, str] | None:
    """Extra WARC headers of a requisite's records."""
    return {RESOURCE_TYPE_HEADER: kind} if kind else None


def resource_type(warc_headers: dict[str, str]) -> str | None:
    """``requisite_kind`` read back from a record's WARC headers (reindex)."""
    kind = warc_headers.get(RESOURCE_TYPE_HEADER)
    return kind if kind in KINDS else None


# The metadata record of a requisite that was not archived (its target URI is the requisite).
SKIPPED_EVENT = "requisite-skipped"


def skipped_fields(crawl_id: str, kind: str, reason: str, at: str, via: str | None
                   ) -> list[tuple[str, str]]:
    """WARC fields of a ``requisite-skipped`` metadata record (``via``: the page using it,
    Heritrix's name for the discovering URL)."""
    fields = [("portal-archive-event", SKIPPED_EVENT), ("portal-archive-crawl-id", crawl_id),
              ("portal-archive-requisite-kind", kind), ("portal-archive-skip-reason", reason),
              ("portal-archive-skipped-at", at)]
    return fields + ([("via", via)] if via else [])


def skipped_from_fields(fields: dict[str, str]) -> tuple[str, str, str] | None:
    """(kind, reason, time) of a ``requisite-skipped`` metadata record, None for any other."""
    if fields.get("portal-archive-event") != SKIPPED_EVENT:
        return None
    kind = fields.get("portal-archive-requisite-kind", "")
    if kind not in KINDS:
        return None
    return (kind, fields.get("portal-archive-skip-reason", ""),
            fields.get("portal-archive-skipped-at", ""))
