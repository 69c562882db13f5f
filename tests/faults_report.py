"""The hostile-web report (``make faults``): one real crawl of the fault replica, then a table
of what happened to each fault, read back from the WARC files and the database.

    python -m tests.faults_report [--out DIR]

Columns: the fault; the behaviour observed (statuses and WARC-Truncated of its archived
records, its ``fetch_failures`` kinds, what extraction made of it); responses archived
(response and revisit records); failures recorded (rows); data lost: responses the server
sent for the fault that are neither in the WARC nor explained by a recorded network failure
(a timeout: the answer came after the crawler gave up). A last line checks the crawl as a
whole: every response Scrapy received (``downloader/response_count``) is a WARC record.
Exits 1 when anything was lost. The crawl is the one of ``tests/test_faults_e2e.py`` (same
bounds), with robots.txt changing after the first request and 127.0.0.3 among the allowed
hosts, so the private-network link reaches the private-hosts check.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from archive import iter_records
from tests.portal_fixture import FAST_SETTINGS, ROOT
from tests.replica.faults import ARTICLE_NIDS, PATHS, TITLE, serve_fault_site

BOUNDS = ["-s", "DOWNLOAD_TIMEOUT=2", "-s", "RETRY_TIMES=1", "-s", "DOWNLOAD_MAXSIZE=1000000",
          "-s", "DEPTH_LIMIT=8", "-s", "CLOSESPIDER_TIMEOUT=60", "-s", "RETRY_AFTER_MAX=2",
          "-s", "REDIRECT_MAX_TIMES=5", "-s", "TRAPS_YEARS_AHEAD=0", "-s", "TRAPS_MAX_PAGE=3"]
NETWORK_KINDS = {"timeout", "dns", "tls", "refused", "connection_lost", "other"}


@dataclass
class Crawl:
    out: Path
    base: str
    served: list[tuple[str, str, int]]  # (method, target, status) as the server logged them
    records: list  # response and revisit records of every WARC
    db: sqlite3.Connection


@dataclass
class Row:
    fault: str
    behaviour: str
    archived: int
    failures: int
    lost: int


def crawl(out: Path) -> Crawl:
    server, base, registry = serve_fault_site(out, ("127.0.0.1", "127.0.0.3"),
                                              robots_change_after=1)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "crawler.cli", "crawl", "binhlieu", "--registry",
             str(registry), "--out", str(out), *FAST_SETTINGS, *BOUNDS],
            cwd=ROOT, capture_output=True, text=True, timeout=600)
    finally:
        server.shutdown()
        server.server_close()
    if result.returncode != 0:
        sys.exit(f"the crawl of the fault replica failed:\n{result.stderr[-3000:]}")
    records = [r for w in sorted((out / "warc").glob("*.warc.gz")) for r in iter_records(w)
               if r.rec_type in ("response", "revisit")]
    db = sqlite3.connect(out / "archive.db")
    db.row_factory = sqlite3.Row
    return Crawl(out, base.rstrip("/"), list(server.request_log), records, db)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def matcher(fault: str):
    """Which URLs belong to a fault: its path (any query: loops, traps), its article id, or
    for the private-network link the article it points at on 127.0.0.3."""
    if fault.startswith("nid="):
        nid = fault.removeprefix("nid=")
        return lambda url: urlsplit(url).hostname == "127.0.0.1" and url.endswith(f"nid={nid}")
    path = fault.split("?")[0].lower()
    if path == "/faults/private":
        return lambda url: (urlsplit(url).hostname == "127.0.0.3"
                            or urlsplit(url).path.lower() == path)
    return lambda url: urlsplit(url).path.lower() == path


def _short(reason: str, size: int = 48) -> str:
    reason = reason.removeprefix("not extracted: ")
    return reason if len(reason) <= size else reason[:size - 1] + "…"


def describe(c: Crawl, fault: str, urls: set[str], records: list, failures: list) -> str:
    parts = []
    statuses = Counter((r.status, r.warc_headers.get("WARC-Truncated")) for r in records)
    for (status, truncated), n in sorted(statuses.items(), key=lambda x: (x[0][0] or 0, x)):
        text = f"{status}" + (f" truncated ({truncated})" if truncated else "")
        parts.append(f"{text} ×{n}" if n > 1 else text)
    if not records and failures:
        parts.append("nothing received")
    kinds = Counter(f["kind"] for f in failures)
    if kinds:
        parts.append("rows: " + ", ".join(f"{k}×{n}" if n > 1 else k
                                          for k, n in sorted(kinds.items())))
    if fault.startswith("nid="):
        row = c.db.execute(
            "SELECT c.extract_status, c.extract_reason, a.title, a.published_at FROM captures c "
            "LEFT JOIN article_captures ac ON ac.capture_id = c.id LEFT JOIN articles a ON "
            "a.id = ac.article WHERE c.url = ?", [next(iter(urls))]).fetchone()
        if row is not None:
            title = ("title right" if row["title"] == TITLE else
                     f"title {row['title']!r}" if row["title"] else "no title")
            note = f"extraction {row['extract_status']}: {title}, "
            note += row["published_at"] or "date empty"
            # why a field is empty (the failures of other fields are beside the point)
            why = [part for part in (row["extract_reason"] or "").split("; ")
                   if part.startswith(("title", "published_at")) and (
                       not row["title"] or not row["published_at"])]
            parts.append(note + (f" ({_short(why[0])})" if why else ""))
    elif fault.startswith("/faults/robots-late"):
        robots = [r for r in c.records if urlsplit(r.target_uri).path == "/robots.txt"]
        obeyed = robots[0].content.decode("utf-8", "replace") if robots else ""
        parts.append(f"robots.txt read {len(robots)}× at the start, "
                     + ("did not disallow it yet" if "robots-late" not in obeyed
                        else "disallowed it"))
    elif urls:
        marks = ",".join("?" * len(urls))
        reasons = {row[0] for row in c.db.execute(
            f"SELECT extract_reason FROM captures WHERE url IN ({marks}) AND extract_reason "
            "IS NOT NULL AND extract_status = 'skipped'", sorted(urls))}
        parts += sorted(_short(reason) for reason in reasons if "truncated" not in reason)
    if not parts:
        parts.append("not requested (link off the allowed hosts)")
    return "; ".join(parts)


def report(c: Crawl) -> list[Row]:
    failures = [dict(r) for r in c.db.execute("SELECT url, kind, warc_record_id "
                                              "FROM fetch_failures")]
    served = Counter(c.base + target for method, target, _ in c.served if method == "GET")
    archived = Counter(r.target_uri for r in c.records)
    faults = list(PATHS) + [f"nid={nid}" for nid in ARTICLE_NIDS]
    names = {f"nid={nid}": f"article: {name}" for nid, (name, _) in ARTICLE_NIDS.items()}
    rows, claimed = [], set()
    for fault in faults:
        match = matcher(fault)
        urls = {u for u in set(served) | set(archived) | {f["url"] for f in failures}
                if match(u)}
        claimed |= urls
        recs = [r for r in c.records if r.target_uri in urls]
        fails = [f for f in failures if f["url"] in urls]
        rows.append(Row(names.get(fault, fault.split("?")[0]),
                        describe(c, fault, urls, recs, fails), len(recs), len(fails),
                        _lost(urls, served, archived, fails)))
    rest = {u for u in set(served) | set(archived) if u not in claimed}
    rest_fails = [f for f in failures if f["url"] in rest]
    rest_kinds = ", ".join(sorted({f["kind"] for f in rest_fails}))
    rows.append(Row("(the rest of the replica)",
                    f"{len(rest)} URLs: pages, listings, robots.txt, images"
                    + (f"; rows: {rest_kinds}" if rest_kinds else ""),
                    sum(archived[u] for u in rest), len(rest_fails),
                    _lost(rest, served, archived, rest_fails)))
    stats = json.loads(c.db.execute("SELECT stats FROM crawls").fetchone()[0])
    # Scrapy counts a response at DownloaderStats (850), after the truncation middleware
    # (900) took the cut ones out of the flow: those are counted by it.
    received = stats.get("downloader/response_count", 0) + sum(
        v for k, v in stats.items() if k.startswith("truncation/"))
    rows.append(Row("(whole crawl)", f"{received} responses received by Scrapy, "
                    f"{len(c.records)} WARC records", len(c.records), len(failures),
                    max(0, received - len(c.records))))
    return rows


def _lost(urls: set[str], served: Counter, archived: Counter, failures: list) -> int:
    """Responses the server sent for ``urls`` that are not in the WARC, unless a network
    failure (the crawler gave up first) explains them."""
    lost = 0
    for url in urls:
        if any(f["url"] == url and f["kind"] in NETWORK_KINDS for f in failures):
            continue
        lost += max(0, served[url] - archived[url])
    return lost


def table(rows: list[Row]) -> str:
    head = ("fault", "behaviour observed", "responses archived", "failures recorded",
            "data lost")
    cells = [head] + [(r.fault, r.behaviour, str(r.archived), str(r.failures), str(r.lost))
                      for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(5)]
    lines = []
    for n, row in enumerate(cells):
        lines.append(" | ".join(cell.ljust(w) if i < 2 else cell.rjust(w)
                                for i, (cell, w) in enumerate(zip(row, widths, strict=True))))
        if n == 0:
            lines.append("-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.faults_report",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="crawl into DIR (default: a temporary one)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        c = crawl(out)
        try:
            rows = report(c)
        finally:
            c.db.close()
    print(table(rows))
    lost = sum(r.lost for r in rows[:-1]) + rows[-1].lost
    print(f"\ndata lost: {lost}" + ("" if not lost else " — responses received but not archived"))
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
