"""Helpers shared by the demo, the end-to-end tests and the benchmark: start the replica
portal as a subprocess on a free 127.0.0.1 port, write a registry pointing at it, and start
a real Scrapyd node on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_scrapyd(home: Path, max_proc: int = 2, poll_interval: float = 0.5
                  ) -> tuple[subprocess.Popen, str]:
    """A real Scrapyd server with its own directories, bound to 127.0.0.1, running at most
    ``max_proc`` crawls at once; return the process and its URL. It runs in its own session:
    ``os.killpg(proc.pid, ...)`` takes its crawl processes down too, as when a machine goes
    away."""
    from crawler.cluster.errors import NodeUnreachableError
    from crawler.cluster.scrapyd import ScrapydNode

    home.mkdir(parents=True)
    port = free_port()
    (home / "scrapyd.conf").write_text(f"""[scrapyd]
bind_address = 127.0.0.1
http_port = {port}
eggs_dir = {home / 'eggs'}
logs_dir = {home / 'logs'}
dbs_dir = {home / 'dbs'}
items_dir =
max_proc = {max_proc}
poll_interval = {poll_interval}
""")
    log = open(home / "scrapyd.out", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "scrapyd"], cwd=home, stdout=log,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    log.close()
    url = f"http://127.0.0.1:{port}"
    node = ScrapydNode(url, timeout=2)
    for _ in range(100):
        try:
            node.daemonstatus()
            return proc, url
        except NodeUnreachableError:
            if proc.poll() is not None:
                break
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"scrapyd did not start: {(home / 'scrapyd.out').read_text()[-2000:]}")


def write_portals_registry(path: Path, bases: dict[str, str], extra: str = "") -> Path:
    """A registry of several replica portals (portal id -> base URL), all on 127.0.0.1;
    ``extra`` is added to every entry (e.g. a schedule)."""
    entries = [f'''[[portals]]
{extra}
id = "{pid}"
name = "Replica {pid}"
province = "Quảng Ninh"
base_url = "{base}"
family = "qnp"
start_urls = ["{base}"]
allowed_hosts = ["127.0.0.1"]
confirmed = true
''' for pid, base in bases.items()]
    path.write_text("\n".join(entries), encoding="utf-8")
    return path


# Politeness is for real portals; the local replica is crawled at full speed.
FAST_SETTINGS = [
    "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
    "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8", "-s", "LOG_LEVEL=WARNING",
]


def stop_node(proc: subprocess.Popen) -> None:
    """Stop a Scrapyd node and its crawl processes (its process group)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    try:  # crawl processes of the group that outlive their node
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    if proc.poll() is None:  # not a group leader after all: never wait forever
        proc.kill()
    proc.wait()
