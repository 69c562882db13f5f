"""PayloadIndex answers from the archive database through one read-only connection."""

from __future__ import annotations

import sqlite3

from crawler.payload_index import PayloadIndex
from tests.test_db_store import capture, store  # noqa: F401 - the fixture

URL = "http://h/Trang/ChiTietTinTuc.aspx?nid=1"


def test_latest_full_capture_of_a_url_through_one_connection(store, tmp_path,  # noqa: F811
                                                             monkeypatch):
    index = PayloadIndex(tmp_path / "archive.db", "c1")
    assert index.latest(URL) is None  # nothing archived yet
    store.add_capture(capture(1))
    store.add_capture(capture(2))
    store.add_capture({**capture(3), "refers_to": "<urn:uuid:2>"})  # a revisit: not full
    store.add_capture({**capture(4), "status": 404})
    store.add_capture({**capture(5, url=URL + "0")})
    store.commit()
    opened = []
    real = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", lambda *a, **k: opened.append(a) or real(*a, **k))
    for _ in range(3):  # the store's later commits are seen by the same connection
        assert index.latest(URL) == ("<urn:uuid:2>", "2026-11-25T10:00:02.000000Z")
    store.add_capture(capture(6))
    store.commit()
    assert index.latest(URL) == ("<urn:uuid:6>", "2026-11-25T10:00:06.000000Z")
    assert index.latest("http://h/never") is None
    assert opened == []  # the connection of the first call serves them all
    index.close()


def test_no_database_no_answer(tmp_path):
    index = PayloadIndex(tmp_path / "missing.db", "c1")
    assert index.latest(URL) is None and index.original("sha1:x") is None
    assert not (tmp_path / "missing.db").exists()
