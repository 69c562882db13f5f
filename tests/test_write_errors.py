"""An archive that cannot be written stops the crawl with one clear line, never half-files.

An output directory under a regular file, a database path that cannot be created, and a disk
that fills up mid-crawl (simulated portably with ``RLIMIT_FSIZE`` on the crawl's process:
writes past the limit fail with EFBIG, as they would with ENOSPC) all stop the crawl with a
non-zero exit and the reason; the WARC written so far is readable to its last complete record,
and ``crawl --resume`` (with room again) finishes the crawl with ``verify`` clean. Unit tests
check that the writer cuts a failed record back out of the file and that the SQLite pipeline
stops the crawl on a refused write instead of logging it.
"""

from __future__ import annotations

import errno
import resource
import signal
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from archive import HttpExchange, RotatingWarcWriter, WarcWriteError, iter_records
from tests.portal_fixture import FAST_SETTINGS, ROOT, start_replica, stop, write_registry

FIXED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def crawl(out: Path, registry: Path, *extra: str, fsize: int | None = None
          ) -> subprocess.CompletedProcess:
    def limit() -> None:  # runs in the child, before exec
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", "crawl", "binhlieu", "--registry", str(registry),
         "--out", str(out), *FAST_SETTINGS, *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        preexec_fn=limit if fsize else None)


@pytest.fixture(scope="module")
def replica(tmp_path_factory):
    proc, base = start_replica("--articles", "30", "--chrome-kb", "8")
    registry = write_registry(tmp_path_factory.mktemp("reg") / "registry.toml", base)
    yield registry
    stop(proc)


def error_lines(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("Error: ")]


