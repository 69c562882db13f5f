"""Replica sites for the CMS families other than QNP (``python -m tests.replica --family F``).

One module per family (``tandan``, ``liferay``, ``nukeviet``, ``lacviet``), each exposing
``SITE_CLASS``, a ``common.FamilySite`` with the family's URL scheme, pagination and markup
and the FAMILIES.md traps; ``common`` holds the shared ground truth and generation. The QNP
replica stays ``tests.replica.ReplicaSite``; ``make_site("qnp", …)`` returns it.
"""

from __future__ import annotations

import importlib
from typing import Any

FAMILY_NAMES = ("qnp", "tandan", "liferay", "nukeviet", "lacviet")


def make_site(family: str, articles: int = 30, seed: int = 1, gzip: bool = True,
              cache_size: int = 1024, **qnp_options: Any) -> Any:
    """A replica site of ``family`` (QNP options such as ``chrome_kb``/``portal`` pass through)."""
    if family == "qnp":
        from ..site import ReplicaSite

        return ReplicaSite(articles=articles, seed=seed, gzip=gzip, cache_size=cache_size,
                           **qnp_options)
    if family not in FAMILY_NAMES:
        raise ValueError(f"unknown replica family {family!r}; known: {', '.join(FAMILY_NAMES)}")
    module = importlib.import_module(f"{__name__}.{family}")
    return module.SITE_CLASS(articles=articles, seed=seed, gzip=gzip, cache_size=cache_size)
