"""Accuracy of our extractor and of trafilatura on the gold set (``make eval``).

    python -m tests.eval [--family F]... [--no-trafilatura]

The gold set is ``tests/data/gold/<family>/*.json``: generated pages (``gen_*``, labels from the
replica generators' ground truth, see ``tests/replica/families/gold.py``) and hand-labelled
real pages (``real_*``, HTML referenced from ``../shared/portals/html/``). A label may list the
fields it scores in ``score`` (the real Liferay home page only scores its counters).

Fields: title exact; published_at exact to the minute; author exact (no author = None, and
predicting None is then right); body token F1 (Vietnamese word tokens, case-folded, NFC);
view count and visit counters exact. trafilatura (pinned in the dev extra) runs on the same
HTML with ``with_metadata=True``; it has no view counts or counters, so it is right on those
only where the page has none; its dates have no time, so it is right only at midnight. Median
milliseconds per page are measured for both (one warm-up pass first).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "tests" / "data" / "gold"
FIELDS = ("title", "published_at", "author", "body", "view_count", "counters")
FAMILY_ORDER = ("qnp", "tandan", "liferay", "nukeviet", "lacviet")
_WORD = re.compile(r"\w+")


@dataclass
class GoldPage:
    family: str
    name: str
    url: str
    html: str
    label: dict[str, Any]

    @property
    def scored(self) -> tuple[str, ...]:
        return tuple(self.label.get("score") or FIELDS)


def load_gold(families: list[str] | None = None) -> list[GoldPage]:
    pages = []
    for folder in sorted(GOLD.iterdir()) if GOLD.exists() else []:
        if not folder.is_dir() or (families and folder.name not in families):
            continue
        for path in sorted(folder.glob("*.json")):
            label = json.loads(path.read_text(encoding="utf-8"))
            ref = label["html"]
            html_path = (ROOT / ref) if ref.startswith("../") else (folder / ref)
            pages.append(GoldPage(folder.name, path.stem, label["url"],
                                  html_path.read_text(encoding="utf-8"), label))
    return pages


def norm(text: str | None) -> str | None:
    if text is None:
        return None
    return " ".join(unicodedata.normalize("NFC", text).split()) or None


def tokens(text: str | None) -> Counter[str]:
    return Counter(_WORD.findall(unicodedata.normalize("NFC", text or "").casefold()))


def token_f1(truth: str | None, got: str | None) -> float:
    want, have = tokens(truth), tokens(got)
    if not want and not have:
        return 1.0
    common = sum((want & have).values())
    if not common:
        return 0.0
    precision, recall = common / sum(have.values()), common / sum(want.values())
    return 2 * precision * recall / (precision + recall)


def minute(iso: str | None) -> str | None:
    return iso[:16] if iso else None


@dataclass
class Prediction:
    title: str | None = None
    published_at: str | None = None
    author: str | None = None
    body: str | None = None
    view_count: int | None = None
    counters: dict[str, int] = field(default_factory=dict)


def ours(page: GoldPage) -> Prediction:
    from crawler.extract import extract

    rec = extract(page.url, page.html, family="auto")
    return Prediction(rec.title, rec.published_at, rec.author, rec.body_text, rec.view_count,
                      {c.metric: c.value for c in rec.counters})


def trafilatura_prediction(page: GoldPage) -> Prediction:
    import trafilatura

    doc = trafilatura.bare_extraction(page.html, url=page.url, with_metadata=True,
                                      include_comments=False)
    if doc is None:
        return Prediction()
    data = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    date = data.get("date")
    # trafilatura gives a day (YYYY-MM-DD): read it as local midnight, as a date-only page is
    published = f"{date}T00:00:00+07:00" if date and len(date) == 10 else date
    return Prediction(data.get("title"), published, data.get("author"), data.get("text"))


def score(page: GoldPage, pred: Prediction) -> dict[str, float]:
    label = page.label
    out: dict[str, float] = {}
    for name in page.scored:
        if name == "title":
            out[name] = float(norm(pred.title) == norm(label.get("title")))
        elif name == "published_at":
            out[name] = float(minute(pred.published_at) == minute(label.get("published_at")))
        elif name == "author":
            out[name] = float(norm(pred.author) == norm(label.get("author")))
        elif name == "body":
            out[name] = token_f1(label.get("body_text"), pred.body)
        elif name == "view_count":
            out[name] = float(pred.view_count == label.get("view_count"))
        elif name == "counters":
            out[name] = float(pred.counters == (label.get("counters") or {}))
    return out


@dataclass
class Result:
    scores: dict[str, dict[str, dict[str, list[float]]]]  # tool → family → field → values
    ms: dict[str, list[float]]  # tool → per-page milliseconds
    misses: list[str]

    def mean(self, tool: str, family: str, name: str) -> float | None:
        values = self.scores[tool].get(family, {}).get(name)
        return sum(values) / len(values) if values else None


def evaluate(families: list[str] | None = None, with_trafilatura: bool = True) -> Result:
    pages = load_gold(families)
    tools = {"ours": ours}
    if with_trafilatura:
        tools["trafilatura"] = trafilatura_prediction
    result = Result({t: {} for t in tools}, {t: [] for t in tools}, [])
    for tool, run in tools.items():
        run(pages[0]) if pages else None  # warm-up (imports, regex compilation)
        for page in pages:
            start = time.perf_counter()
            pred = run(page)
            result.ms[tool].append((time.perf_counter() - start) * 1000)
            for name, value in score(page, pred).items():
                result.scores[tool].setdefault(page.family, {}).setdefault(name, []).append(value)
                if tool == "ours" and value < 1.0 and name != "body" or \
                        tool == "ours" and name == "body" and value < 0.98:
                    result.misses.append(f"{page.family}/{page.name} {name}: {value:.2f} "
                                         f"got {getattr(pred, name)!r:.80}")
    return result


def table(result: Result) -> str:
    tools = list(result.scores)
    families = [f for f in FAMILY_ORDER if f in result.scores["ours"]] + sorted(
        f for f in result.scores["ours"] if f not in FAMILY_ORDER)
    head = f"{'family':<9} {'pages':>5} {'field':<13}" + "".join(f" {t:>11}" for t in tools)
    lines = [head, "-" * len(head)]
    for family in families:
        n = max(len(v) for v in result.scores["ours"][family].values())
        for name in FIELDS:
            cells = []
            for tool in tools:
                value = result.mean(tool, family, name)
                cells.append(f" {'-' if value is None else f'{value:.3f}':>11}")
            lines.append(f"{family:<9} {n:>5} {name:<13}" + "".join(cells))
    lines.append("-" * len(head))
    lines.append(f"{'median ms/page':<29}" + "".join(
        f" {statistics.median(result.ms[t]):>11.2f}" for t in tools if result.ms[t]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.eval", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--family", action="append", help="only these families")
    parser.add_argument("--no-trafilatura", action="store_true")
    parser.add_argument("--misses", action="store_true", help="list our wrong fields")
    args = parser.parse_args(argv)
    result = evaluate(args.family, not args.no_trafilatura)
    print(table(result))
    if args.misses:
        print("\n".join(result.misses) or "no misses")
    return 0


if __name__ == "__main__":
    sys.exit(main())
