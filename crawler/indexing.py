"""Turning a captured response into database rows, the same way live and from WARC files.

The live crawl (middleware + pipeline) and ``reindex`` both call these functions, which is
what makes "every row can be rebuilt from the WARC files alone" true by construction:
``capture_row`` builds the captures row, ``should_extract`` decides which responses the
extractor sees, ``decode_html`` turns bytes into text, and ``index_page`` stores what
extraction found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from w3lib.encoding import html_to_unicode, http_content_type_encoding

from archive.exchange import WarcPointer
from db import ArchiveStore

HTML_TYPES = ("text/html", "application/xhtml+xml")
# Settings recorded with each crawl (warcinfo and crawls.settings): how the capture was made.
RECORDED_SETTINGS = (
    "USER_AGENT", "ROBOTSTXT_OBEY", "CONCURRENT_REQUESTS_PER_DOMAIN", "DOWNLOAD_DELAY",
    "AUTOTHROTTLE_ENABLED", "DEPTH_LIMIT", "CLOSESPIDER_PAGECOUNT", "DOWNLOAD_TIMEOUT",
    "WARC_MAX_SIZE", "CRAWL_SHARD", "CRAWL_SWEEP", "DOWNLOAD_MAXSIZE",
)


def recorded_settings(get: Any) -> dict[str, Any]:
    """The crawl settings worth keeping, as JSON-safe values (``get`` is settings.get)."""
    import json

    return json.loads(json.dumps({k: get(k) for k in RECORDED_SETTINGS}, default=str))


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    lname = name.lower()
    for key, value in headers:
        if key.lower() == lname:
            return value
    return None


def capture_row(
    *, crawl_id: str, portal_id: str, url: str, status: int, headers: list[tuple[str, str]],
    body_length: int, fetched_at: str, payload_digest: str, pointer: WarcPointer,
    request_record_id: str | None, warc_type: str = "response", refers_to: str | None = None,
    truncated: str | None = None,
) -> dict[str, Any]:
    from crawler.decoding import truncated_reason

    location = _header(headers, "Location")
    return {
        "crawl_id": crawl_id,
        "portal_id": portal_id,
        "url": url,
        "status": status,
        "fetched_at": fetched_at,
        "content_type": _header(headers, "Content-Type"),
        "content_length": body_length,
        "payload_digest": payload_digest,
        # join_url: a Location that makes no URL leaves the capture without a redirect_to
        "redirect_to": join_url(url, location) if location and 300 <= status < 400 else None,
        "warc_file": pointer.filename,
        "warc_offset": pointer.offset,
        "warc_length": pointer.length,
        "warc_record_id": pointer.record_id,
        "request_record_id": request_record_id,
        "page_type": None,
        "extract_status": "skipped",
        "extract_reason": truncated_reason(truncated) if truncated else None,
        "warc_type": warc_type,
        "refers_to": refers_to,
        "truncated": truncated,  # m014: WARC-Truncated (length, disconnect, ...)
    }


def should_extract(url: str, status: int, content_type: str | None) -> bool:
    """Which captures go to the extractor: successful HTML pages (not robots.txt)."""
    if not 200 <= status < 300:
        return False
    if urlsplit(url).path.lower() == "/robots.txt":
        return False
    ctype = (content_type or "text/html").split(";")[0].strip().lower()
    return ctype in HTML_TYPES or ctype == ""


# Charsets servers declare by default (IIS, Apache) whatever the page really is; w3lib maps
# iso-8859-1, latin1, windows-1252 and us-ascii all to cp1252 (as browsers do).
_DEFAULT_CHARSETS = ("cp1252",)


def decode_html(body: bytes, content_type: str | None) -> str:
    """Bytes to text as browsers do: BOM, then HTTP charset, then <meta>, then detection.

    One exception: a server-default Latin-1 charset over bytes that are valid UTF-8 with
    non-ASCII characters is a misdeclaration (Vietnamese portals are UTF-8; Latin-1 text is
    practically never valid multi-byte UTF-8), so the page is read as UTF-8.
    """
    return decode_html_source(body, content_type)[0]


def decode_html_source(body: bytes, content_type: str | None) -> tuple[str, bytes | None]:
    """``decode_html``'s text, and the bytes it is the exact UTF-8 decoding of (the body
    without its BOM), or None when it is not (another charset, replaced invalid bytes): the
    parser can then take those bytes instead of the text encoded again (~0.1 ms of a 90 KB
    page)."""
    charset = http_content_type_encoding(content_type or "")
    if charset and charset.lower() in _DEFAULT_CHARSETS and not body.isascii():
        source = body.removeprefix(b"\xef\xbb\xbf")
        try:
            return source.decode("utf-8"), source
        except UnicodeDecodeError:
            pass
    encoding, text = html_to_unicode(content_type or "", body)
    # w3lib decodes with errors="replace": no U+FFFD in the text means nothing was replaced
    # (a U+FFFD of the page itself only costs this shortcut).
    if encoding == "utf-8" and "\ufffd" not in text:
        return text, body.removeprefix(b"\xef\xbb\xbf")
    if body.isascii() and text == body.decode("ascii"):  # any ASCII-compatible charset
        return text, body
    return text, None


def index_page(
    store: ArchiveStore, capture_id: int, portal_id: str, captured_at: str,
    record: dict[str, Any], article_key: str | None, canonical_url: str | None,
) -> str:
    """Store what extraction found in one capture; return the capture's extract status."""
    failures = record.get("failures") or {}
    page_type = record.get("page_type")
    if record.get("counters"):
        store.add_counters(capture_id, portal_id, captured_at, record["counters"])
    if page_type == "article":
        if record.get("title") and record.get("body_text") and article_key:
            store.add_article(capture_id, portal_id, captured_at, record, article_key,
                              canonical_url or record["url"])
            status = "ok"
            reason = "; ".join(f"{k}: {v}" for k, v in sorted(failures.items())) or None
        else:
            status = "failed"
            missing = [f for f in ("title", "body_text") if not record.get(f)]
            if not article_key:
                missing.append("article_id")
            reason = "; ".join(
                f"{f}: {failures.get(f, 'not found')}" for f in missing
            )
    elif page_type == "error":
        status, reason = "failed", failures.get("extract")
    else:
        status, reason = "ok", None
    store.set_extraction(capture_id, page_type, status, reason)
    return status


