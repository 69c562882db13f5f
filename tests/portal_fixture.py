"""Helpers shared by the demo, the end-to-end tests and the benchmark: start the replica
portal as a subprocess on a free 127.0.0.1 port, and write a registry pointing at it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def start_replica(*args: str) -> tuple[subprocess.Popen, str]:
    """Start ``python -m tests.replica --port 0 ARGS``; return the process and its base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.replica", "--port", "0", *args],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("REPLICA "):
        proc.kill()
        raise RuntimeError(f"replica did not start: {line!r}")
    return proc, line.split(" ", 1)[1]


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def write_registry(path: Path, base_url: str, portal_id: str = "binhlieu") -> Path:
    """A registry with the replica as the Bình Liêu portal (the host is 127.0.0.1)."""
    path.write_text(
        f'''[[portals]]
id = "{portal_id}"
name = "Cổng thông tin điện tử huyện Bình Liêu (bản sao offline / offline replica)"
province = "Quảng Ninh"
district = "Huyện Bình Liêu"
base_url = "{base_url}"
family = "qnp"
start_urls = ["{base_url}"]
allowed_hosts = ["127.0.0.1"]
confirmed = true
notes = "Replica served by tests/replica on 127.0.0.1"
''',
        encoding="utf-8",
    )
    return path


# Politeness is for real portals; the local replica is crawled at full speed.
FAST_SETTINGS = [
    "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
    "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8", "-s", "LOG_LEVEL=WARNING",
]
