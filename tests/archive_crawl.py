"""Helper of the archive tests (verify, metadata, CDXJ/WACZ, replay): crawl a small replica
into a directory in a subprocess, the way the end-to-end tests do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.portal_fixture import FAST_SETTINGS, ROOT, start_replica, stop, write_registry


def cli(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crawler.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def crawl_replica(out: Path, articles: int = 12, *extra: str) -> subprocess.CompletedProcess:
    """Crawl a fresh replica of ``articles`` articles into ``out``; assert it finished."""
    proc, base = start_replica("--articles", str(articles))
    try:
        return crawl_into(out, base, *extra)
    finally:
        stop(proc)


def crawl_into(out: Path, base: str, *extra: str) -> subprocess.CompletedProcess:
    """Crawl the replica running at ``base`` into ``out``; assert it finished."""
    registry = write_registry(out / "registry.toml", base)
    result = cli("crawl", "binhlieu", "--registry", str(registry), "--out", str(out),
                 *FAST_SETTINGS, *extra)
    assert result.returncode == 0, result.stderr[-3000:]
    return result
