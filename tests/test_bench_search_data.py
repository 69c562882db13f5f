"""The query benchmark's generated archive (tests/bench_search_data.py): the project's schema,
the rows it promises, working full-text indexes and triggers, and the cache."""

from __future__ import annotations

import sqlite3

from db.datasette.folding import fts_query
from tests.bench_search_data import METRICS, archive


def test_generated_archive_is_the_projects_schema_and_is_cached(tmp_path):
    path, seconds = archive(30, tmp_path)  # archive() itself refuses a schema that differs
    assert seconds is not None and path.name.startswith("search-30-")
    conn = sqlite3.connect(path)
    count = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
    assert count("SELECT count(*) FROM articles") == 33  # 10 per portal + each founding one
    captures = count("SELECT count(*) FROM captures")
    assert count("SELECT count(*) FROM visit_counters") == captures * len(METRICS)
    assert count("SELECT count(*) FROM captures c JOIN articles a ON a.last_capture_id = c.id "
                 "AND a.first_captured_at = c.fetched_at AND a.url = c.url") == 33
    assert count("SELECT count(*) FROM articles WHERE julianday(published_at) < "
                 "julianday(first_captured_at)") == 33
    assert count("SELECT sum(observations) FROM visit_counters_daily") == captures * 5
    found = {r[0] for r in conn.execute("SELECT a.portal_id FROM articles_folded_fts f JOIN "
                                        "articles a ON a.id = f.rowid WHERE a.article_id = "
                                        "'35530' AND articles_folded_fts MATCH ?",
                                        [fts_query("Duong Manh Cuong")])}
    assert found == {"binhlieu", "tienyen", "bache"}  # the founding article of each portal
    conn.execute("INSERT INTO articles_folded_fts (articles_folded_fts) VALUES ('integrity-check')")
    # the FTS triggers were put back: a new article is searchable at once
    conn.execute("INSERT INTO articles (portal_id, article_id, title, body_text) "
                 "VALUES ('bache', 'x', 'Đường Qwzx', 'Nội dung')")
    assert count("SELECT count(*) FROM articles_folded_fts WHERE articles_folded_fts MATCH "
                 "'\"duong\" \"qwzx\"'") == 1
    conn.rollback()
    conn.close()
    assert archive(30, tmp_path) == (path, None)
