"""What keeps search fast on a large archive without changing its answers: the search box's
match count reads the narrow id index (m017), ``vn_exact`` gives what splitting the text into
words gives, and the ranked canned query ranks at most the 10,000 most recently archived
matches of a very broad search."""

from __future__ import annotations

import asyncio
import random
import re
import sqlite3
import unicodedata

from crawler.cli.serve import make_datasette
from db import ArchiveStore
from db.datasette.folding import exact_words, fts_query

COUNT_SQL = ("SELECT count(*) FROM articles WHERE id IN (SELECT rowid FROM articles_folded_fts "
             "WHERE articles_folded_fts MATCH ?)")  # what Datasette runs for ?_search=


def reference_exact_words(query: str, text: str) -> int:
    words = re.compile(r"\w+")
    wanted = set(words.findall(unicodedata.normalize("NFC", query).casefold()[:2000]))
    return len(wanted & set(words.findall(unicodedata.normalize("NFC", text).casefold())))


def test_exact_words_is_the_word_set_intersection():
    rng = random.Random(8)
    letters = list("aăâbdđeêhiklnoôơtuưyÀẢẠ_19 .,-/ßồ\u0301\u0300") + ["Liêu ", "BÌNH "]
    for _ in range(5000):
        text = "".join(rng.choice(letters) for _ in range(rng.randrange(40)))
        query = "".join(rng.choice(letters) for _ in range(rng.randrange(12)))
        assert exact_words(query, text) == reference_exact_words(query, text), (query, text)
    many = " ".join(f"w{i}" for i in range(20))  # past the per-word lookups: one split
    assert exact_words(many, "w1 w19 w190 xw2") == 2
    assert exact_words("Bình Liêu", unicodedata.normalize("NFD", "BÌNH Liêu_x")) == 1


def test_broad_search_ranks_the_newest_matches_and_counts_from_the_id_index(tmp_path):
    path = tmp_path / "archive.db"
    store = ArchiveStore(path)
    store.upsert_portal({"id": "p", "name": "P"})
    # 10,500 articles say "dong"; the 100 oldest say it with a mark too, and in the title
    rows = [(n, "p", str(n), f"http://h/{n}", f"Dòng dòng dòng {n}" if n <= 100 else f"Tin {n}",
             "dong rieng" if n > 100 else "dòng dòng") for n in range(1, 10_501)]
    store.conn.executemany("INSERT INTO articles (id, portal_id, article_id, url, title, "
                           "body_text) VALUES (?, ?, ?, ?, ?, ?)", rows)
    store.close()
    conn = sqlite3.connect(path)
    plan = " ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + COUNT_SQL, ["x"]))
    assert "COVERING INDEX articles_ids" in plan, plan
    assert conn.execute(COUNT_SQL, [fts_query("dong")]).fetchone()[0] == 10_500
    conn.close()

    ds = make_datasette(str(path))

    async def ranked(q: str) -> list[dict]:
        response = await ds.client.get(f"/archive/search.json?q={q}&_shape=array")
        assert response.status_code == 200, response.text[:300]
        return response.json()

    broad = asyncio.run(ranked("dòng"))
    assert len(broad) == 500 and min(r["article"] for r in broad) > 500  # the newest 10,000
    narrow = asyncio.run(ranked("Dòng+7"))  # few matches: all ranked, the exact ones first
    assert [r["article"] for r in narrow][:1] == [7] and narrow[0]["exact_words"] == 2
