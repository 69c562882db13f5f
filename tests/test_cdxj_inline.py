"""CDXJ lines made as records are written (archive.cdxj.InlineIndex) are byte for byte what
cdxj-indexer makes from the closed files (write_cdxj), for every kind of record the crawl
writes; a file with a record a reader would parse differently, an indexing error or a spill
taken away is indexed from the file; a killed writer's stale spill is replaced by write_cdxj."""

from __future__ import annotations

import gzip
import io
import itertools
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import archive.cdxj
from archive import HttpExchange, RotatingWarcWriter
from archive.cdxj import InlineIndex, cdxj_lines, index_path, spill_path, write_cdxj
from archive.writer import RevisitTarget
from tests.portal_fixture import ROOT

T0 = datetime(2024, 3, 1, 8, 0, 0, tzinfo=UTC)
PAGE = ("<html><head><title>Tin tức</title></head><body>"
        + "<p>Ủy ban nhân dân tỉnh</p>" * 200 + "</body></html>").encode()


def writer_with_index(tmp_path: Path, max_size: int = 3_000) -> tuple[RotatingWarcWriter,
                                                                        InlineIndex]:
    index = InlineIndex(tmp_path / "indexes")
    counter = itertools.count(1)
    writer = RotatingWarcWriter(
        tmp_path / "warc", "binhlieu", {"software": "portal-archive/test"}, max_size,
        record_id_factory=lambda: f"<urn:uuid:00000000-0000-0000-0000-{next(counter):012d}>",
        on_close=index.finish, on_record=index.add)
    return writer, index


