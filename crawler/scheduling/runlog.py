"""The scheduler's run log, ``DIR/scheduler.db``: one row per run (or refused run) with its
slot, how many slots it covers, start, end, exit code, outcome, and for a failed run the
``error`` its crawl printed last (the CLI's one-line ``Error: ...``, or a traceback's last
line). The file has its own small schema: tables are created, and columns added, on open.

``RunLog.read_only`` opens it for ``schedule list``: no table created, no row changed (a
missing file is an empty log)."""

from __future__ import annotations

import os
import re
import sqlite3
from datetime import datetime
from pathlib import Path

import sqlite_utils

OUTCOMES = ("running", "ok", "failed", "locked", "lost", "window_closed")
# Python's last traceback line ("KeyError: 'x'", "scrapy.exceptions.X: ..."), when a crawl
# died without the CLI's "Error: " line.
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Interrupt|Exit)\b.*")


def last_error(log_file: str | os.PathLike | None, tail_bytes: int = 65536) -> str | None:
    """The last ``Error: ...`` line of a crawl's log (without the prefix), or else the last
    line that names an exception; None when the log has neither or does not exist."""
    if not log_file:
        return None
    try:
        with open(log_file, "rb") as f:
            f.seek(max(0, os.fstat(f.fileno()).st_size - tail_bytes))
            lines = f.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return None
    lines = [line.strip() for line in lines if line.strip()]
    for line in reversed(lines):
        if line.startswith("Error: "):
            return line.removeprefix("Error: ")[:500]
    for line in reversed(lines):
        if _EXCEPTION_LINE.match(line):
            return line[:500]
    return None


class RunLog:
    def __init__(self, path: str | os.PathLike) -> None:
        self.db = sqlite_utils.Database(path)
        self.db.execute("PRAGMA journal_mode=WAL")
        self._create()

    @classmethod
    def read_only(cls, path: str | os.PathLike) -> RunLog:
        """The log as it is, for reading only (an empty in-memory log when there is none)."""
        log = cls.__new__(cls)
        if Path(path).exists():
            log.db = sqlite_utils.Database(
                sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True))
        else:
            log.db = sqlite_utils.Database(memory=True)
            log._create()
        return log

    def _create(self) -> None:
        if "schedule_runs" not in self.db.table_names():
            self.db["schedule_runs"].create(
                {"id": int, "portal_id": str, "mode": str, "slot": str, "slots_covered": int,
                 "started_at": str, "finished_at": str, "pid": int, "exit_code": int,
                 "outcome": str, "log_file": str, "detail": str},
                pk="id",
            )
            self.db["schedule_runs"].create_index(["portal_id", "slot"])
        if "schedule_portals" not in self.db.table_names():
            # When the scheduler first saw each portal: slots before it are not "missed".
            self.db["schedule_portals"].create({"portal_id": str, "since": str},
                                               pk="portal_id")
        if "error" not in self.db["schedule_runs"].columns_dict:  # logs from before it
            self.db["schedule_runs"].add_column("error", str)

    def since(self, portal_id: str, now: datetime) -> datetime:
        row = self.db.execute("SELECT since FROM schedule_portals WHERE portal_id = ?",
                              [portal_id]).fetchone()
        if row is None:
            self.db["schedule_portals"].insert({"portal_id": portal_id,
                                                "since": now.isoformat()})
            return now
        return datetime.fromisoformat(row[0])

    def last_slot(self, portal_id: str) -> datetime | None:
        row = self.db.execute("SELECT max(slot) FROM schedule_runs WHERE portal_id = ?",
                              [portal_id]).fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    def last_run(self, portal_id: str) -> dict | None:
        rows = list(self.db.query(
            "SELECT * FROM schedule_runs WHERE portal_id = ? ORDER BY id DESC LIMIT 1",
            [portal_id]))
        return rows[0] if rows else None

    def start(self, portal_id: str, mode: str, slot: datetime, covered: int,
              started_at: datetime, pid: int | None, log_file: str | None) -> int:
        return self.db["schedule_runs"].insert(
            {"portal_id": portal_id, "mode": mode, "slot": slot.isoformat(),
             "slots_covered": covered, "started_at": started_at.isoformat(), "pid": pid,
             "outcome": "running", "log_file": log_file},
        ).last_pk

    def finish(self, run_id: int, finished_at: datetime, exit_code: int | None, outcome: str,
               detail: str | None = None, error: str | None = None) -> None:
        self.db["schedule_runs"].update(
            run_id, {"finished_at": finished_at.isoformat(), "exit_code": exit_code,
                     "outcome": outcome, "detail": detail, "error": error})

    def get(self, run_id: int) -> dict:
        return self.db["schedule_runs"].get(run_id)

    def running(self) -> list[dict]:
        return list(self.db.query("SELECT * FROM schedule_runs WHERE outcome = 'running'"))
