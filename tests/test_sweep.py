"""Hand-offs between the workers of a sharded crawl (crawler/sweep.py); the sweep itself runs
end to end in test_crawl_workers."""

from __future__ import annotations

from crawler.sweep import HandoffLog, handoff_path, read_articles, write_articles

URL = "http://127.0.0.1:9/Trang/ChiTietTinTuc.aspx?nid="


def test_each_article_written_once_and_read_back(tmp_path):
    path = handoff_path(tmp_path, "binhlieu-20261205T000000Z-ab12")
    log = HandoffLog(path)
    assert not path.exists()  # nothing handed off, no file
    for nid in (1, 2, 1, 3, 2):
        log.add(str(nid), f"{URL}{nid}")
    log.add("bad\tkey", URL + "4")  # would break the line format: not written
    log.close()
    assert path.read_text() == "".join(f"{n}\t{URL}{n}\n" for n in (1, 2, 3))
    again = HandoffLog(path)  # a resumed worker appends to its file
    again.add("5", URL + "5")
    again.close()
    assert list(read_articles([path])) == ["1", "2", "3", "5"]


def test_torn_and_foreign_lines_are_skipped(tmp_path):
    path = write_articles(tmp_path / "sweep.tsv", {"7": URL + "7"})
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("8\tjavascript:alert(1)\nno tab here\n\t" + URL + "9\n10\t" + URL + "10\n"
                 "11\thttp://127.0.0.1:9/Trang/Chi")  # the last line cut by a kill
    assert read_articles([path, tmp_path / "missing.tsv"]) == {"7": URL + "7",
                                                                "10": URL + "10"}


def test_leftovers_are_what_neither_the_workers_nor_an_earlier_sweep_archived(tmp_path):
    from crawler.sweep import leftovers
    from db import ArchiveStore
    from tests.test_db_store import article, capture

    store = ArchiveStore(tmp_path / "archive.db")
    store.upsert_portal({"id": "binhlieu", "name": "Bình Liêu", "base_url": "http://h/",
                         "family": "qnp", "start_urls": ["http://h/"], "allowed_hosts": ["h"]})
    crawls = [("w0", "2026-12-05T01:00:00Z", {"CRAWL_SHARD": "0/2"}),
              ("w1", "2026-12-05T01:00:01Z", {"CRAWL_SHARD": "1/2"}),
              ("old-sweep", "2026-12-04T01:00:00Z", {"CRAWL_SWEEP": "x.tsv"}),  # another run
              ("sweep", "2026-12-05T01:05:00Z", {"CRAWL_SWEEP": "y.tsv"})]
    for crawl_id, started, settings in crawls:
        store.start_crawl(crawl_id, "binhlieu", started, settings)
    for n, (crawl_id, nid) in enumerate([("w1", 1), ("sweep", 2), ("old-sweep", 3)], 1):
        url = f"http://h/Trang/ChiTietTinTuc.aspx?nid={nid}"
        cid = store.add_capture({**capture(n, url), "crawl_id": crawl_id})
        store.add_article(cid, "binhlieu", "t", article(url=url), str(nid), url)
    store.commit()
    store.close()
    log = HandoffLog(handoff_path(tmp_path, "w0"))
    for nid in (1, 2, 3, 4):
        log.add(str(nid), f"{URL}{nid}")
    log.close()
    run, missing = leftovers(tmp_path / "archive.db", tmp_path, "binhlieu", 2)
    assert run == ["w0", "w1", "sweep"]
    assert missing == {"3": URL + "3", "4": URL + "4"}  # 3 was archived by another run only
