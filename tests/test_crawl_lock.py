"""A manual crawl holds the portal's lock, as the scheduler's crawls do: a second crawl of
the same portal into the same archive is refused at once with one line, and a crawl started
under the scheduler's lock wrapper (which holds that same lock) runs."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from crawler.scheduling.locked import acquire, portal_lock
from tests.archive_crawl import cli
from tests.portal_fixture import FAST_SETTINGS, ROOT, start_replica, stop, write_registry

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def replica():
    proc, base = start_replica("--articles", "6", "--chrome-kb", "2")
    yield base
    stop(proc)


def test_second_crawl_of_a_portal_is_refused(replica, tmp_path):
    registry = write_registry(tmp_path / "registry.toml", replica)
    fd = acquire(portal_lock(tmp_path, "binhlieu"))  # another crawl of binhlieu holds it
    assert fd is not None
    try:
        result = cli("crawl", "binhlieu", "--registry", str(registry), "--out", str(tmp_path),
                     *FAST_SETTINGS)
    finally:
        os.close(fd)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"Error: another crawl of binhlieu is running into {tmp_path} (it holds "
        f"{portal_lock(tmp_path, 'binhlieu')})")
    assert not (tmp_path / "warc").exists()  # nothing started


def test_crawl_under_the_scheduler_lock_wrapper_runs(replica, tmp_path):
    registry = write_registry(tmp_path / "registry.toml", replica)
    lock = portal_lock(tmp_path, "binhlieu")
    result = subprocess.run(
        [sys.executable, "-m", "crawler.scheduling.locked", lock, "--", sys.executable, "-m",
         "crawler.cli", "crawl", "binhlieu", "--registry", str(registry), "--out",
         str(tmp_path), *FAST_SETTINGS], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    # and the lock is free again once it ended
    fd = acquire(lock)
    assert fd is not None
    os.close(fd)
