"""Bytes or text to a parsed page: decoding, a tolerant lxml parse, metadata, and lines.

Everything here is defensive because ``extract()`` must never raise: undecodable bytes are
replaced, control characters are removed, the parser gets clean UTF-8 bytes (lxml refuses
``str`` documents with an XML encoding declaration), and an empty or hopeless document yields
``root=None`` plus a reason in ``errors``.

Script/style-like elements (and form controls' option lists) are removed right after parsing
(JSON-LD is read first), so no later step can pick up text from them and ``body_html`` can
never carry them. libxml2 keeps at most 2048 levels of nesting even with ``huge_tree``.
"""

from __future__ import annotations

import codecs
import json
import re
import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from lxml import etree

from .lines import Line, linearize
from .normalize import clean, unescape_text

MAX_CHARS = 8_000_000  # beyond this a "page" is not an article; parse only the head of it

_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_STRIP_TAGS = ("script", "style", "noscript", "template", "svg", "math", "select", "textarea",
               "object", "embed", "applet")
_LOCAL = threading.local()
# Plain strings: lxml's "smart" strings would keep the whole tree alive.
_HREFS = etree.XPath("//a/@href", smart_strings=False)
_BASE_HREF = etree.XPath("(//base/@href)[1]", smart_strings=False)
# Elements that may reference a page requisite (crawler/requisites.py), in page order.
_REFERENCES = etree.XPath("//img[@src or @srcset] | //link[@href] | //script[@src] | "
                          "//a[@href] | //base[@href]")


def _parser() -> etree.HTMLParser:
    """One parser per thread (lxml parser objects must not be shared between threads).

    Plain lxml elements (not lxml.html's HtmlElement): the per-element class lookup of
    lxml.html costs about a quarter of a tree walk, and we need none of its helpers.
    """
    parser = getattr(_LOCAL, "parser", None)
    if parser is None:
        parser = _LOCAL.parser = etree.HTMLParser(
            remove_comments=True, remove_pis=True, huge_tree=True, encoding="utf-8")
    return parser


_META_KEYS = frozenset({
    "og:title", "twitter:title", "og:description", "description", "twitter:description",
    "article:published_time", "og:published_time", "article:modified_time", "pubdate",
    "publishdate", "date", "dc.date", "dc.date.issued", "dcterms.created", "author",
    "article:author", "article:section", "datepublished", "headline", "articlesection",
})


def text_of(el: Any) -> str:
    """Cleaned text content of an element (``itertext`` is C-speed)."""
    try:
        return clean("".join(el.itertext()))
    except (AttributeError, ValueError, TypeError):
        return ""


def decode(data: str | bytes | None, encoding: str | None = None) -> tuple[str, str | None]:
    """Text for the parser plus an error note (or None). Never raises."""
    if data is None:
        return "", "no content"
    if isinstance(data, str):
        return data, None
    if not isinstance(data, bytes | bytearray | memoryview):
        return "", f"unsupported content type {type(data).__name__}"
    data = bytes(data)
    note = None
    if encoding:
        try:
            codecs.lookup(encoding)
            return data.decode(encoding, errors="replace"), None
        except LookupError:
            note = f"unknown encoding {encoding!r}, sniffed instead"
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace"), note
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), note
    try:
        return data.decode("utf-8"), note
    except UnicodeDecodeError:
        pass
    m = _META_CHARSET.search(data[:4096])
    if m:
        try:
            return data.decode(m.group(1).decode("ascii"), errors="replace"), note
        except (LookupError, UnicodeDecodeError):
            pass
    # Every real page seen was UTF-8; replacement characters beat a wrong legacy guess.
    return data.decode("utf-8", errors="replace"), note or "invalid UTF-8 replaced"


