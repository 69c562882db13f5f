"""CMS families: one module each, discovered automatically.

To add a family (Tân Dân, NukeViet, Lạc Việt…), add ``families/<name>.py`` that subclasses
``Family`` and ends with ``FAMILY = MyFamily()``. Nothing else needs editing: this package
imports every module in it and registers each ``FAMILY`` by its ``name``. ``detect_family``
asks the families in ``priority`` order; ``generic`` answers when none claims the page.
"""

from __future__ import annotations

import importlib
import pkgutil

from .base import Family

GENERIC = "generic"
_DETECT_LIMIT = 2_000_000  # DOM signatures are looked for in the first 2 MB of the page


def _discover() -> dict[str, Family]:
    found: dict[str, Family] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_") or info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        family = getattr(module, "FAMILY", None)
        if isinstance(family, Family):
            if family.name in found:
                raise RuntimeError(f"two families are named {family.name!r}")
            found[family.name] = family
    return found


FAMILIES: dict[str, Family] = _discover()


def get_family(name: str) -> Family:
    """The family registered under ``name`` (KeyError naming the known ones otherwise)."""
    try:
        return FAMILIES[name]
    except KeyError:
        known = ", ".join(sorted(FAMILIES))
        raise KeyError(f"unknown family {name!r} (known: {known})") from None


def _as_text(html: str | bytes | None) -> str | None:
    if html is None:
        return None
    if isinstance(html, bytes | bytearray):
        return bytes(html[:_DETECT_LIMIT]).decode("utf-8", errors="replace")
    if isinstance(html, str):
        return html[:_DETECT_LIMIT]
    return None


def detect_family(url: str, html: str | bytes | None = None) -> tuple[str, list[str]]:
    """(family name, reasons): the first family, by priority, that recognises the URL or the
    page's DOM signature; ``("generic", [...])`` when none does. Never raises."""
    text = _as_text(html)
    for family in sorted(FAMILIES.values(), key=lambda f: (f.priority, f.name)):
        if family.name == GENERIC:
            continue
        try:
            reasons = family.detect(url or "", text)
        except Exception:  # a buggy detector must not take extraction down
            reasons = []
        if reasons:
            return family.name, reasons
    return GENERIC, ["no family's URL pattern or DOM signature matched"]


__all__ = ["FAMILIES", "Family", "detect_family", "get_family"]
