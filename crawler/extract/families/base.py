"""The Family base class: what a CMS family knows about its URLs and its article markup.

A family is one module in this package that defines ``FAMILY = SomeFamily()``; the package
discovers it (no registry to edit). Override only what the family knows better than the
defaults here, which are the generic behaviour:

- ``detect(url, html)``: reasons this page belongs to the family (empty list: it does not)
- ``article_id(url)``, ``is_listing(url)``, ``is_home(url)``, ``canonical_url(url)``,
  ``should_follow(url)``: URL knowledge the spider and the database rely on
- ``extract(page)``: the *profile* step of the cascade; return only what the profile is sure
  of and leave the rest empty for the generic fallback
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..anchors import find_byline, is_noise
from ..lines import Line
from ..step import Body, StepResult

ATTACHMENT_EXT = re.compile(
    r"\.(?:pdf|docx?|xlsx?|pptx?|odt|ods|rtf|zip|rar|7z|gz|tar|exe|msi|apk|jpe?g|png|gif|bmp|"
    r"tiff?|webp|svg|ico|mp[34]|m4a|wav|avi|mov|wmv|flv|mkv|swf|css|js|xml|rss|txt|csv)$",
    re.I,
)
HOME_PATHS = frozenset({"", "/", "/index.html", "/index.htm", "/index.php", "/default.aspx",
                        "/trang-chu", "/trang-chu.html", "/home", "/vi", "/vi/", "/vi/trang-chu",
                        "/portal", "/portal/", "/portal/pages/default.aspx"})
_TRACKING = re.compile(r"^(?:utm_\w+|fbclid|gclid|zarsrc|_ga)$", re.I)


def split(url: str | None) -> Any:
    """``urlsplit`` that never raises (odd URLs become an empty split)."""
    try:
        return urlsplit((url or "").strip())
    except ValueError:
        return urlsplit("")


def bare_host(netloc: str) -> str:
    """Lowercased host[:port] without a leading ``www.``."""
    host = netloc.lower().rsplit("@", 1)[-1]
    for default in (":80", ":443"):
        if host.endswith(default):
            host = host[: -len(default)]
    return host[4:] if host.startswith("www.") else host


def is_web_url(url: str | None) -> bool:
    """http(s) (or scheme-relative/relative) links; not javascript:, mailto:, tel:, data:."""
    scheme = split(url).scheme.lower()
    return scheme in ("http", "https", "")


def query_param(url: str, name: str) -> str | None:
    """Value of a query parameter, matched case-insensitively (SharePoint ignores case)."""
    lname = name.lower()
    for key, value in parse_qsl(split(url).query, keep_blank_values=True):
        if key.lower() == lname:
            return value
    return None


def fill_body(result: StepResult, container: Any, candidates: list[Line],
              inside: list[Line]) -> None:
    """Set ``result.body`` (and ``result.author``) from candidate lines: widget noise and the
    trailing byline are dropped; ``inside`` (every line in ``container``) minus the kept lines
    is what ``body_html`` leaves out."""
    kept = [line for line in candidates if not is_noise(line.text)]
    found = find_byline(kept)
    if found is not None:
        pos, result.author = found
        kept = kept[:pos] + kept[pos + 1:]
    if kept:
        keep = {id(line) for line in kept}
        result.body = Body(container, kept, [x for x in inside if id(x) not in keep])


class Family:
    """Defaults = the generic behaviour; subclasses override what they know."""

    name = "base"
    priority = 100  # detection order: lower runs first; the generic family is always last
    # True when article_id(url) alone proves the page is an article, so a page whose fields
    # could not be extracted is still reported as a (failed) article, not as "other".
    url_is_authoritative = True

    def detect(self, url: str, html: str | None = None) -> list[str]:
        """Reasons the page belongs to this family; an empty list means it does not."""
        return []

    def article_id(self, url: str) -> str | None:
        return None

    def is_listing(self, url: str) -> bool:
        return False

    def is_home(self, url: str) -> bool:
        parts = split(url)
        return parts.path.lower() in HOME_PATHS and not parts.query

    def canonical_url(self, url: str) -> str:
        """Lowercase scheme and host, no ``www.``/default port/fragment/tracking parameters."""
        parts = split(url)
        if not parts.netloc:
            return (url or "").strip()
        query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                           if not _TRACKING.match(k)])
        return urlunsplit((parts.scheme.lower(), bare_host(parts.netloc), parts.path or "/",
                           query, ""))

    def identity(self, url: str) -> str:
        """Scheme-less canonical form: the twins' key when http and https both serve a page."""
        canonical = self.canonical_url(url)
        return canonical.split("://", 1)[-1]

    def site(self, url: str) -> str:
        """The site whose ``article_id`` numbering ``url`` belongs to: its bare host (a
        family whose sub-sites number their articles apart says so by overriding this)."""
        return bare_host(split(url).netloc)

    def should_follow(self, url: str) -> bool:
        """Every http(s) link (families narrow this down)."""
        stripped = (url or "").strip()
        return bool(stripped) and not stripped.startswith("#") and is_web_url(stripped)

    def follows_navigation(self, url: str, no_follow: re.Pattern[str],
                           skip_print: bool = False) -> bool:
        """The rule of families that follow navigation only: articles, listings and home
        pages, not attachments, not paths matching ``no_follow`` (feedback, search, admin),
        and with ``skip_print`` not the ``?print=`` twin of an article already followed."""
        if not url or not is_web_url(url) or url.strip().startswith("#"):
            return False
        path = split(url).path
        if no_follow.search(path) or ATTACHMENT_EXT.search(path):
            return False
        if skip_print and query_param(url, "print") is not None:
            return False
        return bool(self.article_id(url) or self.is_listing(url) or self.is_home(url))

    def extract(self, page: Any) -> StepResult:
        """The profile step; the base family has no profile."""
        return StepResult(self.name)

    def __repr__(self) -> str:
        return f"<Family {self.name}>"
