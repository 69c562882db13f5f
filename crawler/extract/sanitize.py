"""``body_html``: the body's own markup, reduced to a small safe subset.

Kept: p, br, strong, em, b, i, u, a[href], img[src, alt], ul/ol/li, table parts
(td/th keep colspan/rowspan), h2–h6 (h1 becomes h2), blockquote, figure/figcaption.
Removed with their content: script, style, iframe, form and form controls, embeds, media.
Everything else is unwrapped (its text stays; a ``div`` holding only inline content becomes
a ``p``). All other attributes go, including event handlers and styles; ``javascript:``,
``vbscript:`` and ``data:`` URLs are dropped; relative links are made absolute against the
page URL so the HTML still works when shown outside the archive.

The work happens on a deep copy of the body container: the parsed page is left intact.
"""

from __future__ import annotations

import copy
import re
from typing import Any
from urllib.parse import urljoin

from lxml import etree

from .normalize import nfc
from .step import Body

ALLOWED = frozenset({
    "p", "br", "strong", "em", "b", "i", "u", "a", "img", "ul", "ol", "li", "table", "thead",
    "tbody", "tfoot", "tr", "td", "th", "caption", "h2", "h3", "h4", "h5", "h6", "blockquote",
    "figure", "figcaption",
})
KILL = frozenset({
    "script", "style", "iframe", "frame", "frameset", "form", "input", "button", "select",
    "option", "textarea", "object", "embed", "applet", "noscript", "template", "svg", "math",
    "canvas", "link", "meta", "base", "audio", "video", "source", "track", "map", "area",
    "head", "title", "nav",
})
_BLOCKS = frozenset({"p", "div", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6",
                     "blockquote", "figure", "section", "article", "li", "dl", "pre", "center",
                     "header", "footer", "main", "aside", "form", "tr", "td"})
_ATTRS = {"a": ("href",), "img": ("src", "alt"), "td": ("colspan", "rowspan"),
          "th": ("colspan", "rowspan")}
_BAD_URL = re.compile(r"^\s*(?:javascript|vbscript|data|livescript|file):", re.I)
_WS = re.compile(r"[\s\u200b\ufeff]+")


def _path(el: Any, container: Any) -> list[int] | None:
    """Child indices from ``container`` down to ``el`` (None if ``el`` is not inside)."""
    path = []
    while el is not None and el is not container:
        parent = el.getparent()
        if parent is None:
            return None
        path.append(parent.index(el))
        el = parent
    return path[::-1] if el is container else None


def _follow(root: Any, path: list[int]) -> Any:
    el = root
    for i in path:
        el = el[i]
    return el


def _remove(el: Any) -> None:
    """Remove an element with its content but keep its tail text in place."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def _unwrap(el: Any) -> None:
    """Replace an element by its content (text, children, tail)."""
    parent = el.getparent()
    if parent is None:
        return
    idx = parent.index(el)
    prev = el.getprevious()
    if el.text:
        if prev is not None:
            prev.tail = (prev.tail or "") + el.text
        else:
            parent.text = (parent.text or "") + el.text
    children = list(el)
    for offset, child in enumerate(children):
        parent.insert(idx + offset, child)
    if el.tail:
        last = children[-1] if children else el.getprevious()
        if last is not None:
            last.tail = (last.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    el.tail = None
    parent.remove(el)


def _clean_url(value: str | None, base_url: str) -> str | None:
    if not value or _BAD_URL.match(value):
        return None
    value = value.strip()
    try:
        return urljoin(base_url, value) if base_url else value
    except ValueError:
        return None


def _is_empty(el: Any) -> bool:
    if el.find(".//img") is not None:
        return False
    return not "".join(el.itertext()).strip()


def sanitize(root: Any, base_url: str = "") -> None:
    """Sanitize ``root``'s descendants in place (``root`` itself is a wrapper and stays)."""
    for el in list(root.iter()):
        if el is root or el.getparent() is None:
            continue
        tag = el.tag
        if not isinstance(tag, str):
            _remove(el)
            continue
        tag = tag.lower()
        if tag in KILL:
            _remove(el)
            continue
        if tag == "h1":
            tag = el.tag = "h2"
        if tag not in ALLOWED:
            inline_only = not any(isinstance(c.tag, str) and c.tag in _BLOCKS for c in el)
            parent_tag = el.getparent().tag
            if tag in _BLOCKS and inline_only and parent_tag not in ("p", "li", "td", "th"):
                tag = el.tag = "p"
            else:
                _unwrap(el)
                continue
        keep = _ATTRS.get(tag, ())
        for name in list(el.attrib):
            if name not in keep:
                del el.attrib[name]
        if tag in ("a", "img"):
            key = "href" if tag == "a" else "src"
            url = _clean_url(el.get(key), base_url)
            if url is None:
                if tag == "a":
                    _unwrap(el)
                else:
                    _remove(el)
                continue
            el.set(key, url)
    for el in list(root.iter("p", "li", "h2", "h3", "h4", "h5", "h6", "blockquote", "figure")):
        if el is not root and el.getparent() is not None and _is_empty(el):
            _remove(el)


_TRIMMED = frozenset({"p", "li", "td", "th", "h2", "h3", "h4", "h5", "h6", "blockquote",
                      "figcaption", "caption"})


def _squash(root: Any) -> None:
    """NFC and single spaces in every text node (whitespace between inline tags is kept,
    at the edges of block elements it goes: ``<p>&nbsp;&nbsp;Text`` → ``<p>Text``)."""
    for el in root.iter():
        # Assigned only when changed: lxml's setters rebuild the text node (most are clean).
        text = el.text
        if text and (squashed := _WS.sub(" ", nfc(text))) != text:
            el.text = squashed
        text = el.tail
        if text and (squashed := _WS.sub(" ", nfc(text))) != text:
            el.tail = squashed
    for el in root.iter(*_TRIMMED):
        if el.text:
            el.text = el.text.lstrip()
        if len(el):
            if el[-1].tail:
                el[-1].tail = el[-1].tail.rstrip()
        elif el.text:
            el.text = el.text.rstrip()
    for child in root:  # one top-level block per line
        child.tail = "\n"


def render_body_html(body: Body, base_url: str = "") -> str:
    """Sanitized HTML of the body: the container's content minus the excluded lines."""
    container = body.container
    if container is None:
        return ""
    keep = {id(line.el) for line in body.lines}
    for line in body.lines:  # ancestors of kept lines must stay even if they hold noise too
        for anc in line.el.iterancestors():
            if anc is container:
                break
            keep.add(id(anc))
    drop = [_path(line.el, container) for line in body.excluded
            if id(line.el) not in keep and line.el is not container]
    last_top = None
    if body.lines:
        path = _path(body.lines[-1].el, container)
        last_top = path[0] if path else None
    clone = copy.deepcopy(container)
    clone.tail = None
    doomed = [_follow(clone, p) for p in drop if p]
    if last_top is not None:  # nothing after the last body line (related lists, widgets)
        doomed.extend(clone[last_top + 1:])
    for el in doomed:
        _remove(el)
    sanitize(clone, base_url)
    _squash(clone)
    parts = [clone.text or ""]
    parts.extend(etree.tostring(child, encoding="unicode", method="html") for child in clone)
    return "".join(parts).strip()