def page(n: int, *, body: bytes = PAGE, status: int = 200, reason: str = "OK",
         headers: list[tuple[str, str]] | None = None, **kw) -> HttpExchange:
    return HttpExchange(
        url=f"http://127.0.0.1:8000/tin-t%E1%BB%A9c/bai-{n}.html?nid={n}",
        request_headers=[("Host", "127.0.0.1:8000"), ("User-Agent", "portal-archive/test"),
                         ("Accept-Encoding", "gzip, deflate")],
        status=status, reason=reason,
        response_headers=headers if headers is not None else [
            ("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))],
        body=body, ip_address="127.0.0.1", fetched_at=T0 + timedelta(seconds=n), **kw)


def write_every_kind(w: RotatingWarcWriter) -> None:
    """Every record kind a crawl writes, over several files (rotation)."""
    gz = gzip.compress(PAGE)
    _, original, _ = w.write_exchange(page(1, body=gz, headers=[
        ("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip"),
        ("Transfer-Encoding", "chunked"), ("Vary", "Accept-Encoding")]))
    w.write_metadata(page(1).url, [("portal-archive-event", "article-extracted"),
                                   ("outlink", "http://127.0.0.1:8000/a L a/@href")],
                     refers_to=original.record_id)
    w.write_exchange(page(2))  # plain HTML
    # identical payload: a revisit of the identical-payload-digest profile
    w.write_exchange(page(3, body=gz, headers=[("Content-Type", "text/html"),
                                               ("Content-Encoding", "gzip")]),
                     RevisitTarget(original.record_id, page(1).url, "2024-03-01T08:00:01Z"))
    # a 304 to a conditional request: server-not-modified, no payload digest (known target
    # and unknown target)
    w.write_exchange(page(1, body=b"", status=304, reason="Not Modified",
                          headers=[("ETag", '"abc"')]),
                     RevisitTarget(original.record_id, page(1).url, "2024-03-01T08:00:01Z",
                                   not_modified=True))
    w.write_exchange(page(4, body=b"", status=304, reason="Not Modified", headers=[]),
                     RevisitTarget("", page(4).url, "", not_modified=True))
    # a page requisite (WARC-Resource-Type), an image, a redirect, an error, an empty body,
    # a cut body, no Content-Type, a non-ASCII header value (percent-encoded when written)
    w.write_exchange(page(5, body=b"\x89PNG" + bytes(300), headers=[
        ("Content-Type", "image/png")]), warc_headers={"WARC-Resource-Type": "image"})
    w.write_exchange(page(6, body=b"", status=301, reason="Moved Permanently",
                          headers=[("Location", "/tin-tuc/bai-7.html")]))
    w.write_exchange(page(7, body=b"not here", status=404, reason="Not Found"))
    w.write_exchange(page(8, body=b""))
    w.write_exchange(page(9, truncated="length"))
    w.write_exchange(page(10, headers=[("Server", "nginx")]))
    w.write_exchange(page(11, headers=[
        ("Content-Type", "text/html;charset=UTF-8"),
        ("Content-Disposition", 'attachment; filename="Quyết định.pdf"'),
        ("X-Title", "Tin tức")]))
    w.write_exchange(page(12, headers=[("Content-Type", "application/pdf ; x=y")]),
                     warc_headers={"WARC-Resource-Type": "document"})
    # not written by the crawl today, but indexed by cdxj-indexer: a resource record and a
    # metadata record that is not warc-fields
    w._write(w._record("resource", "http://127.0.0.1:8000/bao-cao.txt", b"B\xc3\xa1o c\xc3\xa1o",
                       {}, "text/plain; charset=utf-8"))
    w._write(w._record("metadata", "http://127.0.0.1:8000/tin-tuc/bai-2.html",
                       b'{"title": "x"}', {}, "application/json"))
    w.write_metadata("urn:portal-archive:crawl:c1",
                     {"portal-archive-event": "crawl-finished", "stats": "{}"})


def assert_same_as_from_file(tmp_path: Path, files: list[Path]) -> None:
    for warc in files:
        inline = index_path(tmp_path / "indexes", warc)
        assert inline.exists(), warc.name
        rebuilt = write_cdxj(warc, tmp_path / "rebuilt")
        assert inline.read_bytes() == rebuilt.read_bytes(), warc.name
        assert inline.read_text(encoding="utf-8") == "".join(cdxj_lines([warc]))
    assert not list((tmp_path / "indexes").glob("*.spill"))
    assert not list((tmp_path / "indexes").glob(".*")), "a temporary file left behind"


def test_inline_index_is_byte_identical_to_cdxj_indexer_on_the_file(tmp_path):
    w, index = writer_with_index(tmp_path)
    with w:
        write_every_kind(w)
    assert len(w.files) >= 4
    assert_same_as_from_file(tmp_path, w.files)
    assert index.from_file == 0  # every file's lines were made as it was written
    lines = [line for f in w.files
             for line in index_path(tmp_path / "indexes", f).read_text().splitlines()]
    assert sum('"mime": "warc/revisit"' in line for line in lines) == 3
    assert sum('"digest"' not in line for line in lines) == 2  # the two 304s
    assert any('"mime": "application/json"' in line for line in lines)
    assert any('"mime": "text/plain"' in line for line in lines)
    assert not any("urn:portal-archive" in line for line in lines)  # warc-fields: not indexed


def test_a_record_a_reader_parses_differently_has_its_file_indexed_from_the_file(tmp_path):
    w, index = writer_with_index(tmp_path, max_size=10**9)
    with w:
        w.write_exchange(page(1))
        # a reader strips the value: " text/html" would be mime "" from the record object
        w.write_exchange(page(2, headers=[("Content-Type", " text/html")]))
        w.write_exchange(page(3))
    assert index.from_file == 1
    assert_same_as_from_file(tmp_path, w.files)
    text = index_path(tmp_path / "indexes", w.files[0]).read_text()
    assert '"mime": "text/html"' in text and '"mime": ""' not in text


def test_an_indexing_error_never_fails_a_write(tmp_path, monkeypatch, caplog):
    w, index = writer_with_index(tmp_path, max_size=10**9)

    def fail(*args):
        raise ValueError("boom")

    with w:
        w.write_exchange(page(1))
        monkeypatch.setattr(archive.cdxj, "cdxj_line", fail)
        _, resp, _ = w.write_exchange(page(2))  # written all the same
        monkeypatch.undo()
        w.write_exchange(page(3))
    assert resp.offset > 0 and index.from_file == 1
    assert "boom" in caplog.text
    assert_same_as_from_file(tmp_path, w.files)


def test_a_spill_taken_away_meanwhile_is_indexed_from_the_file(tmp_path):
    w, index = writer_with_index(tmp_path, max_size=10**9)
    with w:
        w.write_exchange(page(1))
        # e.g. ``portal-archive index`` run over the archive while the crawl writes
        write_cdxj(w.current_file, tmp_path / "indexes")
        w.write_exchange(page(2))
    assert index.from_file == 1
    assert_same_as_from_file(tmp_path, w.files)
    assert len(index_path(tmp_path / "indexes", w.files[0]).read_text().splitlines()) == 2


def test_a_killed_writers_stale_spill_is_replaced_by_the_index_from_the_file(tmp_path):
    w, index = writer_with_index(tmp_path, max_size=10**9)
    w.write_exchange(page(1))
    w.write_exchange(page(2))
    path = w.current_file
    # killed here: the file is never closed and indexed, its spill stays (half written)
    w._fh.close()
    index._spill.close()
    spill = spill_path(tmp_path / "indexes", path)
    assert spill.exists()
    spill.write_text("1,0,0,127:8000)/bogus 20240301080001 {}\n", encoding="utf-8")
    # what ``crawl --resume`` and ``portal-archive index`` do with such a file
    written = write_cdxj(path, tmp_path / "indexes")
    assert not spill.exists()
    assert written.read_text(encoding="utf-8") == "".join(cdxj_lines([path]))
    assert len(written.read_text().splitlines()) == 2


def test_lines_reach_the_spill_as_they_are_made(tmp_path):
    """Memory stays flat: the lines of an open file are on disk, not held in a list."""
    w, index = writer_with_index(tmp_path, max_size=10**9)
    with w:
        for n in range(200):
            w.write_exchange(page(n))
        spill = spill_path(tmp_path / "indexes", w.current_file)
        assert spill.stat().st_size > 100 * 150  # beyond the text buffer: written out
        assert not isinstance(index._spill, io.StringIO)
    assert_same_as_from_file(tmp_path, w.files)


def test_indexing_as_written_does_not_import_cdxj_indexer(tmp_path):
    """cdxj-indexer's import (pyamf, pkg_resources: ~150 ms) stays out of crawl processes;
    ``write_cdxj`` (reading a file) still uses it."""
    probe = f"""
import sys
from tests.test_cdxj_inline import page, writer_with_index, write_every_kind
from pathlib import Path
w, index = writer_with_index(Path({str(tmp_path)!r}))
with w:
    write_every_kind(w)
assert index.from_file == 0 and len(w.files) > 1
print("cdxj_indexer" in sys.modules, "pkg_resources" in sys.modules)
"""
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["False", "False"]