@pytest.mark.e2e
def test_output_directory_under_a_file(replica, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = crawl(blocker / "out", replica)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert error_lines(result) == [
        f"Error: cannot create WARC directory {blocker}/out/warc: [Errno 20] Not a directory: "
        f"'{blocker}/out/warc'; the crawl stopped (warc_write_error)"]
    assert blocker.read_text() == "not a directory"


@pytest.mark.e2e
def test_database_that_cannot_be_created(replica, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = crawl(tmp_path / "out", replica, "-s", f"ARCHIVE_DB_PATH={blocker}/archive.db")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    [line] = error_lines(result)
    assert line.startswith(f"Error: cannot write the archive database {blocker}/archive.db: ")
    assert line.endswith("the crawl stopped (db_write_error)")
    # Whatever reached the WARC before the stop is whole.
    for warc in (tmp_path / "out" / "warc").glob("*.warc.gz"):
        assert [r.rec_type for r in iter_records(warc)][0] == "warcinfo"


def verify(db: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crawler.cli", "verify", "--db", str(db)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


def assert_whole(out: Path, limit: int) -> list[Path]:
    """Every WARC under the size limit and readable to its end: no half record left."""
    warcs = sorted((out / "warc").glob("*.warc.gz"))
    assert warcs and all(w.stat().st_size <= limit for w in warcs)
    for warc in warcs:
        last = list(iter_records(warc))[-1]
        assert last.offset + last.length == warc.stat().st_size
    return warcs


@pytest.mark.e2e
def test_full_disk_while_writing_the_warc(replica, tmp_path):
    """Without a database only the WARC grows: it is the write that fails, every time."""
    out, limit = tmp_path / "out", 300_000
    result = crawl(out, replica, "-s", "ARCHIVE_DB_ENABLED=False", fsize=limit)
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    [line] = error_lines(result)
    assert line.startswith(f"Error: cannot write to {out}/warc/binhlieu-")
    assert line.endswith(": [Errno 27] File too large; the crawl stopped (warc_write_error)")
    warcs = assert_whole(out, limit)
    # What was written is an archive: reindex builds its database, verify finds it clean.
    rebuilt = out / "archive.db"  # (the crawl wrote none)
    assert not rebuilt.exists()
    reindexed = subprocess.run([sys.executable, "-m", "crawler.cli", "reindex",
                                *map(str, warcs), "--db", str(rebuilt)], cwd=ROOT,
                               capture_output=True, text=True, timeout=300)
    assert reindexed.returncode == 0, reindexed.stderr[-2000:]
    assert verify(rebuilt).returncode == 0


@pytest.mark.e2e
def test_full_disk_stops_the_crawl_and_resume_completes_it(replica, tmp_path):
    """WARC and database fill up together; whichever write fails first stops the crawl."""
    from db import ArchiveStore

    out = tmp_path / "out"
    out.mkdir()
    # A database made beforehand: its migrations alone write ~700 kB of WAL.
    ArchiveStore(out / "archive.db").close()
    limit = 300_000
    result = crawl(out, replica, fsize=limit)
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    [line] = error_lines(result)
    # SQLite words EFBIG on its WAL as "disk I/O error"
    assert line.endswith(("File too large; the crawl stopped (warc_write_error)",
                          "disk I/O error; the crawl stopped (db_write_error)")), line
    assert_whole(out, limit)
    resumed = crawl(out, replica, "--resume")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert not list((out / "warc").glob("*.partial-*"))  # nothing had to be cut on resume
    checked = verify(out / "archive.db")
    assert checked.returncode == 0, checked.stdout[-3000:]
    db = sqlite3.connect(out / "archive.db")
    try:
        counts = db.execute("SELECT count(*), count(DISTINCT url) FROM captures "
                            "WHERE warc_type = 'response'").fetchone()
        assert counts[0] == counts[1]  # nothing fetched twice
        assert db.execute("SELECT count(*) FROM articles").fetchone()[0] >= 30
    finally:
        db.close()


# -- unit: the writer and the pipeline -------------------------------------------------------
class _FillingFile:
    """A file that takes ``room`` more bytes, then fails like a full disk."""

    def __init__(self, fh, room: int) -> None:
        self.fh, self.room = fh, room

    def write(self, data) -> int:
        if self.room <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        n = self.fh.write(bytes(data[:self.room]))
        self.room -= n
        return n

    def __getattr__(self, name):
        return getattr(self.fh, name)


def _exchange(n: int) -> HttpExchange:
    return HttpExchange(url=f"http://127.0.0.1:8000/p{n}", request_headers=[("Host", "x")],
                        response_headers=[("Content-Type", "text/html")],
                        body=f"<html><p>trang {n}</p></html>".encode() * 50,
                        ip_address="127.0.0.1", fetched_at=FIXED)


def test_writer_cuts_a_record_the_disk_could_not_take(tmp_path):
    writer = RotatingWarcWriter(tmp_path, "p", {"software": "t"}, clock=lambda: FIXED)
    writer.write_exchange(_exchange(1))
    path = writer.current_file
    whole = path.stat().st_size
    writer._fh = _FillingFile(writer._fh, 100)  # room for a fraction of the next record
    with pytest.raises(WarcWriteError, match="No space left on device"):
        writer.write_exchange(_exchange(2))
    assert path.stat().st_size == whole
    with pytest.raises(WarcWriteError):
        writer.write_metadata("urn:x", {"k": "v"})
    writer._fh = writer._fh.fh  # room again: the file goes on from its last whole record
    writer.write_metadata("urn:x", {"k": "v"})
    writer.close()
    assert [r.rec_type for r in iter_records(path)] == [
        "warcinfo", "response", "request", "metadata"]


def test_writer_leaves_no_file_without_its_warcinfo(tmp_path, monkeypatch):
    import builtins

    real_open = builtins.open

    def full_disk_open(file, mode="r", *args, **kwargs):
        fh = real_open(file, mode, *args, **kwargs)
        return _FillingFile(fh, 10) if "x" in mode else fh

    writer = RotatingWarcWriter(tmp_path, "p", {"software": "t"}, clock=lambda: FIXED)
    monkeypatch.setattr(builtins, "open", full_disk_open)
    with pytest.raises(WarcWriteError):
        writer.write_exchange(_exchange(1))
    assert list(tmp_path.iterdir()) == [] and writer.files == []
    writer.close()


class _Stats(dict):
    def get_value(self, key, default=None):
        return self.get(key, default)

    def set_value(self, key, value):
        self[key] = value

    def inc_value(self, key, count=1):
        self[key] = self.get(key, 0) + count


class _Engine:
    spider = object()

    def __init__(self) -> None:
        self.closed: list[str] = []

    async def close_spider_async(self, *, reason: str) -> None:
        self.closed.append(reason)


def test_pipeline_stops_the_crawl_when_sqlite_refuses_a_write(tmp_path, caplog, monkeypatch):
    import asyncio

    from scrapy.settings import Settings
    from scrapy.signalmanager import SignalManager

    from crawler.pipelines.sqlite_store import SQLiteStorePipeline

    class Crawler:
        settings = Settings({"ARCHIVE_DB_PATH": str(tmp_path / "archive.db"),
                             "ARCHIVE_DB_BATCH": 1})
        stats = _Stats()
        signals = SignalManager()
        engine = _Engine()

    class Store:
        conn = sqlite3.connect(":memory:")

        def begin_immediate(self):
            pass

        def commit(self):
            pass

        def add_capture(self, capture):
            raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr("crawler.fatal.deferred_from_coro", asyncio.run)  # no reactor here
    pipeline = SQLiteStorePipeline(Crawler)
    pipeline.store = Store()
    pipeline.capture_archived({"url": "http://x/"})
    assert Crawler.engine.closed == ["db_write_error"]
    assert Crawler.stats["archive/fatal_error"] == (
        f"cannot write the archive database {tmp_path / 'archive.db'}: "
        "database or disk is full")
    assert "archive/captures" not in Crawler.stats
    assert [r.levelname for r in caplog.records] == ["CRITICAL"]
