"""Cross-check the archive database against its WARC files (``portal-archive verify``).

Every WARC is checked record by record (``archive.verify``: framing, truncation, block and
payload digests). With a database, every ``captures`` row must point at an existing response
record with the same file, offset, length, record id, URI, status, date and payload digest
(and its request record must exist and be concurrent to it); the rows that hang off captures
(``article_captures``, ``article_versions``, ``articles``, ``visit_counters``,
``attachments``) must point at existing captures with matching times (and an attachment at
its capture's record and digest); and every response record in the WARCs must have its
``captures`` row. Verifying the whole archive (``complete``: every WARC of ``DIR/warc/``, the
default of ``portal-archive verify --db``), a row whose WARC file does not exist is a
``missing_file`` problem; verifying a chosen subset of files, rows in the other files are not
checked and the summary says how many. The database is opened read-only. No settings are read.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from archive.verify import Problem, RecordInfo, WarcCheck, verify_warc

CAPTURED_TYPES = ("response", "revisit")


@dataclass
class VerifyReport:
    files: int = 0
    records: int = 0
    digests: int = 0
    rows: int = 0
    # captures rows in WARC files outside an explicit subset (not checked)
    rows_skipped: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        state = "OK" if self.ok else f"FAILED: {len(self.problems)} problem(s)"
        line = (f"{state} — {self.files} WARC files, {self.records} records, {self.digests} "
                f"digests, {self.rows} database rows checked")
        if self.rows_skipped:
            line += (f"; {self.rows_skipped} captures rows in other WARC files not checked "
                     "(only the given files were verified)")
        return line


def archive_warcs(db_path: str | os.PathLike) -> list[Path]:
    """All WARC files of the archive whose database is ``db_path`` (``DIR/warc/``)."""
    warc_dir = Path(db_path).resolve().parent / "warc"
    return sorted(p for p in warc_dir.glob("*.warc*") if p.name.endswith((".warc", ".warc.gz")))


def verify(warc_files: Iterable[str | os.PathLike], db_path: str | os.PathLike | None = None,
           progress: Callable[[Path], None] | None = None, complete: bool = False
           ) -> VerifyReport:
    """Verify WARC files and, with ``db_path``, the database rows that point into them.

    ``complete``: ``warc_files`` are all the archive's files, so a row pointing at any other
    file points at a missing one (a problem); otherwise such rows are skipped and counted."""
    report = VerifyReport()
    checks: list[WarcCheck] = []
    for path in sorted(Path(p) for p in warc_files):
        if progress:
            progress(path)
        check = verify_warc(path)
        checks.append(check)
        report.files += 1
        report.records += len(check.records)
        report.digests += check.digests_checked
        report.problems += check.problems
    if db_path is not None:
        _cross_check(checks, Path(db_path), report, complete)
    return report


def _connect(db_path: Path) -> sqlite3.Connection:
    if not db_path.exists():
        raise FileNotFoundError(f"{db_path}: no such database")
    conn = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    return conn


def _cross_check(checks: list[WarcCheck], db_path: Path, report: VerifyReport,
                 complete: bool) -> None:
    by_pos: dict[tuple[str, int], RecordInfo] = {}
    by_id: dict[str, RecordInfo] = {}
    crawl_of_file: dict[str, str | None] = {}
    for check in checks:
        crawl_of_file[check.path.name] = check.crawl_id
        for info in check.records:
            by_pos[(info.file, info.offset)] = info
            by_id[info.record_id] = info
    conn = _connect(db_path)
    db_name = db_path.name

    def row_problem(table: str, row_id: object, kind: str, detail: str,
                    info: RecordInfo | None = None) -> None:
        report.problems.append(Problem(
            f"{db_name}:{table}#{row_id}", info.offset if info else None,
            info.record_id if info else None, kind, detail))

    try:
        seen_ids: set[str] = set()
        for row in conn.execute("SELECT * FROM captures ORDER BY id"):
            if row["warc_file"] not in crawl_of_file:
                if not complete:
                    report.rows_skipped += 1  # a file not being verified (a chosen subset)
                    continue
                report.rows += 1
                row_problem("captures", row["id"], "missing_file",
                            f"{row['warc_file']} (offset {row['warc_offset']}, "
                            f"{row['warc_record_id']}) is not in the archive's WARC files")
                continue
            report.rows += 1
            seen_ids.add(row["warc_record_id"])
            _check_capture(row, by_pos, by_id, crawl_of_file, row_problem)
        for info in by_id.values():
            if info.rec_type in CAPTURED_TYPES and info.record_id not in seen_ids:
                report.problems.append(Problem(
                    info.file, info.offset, info.record_id, "missing-row",
                    f"{info.rec_type} for {info.target_uri} has no captures row"))
        _check_dependents(conn, row_problem, report)
    finally:
        conn.close()


def _check_capture(row: sqlite3.Row, by_pos: dict, by_id: dict, crawl_of_file: dict,
                   row_problem: Callable) -> None:
    info = by_pos.get((row["warc_file"], row["warc_offset"]))
    where = f"{row['warc_file']}@{row['warc_offset']}"
    if info is None:
        moved = by_id.get(row["warc_record_id"])
        hint = f" (the record is at {moved.file}@{moved.offset})" if moved else ""
        row_problem("captures", row["id"], "bad-pointer",
                    f"no record starts at {where}{hint}")
        return
    expected = {
        "warc_record_id": info.record_id, "url": info.target_uri, "status": info.status,
        "fetched_at": info.date, "warc_length": info.length,
        "payload_digest": info.payload_digest or "",  # "" for a 304 (no payload)
    }
    if "warc_type" in row.keys():  # m006
        expected["warc_type"] = info.rec_type
        expected["refers_to"] = info.refers_to
    for column, value in expected.items():
        if (row[column] or "" if column == "payload_digest" else row[column]) != value:
            row_problem("captures", row["id"], "row-mismatch",
                        f"{column} is {row[column]!r} but the record at {where} has {value!r}",
                        info)
    if info.rec_type not in CAPTURED_TYPES:
        row_problem("captures", row["id"], "row-mismatch",
                    f"points at a {info.rec_type} record", info)
    crawl = crawl_of_file.get(row["warc_file"])
    if crawl and row["crawl_id"] != crawl:
        row_problem("captures", row["id"], "row-mismatch",
                    f"crawl_id is {row['crawl_id']!r} but the file's warcinfo says {crawl!r}",
                    info)
    if info.rec_type == "revisit" and (info.refers_to or info.payload_digest):
        original = by_id.get(info.refers_to or "")
        if original is None:
            row_problem("captures", row["id"], "missing-record",
                        f"revisit refers to {info.refers_to}, which is not in the WARCs", info)
        elif info.payload_digest and original.payload_digest != info.payload_digest:
            row_problem("captures", row["id"], "row-mismatch",
                        f"revisit digest {info.payload_digest} differs from the digest of "
                        f"{info.refers_to} ({original.payload_digest})", info)
    req_id = row["request_record_id"]
    if req_id:
        req = by_id.get(req_id)
        if req is None:
            row_problem("captures", row["id"], "missing-record",
                        f"request record {req_id} not found", info)
        elif req.concurrent_to != info.record_id:
            row_problem("captures", row["id"], "row-mismatch",
                        f"request record {req_id} is not concurrent to the response", info)


# (table, key column, SQL returning key, capture_id, the row's time or NULL, the capture's time)
_DEPENDENTS = (
    ("article_captures", "SELECT t.article || '/' || t.capture_id, t.capture_id, t.captured_at,"
     " c.fetched_at, c.id FROM article_captures t LEFT JOIN captures c ON c.id = t.capture_id"),
    ("visit_counters", "SELECT t.id, t.capture_id, t.captured_at, c.fetched_at, c.id "
     "FROM visit_counters t LEFT JOIN captures c ON c.id = t.capture_id"),
    ("article_versions", "SELECT t.id, t.first_capture_id, t.first_seen_at, c.fetched_at, c.id "
     "FROM article_versions t LEFT JOIN captures c ON c.id = t.first_capture_id"),
    ("articles", "SELECT t.id, t.last_capture_id, t.last_captured_at, c.fetched_at, c.id "
     "FROM articles t LEFT JOIN captures c ON c.id = t.last_capture_id"),
    # m013: an archived requisite's row repeats its capture's time (skipped ones have none)
    ("attachments", "SELECT t.id, t.capture_id, t.fetched_at, c.fetched_at, c.id "
     "FROM attachments t LEFT JOIN captures c ON c.id = t.capture_id "
     "WHERE t.capture_id IS NOT NULL"),
)
# (table, problem kind, SQL returning key, what the row says, what it should say): m013
_POINTERS = (
    ("attachments", "row-mismatch", "SELECT t.id, t.warc_file || '@' || t.warc_offset || ' ' || "
     "t.warc_record_id || ' ' || coalesce(t.payload_digest, ''), c.warc_file || '@' || "
     "c.warc_offset || ' ' || c.warc_record_id || ' ' || coalesce(c.payload_digest, '') "
     "FROM attachments t JOIN captures c ON c.id = t.capture_id"),
    ("article_attachments", "dangling",
     "SELECT t.capture_id || '/' || t.url, CASE WHEN t.attachment IS NULL OR a.id IS NOT NULL "
     "THEN 'ok' ELSE 'attachment ' || t.attachment || ' does not exist' END, 'ok' "
     "FROM article_attachments t LEFT JOIN attachments a ON a.id = t.attachment"),
)


def _check_dependents(conn: sqlite3.Connection, row_problem: Callable,
                      report: VerifyReport) -> None:
    """Rows derived from captures must point at an existing capture, at the same moment."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for table, sql in _DEPENDENTS:
        if table not in tables:
            continue  # an archive from before the migration that made it
        for key, capture_id, at, fetched_at, found in conn.execute(sql):
            report.rows += 1
            if found is None:
                row_problem(table, key, "dangling", f"capture {capture_id} does not exist")
            elif at != fetched_at:
                row_problem(table, key, "row-mismatch",
                            f"time {at!r} differs from capture {capture_id}'s {fetched_at!r}")
    for table, kind, sql in _POINTERS:
        if table not in tables:
            continue
        for key, theirs, ours in conn.execute(sql):
            if theirs != ours:
                row_problem(table, key, kind, theirs if kind == "dangling"
                            else f"{theirs} but its capture says {ours}")
