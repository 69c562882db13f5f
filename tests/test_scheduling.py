"""The scheduler with an injected clock and launcher (no sleeping): due runs start, a run
missed while the scheduler was down is caught up once, overlapping runs are refused, outcomes
are logged; the registry validates schedules; the real per-portal lock refuses a second crawl
and does not go stale when its holder is killed."""

from __future__ import annotations

import os
import signal
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


def test_runs_left_running_by_a_dead_scheduler_are_marked_lost(registry, tmp_path):
    clock = Clock(START + timedelta(hours=2))
    sched, _ = make(registry, tmp_path, clock)
    sched.log.start("binhlieu", "full", START, 1, START, 1, None)
    sched, _ = make(registry, tmp_path, clock)
    assert sched.log.last_run("binhlieu")["outcome"] == "lost"


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
