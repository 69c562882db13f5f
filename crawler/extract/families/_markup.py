"""Helpers for family profiles that read known markup (class, id or itemprop names).

``marked(root, names)`` finds the first element carrying each name in one pass over the tree
(XPath class tests over a whole portal page cost more than the rest of a profile);
``lines_after`` reads the few text lines after an element (bylines and view counts that sit
just below the body). Underscore module: not a family, not discovered.
"""

from __future__ import annotations

from typing import Any

from ..lines import Line, linearize


def marked(root: Any, names: tuple[str, ...], *tags: str) -> dict[str, Any]:
    """First element per name among class tokens, ``id`` and ``itemprop`` values."""
    wanted = set(names)
    found: dict[str, Any] = {}
    for el in root.iter(*tags):
        if not isinstance(el.tag, str):
            continue
        cls = el.get("class")
        keys = cls.split() if cls else []
        for attr in ("id", "itemprop"):
            value = el.get(attr)
            if value:
                keys.append(value)
        for key in keys:
            if key in wanted and key not in found:
                found[key] = el
                if len(found) == len(wanted):
                    return found
    return found


def lines_after(page: Any, el: Any, count: int = 6) -> list[Line]:
    """The first ``count`` page lines after ``el``'s content (not inside it), in document
    order; works for an empty ``el`` too."""
    elements = list(page.body.iter())  # kept alive: lxml proxies (and their ids) are not
    order = {id(x): n for n, x in enumerate(elements)}
    last = max((order.get(id(x), -1) for x in el.iter()), default=-1)
    out: list[Line] = []
    for line in page.lines:
        if order.get(id(line.el), -1) > last:
            out.append(line)
            if len(out) == count:
                break
    return out


def own_lines(el: Any) -> list[Line]:
    return linearize(el)
