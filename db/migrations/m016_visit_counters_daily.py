"""Migration m016_visit_counters_daily: visit counters rolled up per portal, metric and day.

Every captured page carries the site's counter widget, so ``visit_counters`` grows by one row
per metric per page (five million rows for an archive of a million articles), and the canned
query *visit counters over time* grouped all of them on every request (seconds). This table
holds its answer: one row per ``portal_id``, ``metric`` and ``day`` (the UTC date of
``captured_at``) with the day's highest ``value`` and its number of ``observations``.

A derived table like the FTS indexes, never written directly: triggers on ``visit_counters``
keep it in step (an insert folds its value in; a delete or update recomputes the groups it
touched from ``visit_counters``), so a crawl, ``portal-archive reindex`` and this migration's
backfill all give the same rows.
"""

from __future__ import annotations

import sqlite_utils

# One group recomputed from visit_counters (the index on portal_id, metric, captured_at keeps it
# a range read); a group left without rows disappears.
RECOMPUTE = """
    DELETE FROM visit_counters_daily
     WHERE portal_id = {r}.portal_id AND metric = {r}.metric
       AND day = substr({r}.captured_at, 1, 10);
    INSERT INTO visit_counters_daily (portal_id, metric, day, value, observations)
    SELECT portal_id, metric, substr(captured_at, 1, 10), max(value), count(*)
      FROM visit_counters
     WHERE portal_id = {r}.portal_id AND metric = {r}.metric
       AND captured_at >= substr({r}.captured_at, 1, 10)
       AND captured_at < substr({r}.captured_at, 1, 10) || '~'
       AND substr(captured_at, 1, 10) = substr({r}.captured_at, 1, 10)
     GROUP BY portal_id, metric;
"""


def migrate(db: sqlite_utils.Database) -> None:
    db.execute(
        "CREATE TABLE visit_counters_daily (portal_id TEXT NOT NULL, metric TEXT NOT NULL, "
        "day TEXT NOT NULL, value INTEGER, observations INTEGER NOT NULL, "
        "PRIMARY KEY (portal_id, metric, day)) WITHOUT ROWID"
    )
    db.execute(
        "INSERT INTO visit_counters_daily (portal_id, metric, day, value, observations) "
        "SELECT portal_id, metric, substr(captured_at, 1, 10), max(value), count(*) "
        "FROM visit_counters WHERE portal_id IS NOT NULL AND metric IS NOT NULL "
        "AND captured_at IS NOT NULL GROUP BY 1, 2, 3"
    )
    db.execute(
        "CREATE TRIGGER visit_counters_daily_ai AFTER INSERT ON visit_counters "
        "WHEN new.portal_id IS NOT NULL AND new.metric IS NOT NULL "
        "AND new.captured_at IS NOT NULL BEGIN "
        "INSERT INTO visit_counters_daily (portal_id, metric, day, value, observations) "
        "VALUES (new.portal_id, new.metric, substr(new.captured_at, 1, 10), new.value, 1) "
        "ON CONFLICT (portal_id, metric, day) DO UPDATE SET "
        # scalar max() is NULL if either side is: keep the aggregate's NULL-skipping meaning
        "value = coalesce(max(value, excluded.value), value, excluded.value), "
        "observations = observations + 1; END"
    )
    db.execute(
        "CREATE TRIGGER visit_counters_daily_ad AFTER DELETE ON visit_counters BEGIN "
        f"{RECOMPUTE.format(r='old')} END"
    )
    db.execute(
        "CREATE TRIGGER visit_counters_daily_au AFTER UPDATE OF portal_id, metric, captured_at, "
        f"value ON visit_counters BEGIN {RECOMPUTE.format(r='old')} "
        f"{RECOMPUTE.format(r='new')} END"
    )
