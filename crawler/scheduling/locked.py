"""``python -m crawler.scheduling.locked LOCKFILE -- COMMAND...``: run COMMAND holding an
exclusive ``flock`` on LOCKFILE, or exit 75 (EX_TEMPFAIL) at once if another process holds
it. The lock is inherited by COMMAND (exec) and released by the kernel when it exits or dies,
so it survives crashes without going stale."""

from __future__ import annotations

import fcntl
import os
import sys

LOCKED_EXIT = 75


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
    os.execvp(argv[2], argv[2:])
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
