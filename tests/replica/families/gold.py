"""Write the generated part of the gold set: article pages of every replica family with their
labels taken from the generators' ground truth (never from an extractor).

    python -m tests.replica.families.gold [--out tests/data/gold] [--check]

Per family ``tests/data/gold/<family>/gen_<id>.html`` + ``gen_<id>.json`` (``url``, ``html``,
``title``, ``published_at``, ``date_precision``, ``author``, ``body_text``, ``view_count``,
``counters``). Hand-labelled files (``real_*.json``, the real Liferay pages) are never
touched. ``--check`` regenerates in memory and exits 1 if a file on disk differs, so the
checked-in gold set cannot drift from the generators.
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from pathlib import Path
from typing import Any

from . import make_site

GOLD = Path(__file__).resolve().parents[2] / "data" / "gold"
HOSTS = {"qnp": "binhlieu.quangninh.gov.vn", "tandan": "huongson.hatinh.gov.vn",
         "liferay": "sotttt.hanoi.gov.vn", "nukeviet": "bacson.trangbom.dongnai.gov.vn",
         "lacviet": "daksong.daknong.gov.vn"}
SEED = 7
ARTICLES = 30
QNP_PICK = 24
# QNP bylines that are not a bare name, and the name a reader takes from each.
QNP_BYLINE_NAMES = {"Bài, ảnh: Lục Thị Hoa": "Lục Thị Hoa", "Hải Yến (TTTT&VH huyện)": "Hải Yến"}


def _nfc(value: str | None) -> str | None:
    return unicodedata.normalize("NFC", value) if value is not None else None


def _qnp_pages() -> list[tuple[str, str, str, dict[str, Any]]]:
    from ..site import FOUNDING_COUNTERS

    site = make_site("qnp", articles=60, seed=SEED, chrome_kb=24)
    picked = [site.founding] + [a for a in site.articles if a.nid != site.founding_nid]
    out = []
    for n, art in enumerate(picked[:QNP_PICK]):
        hit = 1000 + n  # counters shown are (300 + hit % 700, 2481000 + hit)
        counters = FOUNDING_COUNTERS if art.nid == site.founding_nid else \
            (300 + hit % 700, 2481000 + hit)
        page = site.resolve(art.url).body(hit, gzip=False).decode("utf-8")
        label = {
            "title": art.title,
            "published_at": art.published_at.isoformat(),
            "date_precision": "minute",
            "author": QNP_BYLINE_NAMES.get(art.author, art.author) if art.author else None,
            "body_text": art.text,
            "view_count": None,
            "counters": {"visits_today": counters[0], "visits_total": counters[1]},
        }
        out.append((str(art.nid), f"https://{HOSTS['qnp']}{art.url}", page, label))
    return out


def _family_pages(family: str) -> list[tuple[str, str, str, dict[str, Any]]]:
    site = make_site(family, articles=ARTICLES, seed=SEED)
    out = []
    for art in site.articles:
        path = site.article_url(art)
        page = site.resolve(path).body(0, gzip=False).decode("utf-8")
        out.append((str(art.aid), f"https://{HOSTS[family]}{path}", page, site.label(art)))
    return out


def pages(family: str) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(id, url, html, label) of the generated gold pages of ``family``."""
    return _qnp_pages() if family == "qnp" else _family_pages(family)


def files(family: str) -> dict[str, bytes]:
    """File name → bytes of the generated gold files of ``family``."""
    out: dict[str, bytes] = {}
    for key, url, html, label in pages(family):
        name = f"gen_{key}"
        data = {"url": url, "html": f"{name}.html"}
        data.update({k: _nfc(v) if isinstance(v, str) else v for k, v in label.items()})
        out[f"{name}.html"] = html.encode("utf-8")
        out[f"{name}.json"] = (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.replica.families.gold")
    parser.add_argument("--out", type=Path, default=GOLD)
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    stale = []
    for family in HOSTS:
        folder = args.out / family
        wanted = files(family)
        if args.check:
            on_disk = {p.name for p in folder.glob("gen_*")} if folder.exists() else set()
            stale += [n for n in set(wanted) ^ on_disk]
            stale += [n for n, data in wanted.items()
                      if n in on_disk and (folder / n).read_bytes() != data]
            continue
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("gen_*"):
            if old.name not in wanted:
                old.unlink()
        for name, data in wanted.items():
            (folder / name).write_bytes(data)
        print(f"{family}: {len(wanted) // 2} pages in {folder}")
    if stale:
        print(f"gold set out of date: {sorted(stale)[:10]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
