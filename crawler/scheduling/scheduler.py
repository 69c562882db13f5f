"""The scheduler loop: start due crawls as separate processes, never two of one portal at
once, catch up a missed run once, log every run.

The clock and the launcher are injected, so tests drive time by hand and never sleep; the
real launcher runs ``portal-archive crawl`` under ``crawler.scheduling.locked`` with output to
``DIR/logs/``. One failing crawl is one failed row in the run log, with the error its crawl
printed last; the loop goes on.

Crawls outlive the scheduler that started them. A scheduler starting up finds their runs
still marked ``running``: those whose crawl is alive (it holds its portal's lock; or its pid
lives, or its Scrapyd job is active, as the launcher's ``run_alive`` tells) are adopted and
reaped when they end, with the outcome their launcher gives when it can take them back
(``adopt``: a Scrapyd job's, judged from its own shard) or else the one their log or this
directory's archive shows; only those whose process is gone are closed at once, the same
way, else ``lost``. ``schedule_status`` reads the log without changing
it (``schedule list``).
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from crawler.registry import Portal
from crawler.scheduling.locked import LOCKED_EXIT, portal_lock
from crawler.scheduling.runlog import RunLog, last_error
from crawler.scheduling.window import WINDOW_CLOSED_EXIT, in_window

logger = logging.getLogger(__name__)


class Handle(Protocol):
    pid: int | None

    def poll(self) -> int | None: ...


class Launcher(Protocol):
    def launch(self, portal: Portal, mode: str, log_file: Path) -> Handle: ...

    # Optional: ``run_alive(portal_id, pid) -> bool``, and ``adopt(portal, mode, pid) ->
    # Handle | None``, a handle on a live run an earlier scheduler started, whose ``poll``
    # gives the run's exit status as ``launch``'s handles do (None: the launcher cannot).


@dataclass
class SubprocessLauncher:
    """Runs each crawl as ``python -m crawler.cli crawl ID`` holding the portal's lock."""

    out: Path
    registry: str | None = None

    def command(self, portal: Portal, mode: str) -> list[str]:
        # The path the crawl itself checks (crawler/cli/crawl.py _hold_lock): one definition.
        lock = portal_lock(self.out, portal.id)
        crawl = [sys.executable, "-m", "crawler.cli", "crawl", portal.id, "--out", str(self.out)]
        if self.registry:
            crawl += ["--registry", self.registry]
        # An incremental run with no earlier crawl in --out falls back to a full crawl (the
        # crawl command says so in the run's log).
        crawl += ["--mode", mode]
        last = last_crawl(self.out / "archive.db", portal.id)
        if last and last[1] == "window_closed":
            crawl += ["--resume"]  # the last crawl stopped at its window's end: go on with it
        return [sys.executable, "-m", "crawler.scheduling.locked", lock, "--", *crawl]

    def launch(self, portal: Portal, mode: str, log_file: Path) -> subprocess.Popen:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        with open(log_file, "ab") as log:
            return subprocess.Popen(self.command(portal, mode), stdout=log,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def run_alive(self, portal_id: str, pid: int | None) -> bool:
        """Whether a crawl of the portal still runs: someone holds its lock."""
        lock = Path(portal_lock(self.out, portal_id))
        return lock_held(lock) if lock.exists() else pid_alive(pid)


def lock_held(path: Path) -> bool:
    """Whether another process holds the ``flock`` of ``path`` (checked without waiting)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops the probe's own shared lock
    return False


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, as another user's process
    return True


class _Adopted:
    """A run started by an earlier scheduler whose crawl still runs: ``poll()`` is None while
    it is alive, then -1 (the exit code is its parent's to know, not ours)."""

    def __init__(self, alive: Callable[[], bool], pid: int | None) -> None:
        self.alive = alive
        self.pid = pid

    def poll(self) -> int | None:
        return None if self.alive() else -1


def last_crawl(db_path: Path, portal_id: str) -> tuple[str, str] | None:
    """(status, finish reason) of the portal's newest crawl in the archive, or None."""
    return crawl_outcome(db_path, portal_id, None)


def crawl_outcome(db_path: Path, portal_id: str, since: str | None
                  ) -> tuple[str, str] | None:
    """How the archive says the portal's first crawl started at or after ``since`` (the
    newest crawl for None) ended: (``finished``/``failed``/…, finish reason), or None."""
    if not db_path.exists():
        return None
    try:
        conn = sqlite3.connect(f"file:{db_path.resolve()}?mode=ro", uri=True)
        try:
            if since is None:  # the newest crawl
                row = conn.execute("SELECT status, finish_reason FROM crawls WHERE portal_id "
                                   "= ? ORDER BY started_at DESC LIMIT 1", [portal_id]
                                   ).fetchone()
            else:
                row = conn.execute(
                    "SELECT status, finish_reason FROM crawls WHERE portal_id = ? AND "
                    "started_at >= ? ORDER BY started_at LIMIT 1",
                    [portal_id, datetime.fromisoformat(since).astimezone(UTC)
                     .strftime("%Y-%m-%dT%H:%M:%S")]).fetchone()
        finally:
            conn.close()
    except (sqlite3.Error, ValueError):
        return None
    return (row[0], row[1] or "") if row else None


def schedule_status(portals: dict[str, Portal], log: RunLog, now: datetime) -> list[dict]:
    """Each scheduled portal: schedule, last run with its outcome and error, next run."""
    rows = []
    for portal_id, portal in portals.items():
        if portal.schedule is None:
            continue
        last = log.last_run(portal_id)
        rows.append({
            "portal": portal_id, "schedule": portal.schedule.cron,
            "timezone": portal.schedule.timezone, "mode": portal.schedule.mode,
            "last_run": last["started_at"] if last else None,
            "last_outcome": last["outcome"] if last else None,
            "last_error": last.get("error") if last else None,
            "next_run": portal.schedule.next_after(now).isoformat(),
        })
    return rows


class Scheduler:
    def __init__(self, portals: dict[str, Portal], out: Path, launcher: Launcher,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.portals = {pid: p for pid, p in portals.items() if p.schedule is not None}
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.launcher = launcher
        self.clock = clock
        self.log = RunLog(self.out / "scheduler.db")
        self.handles: dict[str, tuple[int, Handle]] = {}
        self._recover()

    def _alive(self, portal_id: str, pid: int | None) -> bool:
        probe = getattr(self.launcher, "run_alive", None)
        return probe(portal_id, pid) if probe is not None else pid_alive(pid)

    def _recover(self) -> None:
        """Runs still marked running were started by a scheduler that stopped. A live crawl
        is adopted (reaped by ``tick`` when it ends); a dead one is closed now."""
        for row in self.log.running():
            portal_id, pid = row["portal_id"], row["pid"]
            if portal_id in self.portals and self._alive(portal_id, pid):
                adopt = getattr(self.launcher, "adopt", None)
                handle = adopt(self.portals[portal_id], row["mode"], pid) if adopt else None
                self.handles[portal_id] = (row["id"], handle or _Adopted(
                    lambda p=portal_id, q=pid: self._alive(p, q), pid))
                logger.info("run %s of %s is still running: adopted", row["id"], portal_id)
            else:
                self._close_unwatched(row, self.clock())

    def _close_unwatched(self, row: dict, now: datetime) -> None:
        """A run whose crawl ended while no scheduler watched it: the outcome its log (the
        CLI's ``Error:`` line) or the archive's ``crawls`` row shows, else ``lost``."""
        error = last_error(row.get("log_file"))
        seen = crawl_outcome(self.out / "archive.db", row["portal_id"], row["started_at"])
        if error:
            outcome, detail = "failed", "ended while no scheduler watched it"
        elif seen and seen[0] == "finished":
            outcome, detail = "ok", "ended while no scheduler watched it"
        elif seen and seen[0] != "running":
            outcome, detail, error = "failed", "ended while no scheduler watched it", seen[1]
        else:
            outcome, detail = "lost", "the scheduler stopped while this run was in progress"
        self.log.finish(row["id"], now, None, outcome, detail, error)

    def _reap(self, now: datetime) -> None:
        for portal_id, (run_id, handle) in list(self.handles.items()):
            code = handle.poll()
            if code is None:
                continue
            del self.handles[portal_id]
            row = self.log.get(run_id)
            if isinstance(handle, _Adopted):
                self._close_unwatched(row, now)
                continue
            error = None
            if code == 0:
                outcome, detail = "ok", None
            elif code == LOCKED_EXIT:
                outcome, detail = "locked", "another crawl of this portal held the lock"
            elif code == WINDOW_CLOSED_EXIT:  # stopped unfinished; the next run resumes it
                outcome, detail = "window_closed", "the portal's crawl window closed"
                error = last_error(row.get("log_file"))
            else:
                outcome, detail = "failed", f"exit status {code}"
                error = last_error(row.get("log_file"))
            self.log.finish(run_id, now, code, outcome, detail, error)
            logger.info("run %s of %s ended: %s%s", run_id, portal_id, outcome,
                        f" ({error})" if error else "")

    def tick(self) -> list[str]:
        """One pass: reap finished crawls, start due ones; return the portals started."""
        now = self.clock()
        self._reap(now)
        started = []
        for portal_id, portal in self.portals.items():
            schedule = portal.schedule
            assert schedule is not None
            last = self.log.last_slot(portal_id) or self.log.since(portal_id, now)
            slot, covered = schedule.due(last, now)
            if slot is None:
                continue
            window = portal.extra.get("window")
            if window and not in_window(window, now, schedule.timezone):
                continue  # stays due: starts once when the window opens
            if portal_id in self.handles:
                run_id = self.log.start(portal_id, schedule.mode, slot, covered, now, None, None)
                self.log.finish(run_id, now, None, "locked",
                                "the previous run of this portal is still in progress")
                logger.warning("%s: slot %s refused, previous run still running", portal_id,
                               slot.isoformat())
                continue
            stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
            log_file = self.out / "logs" / f"{portal_id}-{stamp}.log"
            try:
                handle = self.launcher.launch(portal, schedule.mode, log_file)
            except OSError as exc:
                run_id = self.log.start(portal_id, schedule.mode, slot, covered, now, None,
                                        str(log_file))
                self.log.finish(run_id, now, None, "failed", f"could not start: {exc}")
                continue
            run_id = self.log.start(portal_id, schedule.mode, slot, covered, now, handle.pid,
                                    str(log_file))
            self.handles[portal_id] = (run_id, handle)
            started.append(portal_id)
            logger.info("started %s for slot %s (covers %d slot(s))", portal_id,
                        slot.isoformat(), covered)
        return started

    def run_forever(self, interval: float = 30.0, sleep: Callable[[float], None] = time.sleep,
                    should_stop: Callable[[], bool] = lambda: False) -> None:
        while not should_stop():
            self.tick()
            sleep(interval)

    def status(self) -> list[dict]:
        """Each scheduled portal: schedule, last run and its outcome, next run."""
        return schedule_status(self.portals, self.log, self.clock())
