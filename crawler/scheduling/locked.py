"""``python -m crawler.scheduling.locked LOCKFILE -- COMMAND...``: run COMMAND holding an
exclusive ``flock`` on LOCKFILE, or exit 75 (EX_TEMPFAIL) at once if another process holds
it. The lock is inherited by COMMAND (exec) and released by the kernel when it exits or dies,
so it survives crashes without going stale."""

from __future__ import annotations

import fcntl
import os
import sys

LOCKED_EXIT = 75
# Set for COMMAND: the lock it runs under, so a crawl does not try to take it a second time.
HELD_ENV = "PORTAL_ARCHIVE_HELD_LOCK"
_HELD: list[int] = []  # descriptors kept open for the life of this process


def portal_lock(out: str | os.PathLike, portal_id: str) -> str:
    """The lock file of a portal's crawls in an output directory."""
    return os.path.abspath(os.path.join(out, "locks", f"{portal_id}.lock"))


def hold(path: str) -> bool:
    """Hold the lock at ``path`` until this process ends (already held by the process that
    started us counts); False when another process holds it."""
    if os.environ.get(HELD_ENV) == path:
        return True
    fd = acquire(path)
    if fd is None:
        return False
    _HELD.append(fd)
    os.environ[HELD_ENV] = path  # inherited by our own children (crawl --workers)
    return True


def acquire(path: str) -> int | None:
    """Open and lock ``path``; the descriptor, or None when another process holds the lock."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print("usage: python -m crawler.scheduling.locked LOCKFILE -- COMMAND...",
              file=sys.stderr)
        return 2
    fd = acquire(argv[0])
    if fd is None:
        print(f"{argv[0]}: another crawl of this portal is running", file=sys.stderr)
        return LOCKED_EXIT
    os.set_inheritable(fd, True)
    os.environ[HELD_ENV] = os.path.abspath(argv[0])
    os.execvp(argv[2], argv[2:])
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
