"""The scheduler loop: start due crawls as separate processes, never two of one portal at
once, catch up a missed run once, log every run.

The clock and the launcher are injected, so tests drive time by hand and never sleep; the
real launcher runs ``portal-archive crawl`` under ``crawler.scheduling.locked`` with output to
``DIR/logs/``. One failing crawl is one failed row in the run log; the loop goes on.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from crawler.registry import Portal
from crawler.scheduling.locked import LOCKED_EXIT
from crawler.scheduling.runlog import RunLog
from crawler.scheduling.window import in_window

logger = logging.getLogger(__name__)


class Handle(Protocol):
    pid: int | None

    def poll(self) -> int | None: ...


class Launcher(Protocol):
    def launch(self, portal: Portal, mode: str, log_file: Path) -> Handle: ...


@dataclass
class SubprocessLauncher:
    """Runs each crawl as ``python -m crawler.cli crawl ID`` holding the portal's lock."""

    out: Path
    registry: str | None = None

    def command(self, portal: Portal, mode: str) -> list[str]:
        lock = self.out / "locks" / f"{portal.id}.lock"
        crawl = [sys.executable, "-m", "crawler.cli", "crawl", portal.id, "--out", str(self.out)]
        if self.registry:
            crawl += ["--registry", self.registry]
        # An incremental run with no earlier crawl in --out falls back to a full crawl (the
        # crawl command says so in the run's log).
        crawl += ["--mode", mode]
        return [sys.executable, "-m", "crawler.scheduling.locked", str(lock), "--", *crawl]

    def launch(self, portal: Portal, mode: str, log_file: Path) -> subprocess.Popen:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        with open(log_file, "ab") as log:
            return subprocess.Popen(self.command(portal, mode), stdout=log,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


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

    def _recover(self) -> None:
        """Runs still marked running belong to a scheduler that died: mark them lost (their
        crawl may have finished; its own crawls row in archive.db says how)."""
        for row in self.log.running():
            self.log.finish(row["id"], self.clock(), None, "lost",
                            "the scheduler stopped while this run was in progress")

    def _reap(self, now: datetime) -> None:
        for portal_id, (run_id, handle) in list(self.handles.items()):
            code = handle.poll()
            if code is None:
                continue
            del self.handles[portal_id]
            if code == 0:
                outcome, detail = "ok", None
            elif code == LOCKED_EXIT:
                outcome, detail = "locked", "another crawl of this portal held the lock"
            else:
                outcome, detail = "failed", f"exit status {code}"
            self.log.finish(run_id, now, code, outcome, detail)
            logger.info("run %s of %s ended: %s", run_id, portal_id, outcome)

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
        now = self.clock()
        rows = []
        for portal_id, portal in self.portals.items():
            assert portal.schedule is not None
            last = self.log.last_run(portal_id)
            rows.append({
                "portal": portal_id, "schedule": portal.schedule.cron,
                "timezone": portal.schedule.timezone, "mode": portal.schedule.mode,
                "last_run": last["started_at"] if last else None,
                "last_outcome": last["outcome"] if last else None,
                "next_run": portal.schedule.next_after(now).isoformat(),
            })
        return rows