def resolve_family(family: str, url: str, html: str | None = None) -> str:
    """The extraction family to use: the registry's, detected for ``auto``, and ``generic``
    for a family whose profile is not written yet."""
    from crawler.extract import FAMILIES, detect_family

    if family == "auto":
        family, _reasons = detect_family(url, html)
    return family if family in FAMILIES else "generic"


def portal_article_key(family: Any, url: str, article_id: str, base_url: str | None) -> str:
    """The key of a site's own ``article_id`` within a portal (``articles.article_id``).

    A site numbers its articles by itself, so a portal that spans several hosts or sub-sites
    (``*.domain`` hosts, QNP's ``/So/<x>/`` sites) would merge different articles sharing a
    number. Pages on the portal's base site keep the bare id (as every single-site portal
    always had); pages elsewhere get their site in front: ``quangninh.gov.vn/So/sonoivu:42``.
    """
    if not base_url:
        return article_id
    site = family.site(url)
    return article_id if site == family.site(base_url) else f"{site}:{article_id}"


def join_url(base: str, ref: str) -> str | None:
    """``urljoin(base, ref)``, or None when ``ref`` makes no URL (``http://[x``, a port that
    is not a number): one bad attribute must not stop a page's crawl or its reindex."""
    try:
        url = urljoin(base, ref)
        urlsplit(url).port  # noqa: B018 - raises for a port that is no number
    except ValueError:
        return None
    return url


@dataclass
class PageAnalysis:
    """What one page yields: the record (a dict), the article key, the canonical URL, and
    for link discovery the page's raw ``a/@href`` values and its base URL, for requisite
    discovery its ``references`` (``crawler.requisites.from_references``): all read from
    the extraction's parse, the crawler never parses a page twice."""

    record: dict[str, Any]
    key: str | None
    canonical: str | None
    hrefs: list[str] = field(default_factory=list)
    base_url: str | None = None
    references: list[tuple[str, str, str]] = field(default_factory=list)


def analyse_page(url: str, body: bytes, content_type: str | None, family: str,
                 base_url: str | None = None
                 ) -> tuple[dict[str, Any], str | None, str | None]:
    """Extract one page: the record as a dict, the article key and the canonical URL
    (``base_url``, the portal's, puts the site into keys of pages elsewhere)."""
    page = analyse(url, body, content_type, family, base_url, references=False)
    return page.record, page.key, page.canonical


def analyse(url: str, body: bytes, content_type: str | None, family: str,
            base_url: str | None = None, references: bool = True) -> PageAnalysis:
    """``analyse_page`` with the page's links (``PageAnalysis``); ``references`` False skips
    collecting requisite references (nobody will discover requisites)."""
    from crawler.extract import extract, get_family

    try:
        html, source = decode_html_source(body, content_type)
        name = resolve_family(family, url, html)
        result = extract(url, html, family=name, references=references, utf8=source)
        record = result.to_dict()
    except Exception as exc:  # noqa: BLE001 - a failed extraction is not a failed capture
        reason = f"extraction crashed: {type(exc).__name__}: {exc}"[:500]
        return PageAnalysis({"url": url, "page_type": "error",
                             "failures": {"extract": reason}}, None, None)
    fam = get_family(record.get("family") or name)
    key = record.get("article_id") or fam.article_id(url)
    canonical = fam.canonical_url(url) if key else None
    if key:
        key = portal_article_key(fam, url, key, base_url)
    if key is None and record.get("page_type") == "article" and name == "generic":
        # A page with no id of its own is identified by its canonical URL.
        canonical = fam.canonical_url(url)
        key = canonical
    # A <base href> that makes no URL is ignored, as browsers do.
    page_base = (join_url(url, result.base_href) if result.base_href else None) or url
    return PageAnalysis(record, key, canonical, result.links, page_base, result.references)
