"""visit_counters_daily (m016): the per-day roll-up behind the canned query *visit counters
over time* always equals grouping visit_counters itself, through inserts, deletes, updates and
the migration's backfill of an existing database."""

from __future__ import annotations

import asyncio

import sqlite_utils

from crawler.cli.serve import make_datasette
from db import ArchiveStore
from db.schema import MIGRATIONS

GROUPED = ("SELECT portal_id, metric, substr(captured_at, 1, 10), max(value), count(*) "
           "FROM visit_counters GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")
DAILY = "SELECT * FROM visit_counters_daily ORDER BY 1, 2, 3"
ROWS = [  # (id, portal, captured_at, metric, value)
    (1, "a", "2024-01-01T01:00:00Z", "visits_total", 10),
    (2, "a", "2024-01-01T21:00:00Z", "visits_total", 30),
    (3, "a", "2024-01-01T22:00:00Z", "visits_total", None),  # a label without a number
    (4, "a", "2024-01-02T01:00:00Z", "visits_total", 40),
    (5, "a", "2024-01-02T02:00:00Z", "visits_today", 4),
    (6, "b", "2024-01-01T02:00:00Z", "visits_today", 7),
]


def insert(conn, rows) -> None:
    conn.executemany("INSERT INTO visit_counters (id, portal_id, captured_at, metric, value) "
                     "VALUES (?, ?, ?, ?, ?)", rows)


def test_triggers_keep_the_rollup_equal_to_grouping(tmp_path):
    store = ArchiveStore(tmp_path / "archive.db")
    for portal in ("a", "b"):
        store.upsert_portal({"id": portal, "name": portal})
    conn = store.conn
    insert(conn, ROWS)
    assert conn.execute(DAILY).fetchall() == conn.execute(GROUPED).fetchall()
    assert ("a", "visits_total", "2024-01-01", 30, 3) in conn.execute(DAILY).fetchall()
    conn.execute("DELETE FROM visit_counters WHERE id IN (2, 6)")  # b's only day disappears
    conn.execute("UPDATE visit_counters SET captured_at = '2024-01-03T00:00:00Z' WHERE id = 5")
    conn.execute("UPDATE visit_counters SET value = 5 WHERE id = 1")
    assert conn.execute(DAILY).fetchall() == conn.execute(GROUPED).fetchall()
    assert ("b",) not in conn.execute("SELECT DISTINCT portal_id FROM visit_counters_daily")
    store.close()


def test_backfill_of_an_existing_archive_and_the_canned_query(tmp_path):
    path = tmp_path / "archive.db"
    db = sqlite_utils.Database(path)
    db.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
    for name, migration in MIGRATIONS:
        if name >= "m016":
            break
        migration(db)
        db.execute("INSERT INTO _migrations VALUES (?, 'then')", [name])
    db.conn.commit()
    insert(db.conn, ROWS)
    db.conn.commit()
    db.close()
    store = ArchiveStore(path)  # applies m016, which fills the table from the rows above
    assert store.conn.execute(DAILY).fetchall() == store.conn.execute(GROUPED).fetchall()
    store.close()

    ds = make_datasette(str(path))

    async def series(portal: str) -> list[tuple]:
        response = await ds.client.get(f"/archive/visit_counters_over_time.json?portal={portal}"
                                       "&_shape=array")
        assert response.status_code == 200, response.text[:300]
        return [(r["portal_id"], r["metric"], r["day"], r["value"], r["observations"])
                for r in response.json()]

    every, only_a, none = (asyncio.run(series(p)) for p in ("", "a", "c"))
    grouped = sqlite_utils.Database(path).execute(GROUPED).fetchall()
    assert every == grouped
    assert only_a == [r for r in grouped if r[0] == "a"]
    assert none == []
