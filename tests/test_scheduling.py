"""The scheduler with an injected clock and launcher (no sleeping): due runs start, a run
missed while the scheduler was down is caught up once, overlapping runs are refused, outcomes
are logged; the registry validates schedules; the real per-portal lock refuses a second crawl
and does not go stale when its holder is killed."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import main
from crawler.errors import RegistryError
from crawler.registry import load_registry
from crawler.scheduling.locked import LOCKED_EXIT
from crawler.scheduling.scheduler import Scheduler

REGISTRY = '''[[portals]]
id = "binhlieu"
name = "Bình Liêu"
base_url = "http://127.0.0.1:9/"
schedule = "0 2 * * *"
mode = "incremental"

[[portals]]
id = "campha"
name = "Cẩm Phả"
base_url = "http://127.0.0.1:9/"
schedule = "30 */6 * * *"
timezone = "UTC"

[[portals]]
id = "unscheduled"
name = "x"
base_url = "http://127.0.0.1:9/"
'''


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw) -> None:
        self.now += timedelta(**kw)


class FakeHandle:
    def __init__(self) -> None:
        self.pid = 4242
        self.code: int | None = None

    def poll(self) -> int | None:
        return self.code


class FakeLauncher:
    def __init__(self) -> None:
        self.launched: list[tuple[str, str]] = []
        self.handles: dict[str, FakeHandle] = {}

    def launch(self, portal, mode, log_file):
        self.launched.append((portal.id, mode))
        self.handles[portal.id] = FakeHandle()
        return self.handles[portal.id]


@pytest.fixture
def registry(tmp_path):
    path = tmp_path / "registry.toml"
    path.write_text(REGISTRY, encoding="utf-8")
    return load_registry(path)


def make(registry, tmp_path, clock):
    launcher = FakeLauncher()
    return Scheduler(registry, tmp_path / "out", launcher, clock=clock), launcher


# 2026-11-25 00:00 in Hanoi is 2026-11-24 17:00 UTC.
START = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)


def test_due_runs_start_at_their_slot_and_not_before(registry, tmp_path):
    clock = Clock(START)
    sched, launcher = make(registry, tmp_path, clock)
    assert sched.tick() == []  # a new portal's past slots are not "missed"
    clock.advance(hours=1, minutes=59)  # 01:59 Hanoi
    assert "binhlieu" not in sched.tick()
    clock.advance(minutes=1)  # 02:00 Hanoi
    assert sched.tick() == ["binhlieu"]
    assert ("binhlieu", "incremental") in launcher.launched
    launcher.handles["binhlieu"].code = 0
    clock.advance(minutes=5)
    assert "binhlieu" not in sched.tick()
    last = sched.log.last_run("binhlieu")
    assert last["outcome"] == "ok" and last["slot"] == "2026-11-25T02:00:00+07:00"
    assert last["slots_covered"] == 1


def test_missed_runs_are_caught_up_once(registry, tmp_path):
    clock = Clock(START)
    sched, launcher = make(registry, tmp_path, clock)
    sched.tick()
    del sched  # the scheduler goes down for three days and a bit
    clock.advance(days=3, hours=5)
    sched, launcher = make(registry, tmp_path, clock)
    started = sched.tick()
    assert started.count("binhlieu") == 1
    run = sched.log.last_run("binhlieu")
    # slots of 25, 26, 27 and 28 November (02:00 Hanoi) were missed: one run, for the last
    assert run["slots_covered"] == 4 and run["slot"] == "2026-11-28T02:00:00+07:00"
    launcher.handles["binhlieu"].code = 0
    clock.advance(minutes=1)
    assert "binhlieu" not in sched.tick()  # no second catch-up


def test_overlapping_runs_are_refused_and_failures_logged(registry, tmp_path):
    clock = Clock(START)
    sched, launcher = make(registry, tmp_path, clock)
    sched.tick()
    clock.advance(hours=2)
    assert "binhlieu" in sched.tick()
    clock.advance(days=1)  # the crawl is still running at the next slot
    assert "binhlieu" not in sched.tick()
    rows = list(sched.log.db.query(
        "SELECT outcome, detail FROM schedule_runs WHERE portal_id = 'binhlieu' ORDER BY id"))
    assert rows[-1]["outcome"] == "locked" and "still in progress" in rows[-1]["detail"]
    launcher.handles["binhlieu"].code = 1  # the crawl crashes
    clock.advance(minutes=1)
    sched.tick()
    rows = list(sched.log.db.query(
        "SELECT outcome, exit_code FROM schedule_runs WHERE portal_id = 'binhlieu' "
        "AND outcome != 'locked' ORDER BY id"))
    assert rows[-1]["outcome"] == "failed" and rows[-1]["exit_code"] == 1
    clock.advance(days=1)
    assert "binhlieu" in sched.tick()  # and the next scheduled run still happens


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_runs_left_running_by_a_dead_scheduler_are_marked_lost(registry, tmp_path):
    clock = Clock(START + timedelta(hours=2))
    sched, _ = make(registry, tmp_path, clock)
    sched.log.start("binhlieu", "full", START, 1, START, _dead_pid(), None)
    sched, _ = make(registry, tmp_path, clock)
    assert sched.log.last_run("binhlieu")["outcome"] == "lost"


def test_a_live_crawl_of_a_stopped_scheduler_is_adopted_not_lost(registry, tmp_path):
    """Crawls outlive their scheduler: a restarted one waits for them, then logs how they
    ended (here: the CLI's one-line error in the crawl's log)."""
    clock = Clock(START + timedelta(hours=2))
    sched, _ = make(registry, tmp_path, clock)
    crawl = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    log_file = tmp_path / "out" / "logs" / "binhlieu.log"
    log_file.parent.mkdir(parents=True)
    try:
        run_id = sched.log.start("binhlieu", "full", START, 1, START, crawl.pid, str(log_file))
        sched, _ = make(registry, tmp_path, clock)  # the restarted scheduler
        assert sched.log.get(run_id)["outcome"] == "running"
        clock.advance(minutes=1)
        sched.tick()
        assert sched.log.get(run_id)["outcome"] == "running"  # still alive: left alone
        assert "binhlieu" not in sched.tick()  # and no second crawl of the portal
    finally:
        crawl.kill()
        crawl.wait()
    log_file.write_text("2026-11-25 INFO crawling\nError: nothing archived: "
                        "http://127.0.0.1:9/ refused the connection\n", encoding="utf-8")
    clock.advance(minutes=1)
    sched.tick()
    row = sched.log.get(run_id)
    assert row["outcome"] == "failed"
    assert row["error"] == "nothing archived: http://127.0.0.1:9/ refused the connection"


def test_a_dead_run_takes_the_outcome_the_archive_shows(registry, tmp_path):
    from db import ArchiveStore

    clock = Clock(START + timedelta(hours=2))
    sched, _ = make(registry, tmp_path, clock)
    run_id = sched.log.start("binhlieu", "full", START, 1, START, _dead_pid(), None)
    store = ArchiveStore(tmp_path / "out" / "archive.db")
    store.upsert_portal({"id": "binhlieu", "name": "Bình Liêu", "base_url": "http://h/",
                         "family": "qnp", "start_urls": ["http://h/"], "allowed_hosts": ["h"]})
    store.start_crawl("c1", "binhlieu", "2026-11-24T17:00:03.000000Z", {})
    store.conn.execute("UPDATE crawls SET status = 'finished', finish_reason = 'finished'")
    store.commit()
    store.close()
    sched, _ = make(registry, tmp_path, clock)
    assert sched.log.get(run_id)["outcome"] == "ok"


def test_the_lock_tells_a_live_crawl_from_a_dead_one(tmp_path):
    from crawler.scheduling.scheduler import SubprocessLauncher

    launcher = SubprocessLauncher(tmp_path)
    lock = tmp_path / "locks" / "binhlieu.lock"
    holder = subprocess.Popen([sys.executable, "-m", "crawler.scheduling.locked", str(lock),
                               "--", sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        for _ in range(100):
            if lock.exists() and lock.read_text().strip():
                break
            time.sleep(0.05)
        assert launcher.run_alive("binhlieu", None)
        assert launcher.run_alive("binhlieu", _dead_pid())  # the lock, not the pid, decides
    finally:
        holder.kill()
        holder.wait()
    assert not launcher.run_alive("binhlieu", holder.pid)
    # Probing left the lock free for the next crawl.
    third = subprocess.run([sys.executable, "-m", "crawler.scheduling.locked", str(lock), "--",
                            sys.executable, "-c", "pass"], timeout=30)
    assert third.returncode == 0


class LoggingLauncher(FakeLauncher):
    """Writes what a failing crawl prints into the run's log file."""

    def launch(self, portal, mode, log_file):
        log_file.parent.mkdir(parents=True, exist_ok=True)
        log_file.write_text("Traceback (most recent call last):\n  ...\nKeyError: 'x'\n"
                            "Error: nothing archived: http://127.0.0.1:9/ did not resolve "
                            "(DNS failure)\n", encoding="utf-8")
        return super().launch(portal, mode, log_file)


