"""The scheduler's run log, ``DIR/scheduler.db``: one row per run (or refused run) with its
slot, how many slots it covers, start, end, exit code and outcome."""

from __future__ import annotations

import os
from datetime import datetime

import sqlite_utils

OUTCOMES = ("running", "ok", "failed", "locked", "lost")


class RunLog:
    def __init__(self, path: str | os.PathLike) -> None:
        self.db = sqlite_utils.Database(path)
        self.db.execute("PRAGMA journal_mode=WAL")
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
               detail: str | None = None) -> None:
        self.db["schedule_runs"].update(
            run_id, {"finished_at": finished_at.isoformat(), "exit_code": exit_code,
                     "outcome": outcome, "detail": detail})

    def running(self) -> list[dict]:
        return list(self.db.query("SELECT * FROM schedule_runs WHERE outcome = 'running'"))
