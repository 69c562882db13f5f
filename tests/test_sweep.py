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
