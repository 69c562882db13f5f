"""The arithmetic of the hostile-web report (``tests/faults_report.py``; ``make faults`` runs
the report itself on a real crawl): what counts as data lost, and the table's shape."""

from __future__ import annotations

from collections import Counter

from tests.faults_report import Row, _lost, matcher, table

URL = "http://127.0.0.1:8000/faults/reset"


def test_a_response_sent_but_not_archived_is_lost():
    assert _lost({URL}, Counter({URL: 2}), Counter({URL: 2}), []) == 0
    assert _lost({URL}, Counter({URL: 2}), Counter({URL: 1}), []) == 1
    # an HTTP error row does not excuse a missing record: it points at one
    assert _lost({URL}, Counter({URL: 1}), Counter(), [{"url": URL, "kind": "http_500"}]) == 1
    # the crawler gave up first (the answer came after the timeout): nothing was received
    assert _lost({URL}, Counter({URL: 2}), Counter(), [{"url": URL, "kind": "timeout"}]) == 0


def test_fault_urls():
    loop = matcher("/faults/loop")
    assert loop("http://127.0.0.1:8000/faults/loop?n=3") and not loop(URL)
    article = matcher("nid=990001")
    assert article("http://127.0.0.1:8000/Trang/ChiTietTinTuc.aspx?nid=990001")
    assert not article("http://127.0.0.3:8000/Trang/ChiTietTinTuc.aspx?nid=990001")
    assert matcher("/faults/private")("http://127.0.0.3:8000/Trang/ChiTietTinTuc.aspx?nid=1")


def test_table():
    text = table([Row("/faults/big", "200 truncated (length); rows: too_large", 1, 1, 0)])
    head, rule, line = text.splitlines()
    assert head.split(" | ")[0].strip() == "fault" and set(rule) <= {"-", "+"}
    assert line.split("|")[-1].strip() == "0" and "truncated (length)" in line