@dataclass
class Page:
    """A parsed page and what every extraction step shares."""

    url: str
    text: str
    root: Any = None  # lxml HtmlElement or None
    errors: list[str] = field(default_factory=list)
    jsonld: list[dict[str, Any]] = field(default_factory=list)
    # Read before scripts, forms and the like are stripped, so link discovery sees every
    # link the browser would: the crawler follows these instead of parsing the page again.
    hrefs: list[str] = field(default_factory=list)  # raw a/@href values, in page order
    base_href: str | None = None  # <base href>, when the page has one
    # What may reference a page requisite (``requisite_references``), for the crawler's
    # requisite discovery (crawler/requisites.py ``from_references``).
    references: list[tuple[str, str, str]] = field(default_factory=list)

    @cached_property
    def body(self) -> Any:
        if self.root is None:
            return None
        body = self.root.find("body")
        return body if body is not None else self.root

    @cached_property
    def title_tag(self) -> str:
        if self.root is None:
            return ""
        el = self.root.find(".//title")
        return text_of(el) if el is not None else ""

    @cached_property
    def meta(self) -> dict[str, str]:
        """First non-empty value per key from <meta>, itemprop elements and JSON-LD."""
        out: dict[str, str] = {}
        if self.root is None:
            return out
        for el in self.root.iter("meta"):
            key = (el.get("property") or el.get("name") or el.get("itemprop") or "").lower()
            if key in _META_KEYS and key not in out:
                value = clean(el.get("content"))
                if value:
                    out[key] = value
        for el in self.root.xpath("//*[@itemprop][not(self::meta)]"):
            key = "itemprop:" + el.get("itemprop", "").lower()
            if key[9:] in _META_KEYS and key not in out:
                value = clean(el.get("datetime") or el.get("content") or text_of(el))
                if value and len(value) < 300:
                    out[key] = value
        for item in self.jsonld:
            for key in ("headline", "datePublished", "articleSection", "description"):
                value = item.get(key)
                if isinstance(value, str) and ("ld:" + key.lower()) not in out:
                    if cleaned := unescape_text(value):
                        out["ld:" + key.lower()] = cleaned
            author = item.get("author")
            if isinstance(author, list) and author:
                author = author[0]
            if isinstance(author, dict):
                author = author.get("name")
            if isinstance(author, str) and "ld:author" not in out:
                if cleaned := unescape_text(author):
                    out["ld:author"] = cleaned
        return out

    @cached_property
    def flat_text(self) -> str:
        """All body text in one lowercased string, serialized in C: for cheap "is this on the
        page at all" gates (``normalize.mentions``, or patterns that accept NFD). Not
        NFC."""
        if self.body is None:
            return ""
        return etree.tostring(self.body, method="text", encoding="unicode",
                              with_tail=False).lower()

    @cached_property
    def lines(self) -> list[Line]:
        """The body as text lines in document order (built only when a step needs it)."""
        return linearize(self.body) if self.body is not None else []


def _read_jsonld(root: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for el in root.xpath('//script[contains(@type, "ld+json")]'):
        text = el.text or ""
        if not text.strip() or len(text) > 500_000:
            continue
        try:
            data = json.loads(text)
        except ValueError:
            continue
        stack = [data]
        while stack and len(items) < 50:
            node = stack.pop()
            if isinstance(node, list):
                stack.extend(reversed(node))
            elif isinstance(node, dict):
                if "@graph" in node:
                    stack.append(node["@graph"])
                types = node.get("@type")
                types = types if isinstance(types, list) else [types]
                if any(isinstance(t, str) and t.endswith(("Article", "Posting", "Page"))
                       for t in types):
                    items.append(node)
    return items


def requisite_references(root: Any) -> list[tuple[str, str, str]]:
    """Every element of the tree at ``root`` that may reference a page requisite, in page
    order, as plain strings (the tree is not kept alive), an absent attribute as "":
    ``(img, src, srcset)``, ``(link, href, rel)``, ``(script, src, "")``, ``(a, href, "")``,
    ``(base, href, "")``. Read before scripts are stripped."""
    found = []
    for el in _REFERENCES(root):
        tag = el.tag
        if tag == "img":
            found.append((tag, el.get("src") or "", el.get("srcset") or ""))
        elif tag == "link":
            found.append((tag, el.get("href") or "", el.get("rel") or ""))
        else:
            found.append((tag, el.get("src" if tag == "script" else "href") or "", ""))
    return found


def load_page(url: str, data: str | bytes | None, encoding: str | None = None,
              references: bool = True, utf8: bytes | None = None) -> Page:
    """Decode and parse; never raises (problems end up in ``page.errors``). With
    ``references`` False the requisite references are not collected (a crawl without
    requisites, reindex: ~0.15 ms of a 65 KB article page). ``utf8``: the bytes a text
    ``data`` is the exact UTF-8 decoding of, parsed instead of the text encoded again."""
    text, note = decode(data, encoding)
    page = Page(url=url or "", text=text)
    if note:
        page.errors.append(note)
    if len(text) > MAX_CHARS:
        page.errors.append(f"page of {len(text)} characters cut to {MAX_CHARS}")
        text = text[:MAX_CHARS]
        utf8 = None
    if not text or text.isspace():  # not text.strip(): that copies the whole page
        page.errors.append("empty document")
        return page
    # Parse clean UTF-8 bytes: re-encoding and deleting control bytes (which lxml rejects in
    # str input) with bytes.translate is ~10x cheaper than a regex over the text, and
    # bytes input also sidesteps lxml's refusal of str documents with an XML declaration.
    if utf8 is None or not isinstance(data, str):
        utf8 = text.encode("utf-8", errors="replace")
    data = utf8.translate(None, _CONTROL_BYTES)
    try:
        root = etree.fromstring(data, _parser())
    except (etree.LxmlError, ValueError, TypeError) as exc:
        page.errors.append(f"unparseable HTML: {exc}")
        return page
    if root is None:
        page.errors.append("no HTML elements in the document")
        return page
    page.hrefs = _HREFS(root)
    base = _BASE_HREF(root)
    page.base_href = base[0].strip() if base else None
    if references:
        page.references = requisite_references(root)
    try:
        page.jsonld = _read_jsonld(root)
    except Exception as exc:  # malformed documents can trip xpath in odd ways
        page.errors.append(f"JSON-LD unreadable: {type(exc).__name__}")
    etree.strip_elements(root, *_STRIP_TAGS, with_tail=False)
    page.root = root
    return page