def test_a_failed_run_records_its_error_and_list_shows_it(tmp_path):
    path = tmp_path / "r.toml"
    path.write_text(REGISTRY, encoding="utf-8")
    clock = Clock(START)
    launcher = LoggingLauncher()
    sched = Scheduler(load_registry(path), tmp_path / "out", launcher, clock=clock)
    sched.tick()
    clock.advance(hours=2)
    assert "binhlieu" in sched.tick()
    launcher.handles["binhlieu"].code = 1
    clock.advance(minutes=1)
    sched.tick()
    row = sched.log.last_run("binhlieu")
    assert (row["outcome"], row["detail"]) == ("failed", "exit status 1")
    assert row["error"] == "nothing archived: http://127.0.0.1:9/ did not resolve (DNS failure)"
    result = CliRunner().invoke(main, ["schedule", "list", "--registry", str(path), "--out",
                                       str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "error: nothing archived: http://127.0.0.1:9/ did not resolve" in result.output
    result = CliRunner().invoke(main, ["schedule", "list", "--registry", str(path), "--out",
                                       str(tmp_path / "out"), "--format", "json"])
    assert '"last_error": "nothing archived' in result.output


def test_last_error_falls_back_to_the_traceback(tmp_path):
    from crawler.scheduling.runlog import last_error

    log = tmp_path / "x.log"
    log.write_text("Traceback (most recent call last):\n  File x\n"
                   "sqlite3.OperationalError: disk I/O error\n", encoding="utf-8")
    assert last_error(log) == "sqlite3.OperationalError: disk I/O error"
    log.write_text("INFO all good\n", encoding="utf-8")
    assert last_error(log) is None and last_error(tmp_path / "missing.log") is None


def test_schedule_list_changes_nothing(registry, tmp_path):
    path = tmp_path / "r.toml"
    path.write_text(REGISTRY, encoding="utf-8")
    out = tmp_path / "out"
    sched, _ = make(registry, tmp_path, Clock(START))
    run_id = sched.log.start("binhlieu", "full", START, 1, START, _dead_pid(), None)
    sched.log.db.conn.close()
    before = sqlite3.connect(out / "scheduler.db").execute(
        "SELECT * FROM schedule_runs UNION ALL SELECT *, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 "
        "FROM schedule_portals").fetchall()
    result = CliRunner().invoke(main, ["schedule", "list", "--registry", str(path), "--out",
                                       str(out)])
    assert result.exit_code == 0, result.output
    assert "running" in result.output  # shown as it is, not closed as lost
    after = sqlite3.connect(out / "scheduler.db").execute(
        "SELECT * FROM schedule_runs UNION ALL SELECT *, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 "
        "FROM schedule_portals").fetchall()
    assert after == before and after[0][0] == run_id
    # No output directory yet: listing creates none.
    result = CliRunner().invoke(main, ["schedule", "list", "--registry", str(path), "--out",
                                       str(tmp_path / "none")])
    assert result.exit_code == 0 and not (tmp_path / "none").exists()


def test_a_second_scheduler_on_the_same_directory_is_refused(tmp_path):
    path = tmp_path / "r.toml"
    path.write_text(REGISTRY, encoding="utf-8")
    lock = tmp_path / "out" / "locks" / "scheduler.lock"
    holder = subprocess.Popen([sys.executable, "-m", "crawler.scheduling.locked", str(lock),
                               "--", sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        for _ in range(100):
            if lock.exists() and lock.read_text().strip():
                break
            time.sleep(0.05)
        result = CliRunner().invoke(main, ["schedule", "run", "--once", "--registry",
                                           str(path), "--out", str(tmp_path / "out")])
        assert result.exit_code == 1 and "another scheduler is running" in result.output
    finally:
        holder.kill()
        holder.wait()
    result = CliRunner().invoke(main, ["schedule", "run", "--once", "--registry", str(path),
                                       "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output


def test_status_lists_schedule_last_and_next(registry, tmp_path):
    clock = Clock(START)
    sched, _ = make(registry, tmp_path, clock)
    rows = {r["portal"]: r for r in sched.status()}
    assert set(rows) == {"binhlieu", "campha"}
    assert rows["binhlieu"]["next_run"] == "2026-11-25T02:00:00+07:00"
    assert rows["campha"]["next_run"] == "2026-11-24T18:30:00+00:00"


@pytest.mark.parametrize("extra, message", [
    ('schedule = "61 2 * * *"', "portal 'x' field 'schedule'"),
    ('schedule = "0 2 * * *"\ntimezone = "Mars/Olympus"', "field 'timezone'"),
    ('schedule = "0 2 * * *"\nmode = "sometimes"', "field 'mode'"),
])
def test_bad_schedules_are_clear_errors(tmp_path, extra, message):
    path = tmp_path / "r.toml"
    path.write_text(f'[[portals]]\nid = "x"\nname = "x"\nbase_url = "http://a.gov.vn/"\n'
                    f'{extra}\n', encoding="utf-8")
    with pytest.raises(RegistryError, match=message):
        load_registry(path)


def test_schedule_list_command(tmp_path):
    path = tmp_path / "r.toml"
    path.write_text(REGISTRY, encoding="utf-8")
    result = CliRunner().invoke(main, ["schedule", "list", "--registry", str(path), "--out",
                                       str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "binhlieu" in result.output and "0 2 * * *" in result.output
    assert "unscheduled" not in result.output


def test_the_portal_lock_refuses_a_second_crawl_and_never_goes_stale(tmp_path):
    lock = str(tmp_path / "locks" / "binhlieu.lock")
    cmd = [sys.executable, "-m", "crawler.scheduling.locked", lock, "--"]
    holder = subprocess.Popen([*cmd, sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        for _ in range(50):
            if os.path.exists(lock) and Path(lock).read_text().strip():
                break
            time.sleep(0.1)
        second = subprocess.run([*cmd, sys.executable, "-c", "pass"], capture_output=True,
                                text=True, timeout=30)
        assert second.returncode == LOCKED_EXIT
        assert "another crawl of this portal is running" in second.stderr
    finally:
        holder.send_signal(signal.SIGKILL)  # a crash: the kernel releases the lock
        holder.wait()
    third = subprocess.run([*cmd, sys.executable, "-c", "pass"], timeout=30)
    assert third.returncode == 0
