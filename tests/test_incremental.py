"""Unit tests of incremental crawling: the replica's clock, the link policy of an incremental
crawl, change/takedown rows in the store, run reports and portal health (offline, no crawl)."""

from __future__ import annotations

import json
import sys

import pytest

from crawler.incremental import IncrementalPlan, is_first_page, is_next_page
from crawler.registry import portal_from_dict
from crawler.scheduling.scheduler import SubprocessLauncher
from db import ArchiveStore
from db.changes import is_gone, portal_health, run_reports
from tests.portal_fixture import ROOT
from tests.replica import ReplicaSite
from tests.replica.model import EDIT_NOTE

BASE = "http://127.0.0.1:1/"
LISTING = BASE + "Trang/Tin-tuc-su-kien.aspx?Cat=82"


# -- the replica's clock -----------------------------------------------------------------
@pytest.fixture(scope="module")
def days():
    return ReplicaSite(articles=60), ReplicaSite(articles=60, day=2)


def test_day1_is_the_default_site(days):
    day1, _ = days
    again = ReplicaSite(articles=60, day=1)
    assert day1.day_changes.new == () and again.day_changes == day1.day_changes
    for target in ("/Trang/Default.aspx", "/Trang/Tin-tuc-su-kien.aspx?Cat=83",
                   day1.newest[0].url):
        assert day1.resolve(target).body(1, False) == again.resolve(target).body(1, False)


def test_day2_adds_edits_removes_and_redates(days):
    day1, day2 = days
    truth = day2.day_changes
    assert (len(truth.new), len(truth.edited), len(truth.removed), len(truth.redated)) == (
        5, 2, 1, 1)
    newest = {a.nid for a in day2.newest[:5]}
    assert newest == set(truth.new) and not newest & set(day1.by_nid)
    for nid in truth.new:  # on page 1 of its category listing
        cat = day2.by_nid[nid].category
        page = day2.resolve(f"/Trang/Tin-tuc-su-kien.aspx?Cat={cat}").body(1, False)
        assert f"nid={nid}".encode() in page
    for nid in truth.edited:
        assert EDIT_NOTE in day2.by_nid[nid].text and EDIT_NOTE not in day1.by_nid[nid].text
        assert day2.by_nid[nid].published == day1.by_nid[nid].published
    gone = truth.removed[0]
    assert day2.resolve(f"/Trang/ChiTietTinTuc.aspx?nid={gone}").status == 404
    cat = day1.by_nid[gone].category
    listing = b"".join(day2.resolve(f"/Trang/Tin-tuc-su-kien.aspx?Cat={cat}&Page={n}"
                                    ).body(1, False) for n in range(1, day2.pages_of(cat) + 1))
    assert f"nid={gone}&".encode() not in listing and f"nid={gone}\"".encode() not in listing
    moved = truth.redated[0]
    before, after = day1.by_nid[moved], day2.by_nid[moved]
    assert after.published != before.published and after.text == before.text
    page = day2.resolve(after.url).body(1, False).decode()
    assert f'<div class="news-date">{after.published}</div>' in page


def test_replica_answers_conditional_requests(days):
    from tests.replica.server import not_modified

    _, day2 = days
    response = day2.resolve(day2.newest[-1].url)
    assert not_modified({"If-None-Match": response.etag}, response)
    assert not not_modified({"If-None-Match": 'W/"00000000"'}, response)
    # If-None-Match wins over a matching date
    assert not not_modified({"If-None-Match": 'W/"0"',
                             "If-Modified-Since": response.last_modified}, response)
    assert not_modified({"If-Modified-Since": response.last_modified}, response)
    edited = day2.resolve(day2.by_nid[day2.day_changes.edited[0]].url)
    day1 = ReplicaSite(articles=60).resolve(day2.by_nid[day2.day_changes.edited[0]].url)
    assert not not_modified({"If-Modified-Since": day1.last_modified}, edited)


# -- the link policy -----------------------------------------------------------------------
def test_next_page_and_first_page():
    assert is_next_page(LISTING, LISTING + "&Page=2")
    assert is_next_page(LISTING + "&page=2", LISTING + "&Page=3")
    assert not is_next_page(LISTING, LISTING + "&Page=3")
    assert not is_next_page(LISTING, BASE + "Trang/Tin-tuc-su-kien.aspx?Cat=83&Page=2")
    assert is_next_page("https://x.gov.vn/tin-tuc/page-2", "https://x.gov.vn/tin-tuc/page-3")
    assert is_next_page("https://x.gov.vn/tin-tuc", "https://x.gov.vn/tin-tuc/page-2")
    assert is_first_page(LISTING) and is_first_page(LISTING + "&Page=1")
    assert not is_first_page(LISTING + "&Page=4")


def _article(nid: int, published: str, captured: str = "2026-01-01T00:00:00Z") -> dict:
    return {"article_id": str(nid), "url": f"{BASE}Trang/ChiTietTinTuc.aspx?nid={nid}",
            "published_at": published, "last_captured_at": captured, "removed_at": None}


def _plan(overlap: int = 1) -> IncrementalPlan:
    known = {str(n): _article(n, f"2024-{m:02d}-01T08:00:00+07:00")
             for n, m in ((1, 1), (2, 2), (3, 3), (4, 11), (5, 12))}
    pages = {LISTING: "listing", LISTING + "&Page=2": "listing", LISTING + "&Page=3": "listing",
             BASE + "Trang/GioiThieu.aspx": "other"}
    return IncrementalPlan(known, pages, overlap=overlap, revisit_days=40, sample=2, seed="c1")


def art(nid: int) -> tuple[str, str]:
    return f"{BASE}Trang/ChiTietTinTuc.aspx?nid={nid}", str(nid)


def test_listing_walk_stops_after_the_overlap():
    plan = _plan()
    page2 = (LISTING + "&Page=2", None)
    # page 1 shows a new article: the new one and the next page are followed
    assert plan.select(LISTING, "listing", [art(9), art(5), page2]) == [art(9)[0], page2[0]]
    # page 2 shows nothing new: one page of overlap, so page 3 is not walked
    assert plan.select(page2[0], "listing", [art(4), (LISTING + "&Page=3", None)]) == []
    # with two pages of overlap it is
    plan2 = _plan(overlap=2)
    assert plan2.select(LISTING, "listing", [art(5), page2]) == [page2[0]]
    assert plan2.select(page2[0], "listing", [(LISTING + "&Page=3", None)]) == []


def test_known_pages_are_skipped_new_pages_and_entries_followed():
    plan = _plan()
    links = [(BASE + "Trang/GioiThieu.aspx", None), (BASE + "Trang/New.aspx", None),
             (LISTING, None), art(2), art(77)]
    assert plan.select(BASE + "Trang/Default.aspx", "home", links) == [
        BASE + "Trang/New.aspx", LISTING, art(77)[0]]
    # from a listing, its own first page is not an entry to walk again
    assert plan.select(LISTING + "&Page=2", "listing", [(LISTING, None)]) == []


def test_revisits_recent_plus_a_rotating_sample():
    plan = _plan()
    chosen = [a["article_id"] for a in plan.revisits()]
    assert chosen[:2] == ["4", "5"] and len(chosen) == 4  # within 40 days of the newest
    assert chosen == [a["article_id"] for a in _plan().revisits()]  # deterministic
    plan.articles["1"]["last_captured_at"] = "2026-06-01T00:00:00Z"  # just revisited
    assert "1" not in [a["article_id"] for a in plan.revisits()]
    plan.articles["5"]["removed_at"] = "2026-06-01T00:00:00Z"
    assert "5" not in [a["article_id"] for a in plan.revisits()]


def test_scheduler_passes_the_mode(tmp_path):
    portal = portal_from_dict({"id": "x", "name": "X", "base_url": "https://x.gov.vn/"}, "t")
    command = SubprocessLauncher(tmp_path).command(portal, "incremental")
    assert command[0] == sys.executable and command[-2:] == ["--mode", "incremental"]


# -- the store: takedowns, re-dating, reports, health ---------------------------------------
def test_is_gone():
    assert is_gone(404, None) and is_gone(410, None)
    assert is_gone(302, "https://x.gov.vn/") and is_gone(301, "https://x.gov.vn/Trang/Default.aspx")
    assert not is_gone(301, "https://x.gov.vn/Trang/ChiTietTinTuc.aspx?nid=3")
    assert not is_gone(304, None) and not is_gone(200, None) and not is_gone(503, None)


def _capture(crawl: str, n: int, url: str, status: int, redirect: str | None = None) -> dict:
    return {"crawl_id": crawl, "portal_id": "x", "url": url, "status": status,
            "fetched_at": f"2026-01-0{n}T00:00:00Z", "redirect_to": redirect,
            "warc_record_id": f"<urn:{crawl}:{n}:{url}>", "content_length": 10}


def _record(url: str, date: str, body: str) -> dict:
    return {"url": url, "title": "T", "published_at": date, "body_text": body,
            "page_type": "article"}


@pytest.fixture
def store(tmp_path):
    store = ArchiveStore(tmp_path / "a.db")
    store.upsert_portal({"id": "x", "name": "X", "base_url": "https://x.gov.vn/",
                         "start_urls": ["https://x.gov.vn/"], "allowed_hosts": ["x.gov.vn"]})
    yield store
    store.close()


def test_store_records_new_changed_redated_removed_restored(store):
    url = "https://x.gov.vn/Trang/ChiTietTinTuc.aspx?nid=7"
    day = "2024-01-01T08:00:00+07:00"
    for crawl, n in (("c1", 1), ("c2", 2), ("c3", 3), ("c4", 4), ("c5", 5)):
        store.start_crawl(crawl, "x", f"2026-01-0{n}T00:00:00Z", {})
        store.add_capture(_capture(crawl, n, "https://x.gov.vn/", 200))
    pages = {1: (200, _record(url, day, "a")), 2: (200, _record(url, day, "b")),
             3: (200, _record(url, "2024-01-02T08:00:00+07:00", "b")), 4: (302, None),
             5: (200, _record(url, "2024-01-02T08:00:00+07:00", "b"))}
    for n, (status, record) in pages.items():
        redirect = "https://x.gov.vn/Trang/Default.aspx" if status == 302 else None
        cid = store.add_capture(_capture(f"c{n}", n, url, status, redirect))
        if record:
            store.add_article(cid, "x", f"2026-01-0{n}T00:00:00Z", record, "7", url)
        if n == 4:
            row = store.conn.execute("SELECT removed_at, removed_status FROM articles"
                                     ).fetchone()
            assert row == ("2026-01-04T00:00:00Z", 302)
    kinds = store.conn.execute("SELECT crawl_id, kind, old, new FROM article_events "
                               "ORDER BY id").fetchall()
    assert [(c, k) for c, k, _, _ in kinds] == [
        ("c1", "new"), ("c2", "changed"), ("c3", "redated"), ("c4", "removed"),
        ("c5", "restored")]
    assert kinds[1][3] == "body_text" and kinds[2][2:] == (day, "2024-01-02T08:00:00+07:00")
    row = store.conn.execute("SELECT removed_at, redated, versions FROM articles").fetchone()
    assert row == (None, 1, 3)
    for n in range(1, 6):
        store.finish_crawl(f"c{n}", f"2026-01-0{n}T00:01:00Z", "finished", "finished", {})
    reports = {r["id"]: r for r in run_reports(store.conn)}
    assert reports["c2"]["changed"] == 1 and reports["c3"]["redated"] == 1
    assert reports["c3"]["changed"] == 0 and reports["c4"]["removed"] == 1
    assert reports["c1"]["new"] == 1 and reports["c5"]["unchanged"] == 1
    assert reports["c1"]["seconds"] == 60.0 and reports["c1"]["fetched"] == 2


def test_portal_health_kinds(store):
    def health(crawl: str, captures: list[tuple[str, int, str | None]], stats: dict):
        store.start_crawl(crawl, "x", "2026-01-01T00:00:00Z", {})
        for n, (url, status, target) in enumerate(captures, 1):
            store.add_capture(_capture(crawl, n, url, status, target))
        return portal_health(store.conn, crawl, "x", stats)

    home = "https://x.gov.vn/"
    assert health("ok", [(home, 302, home + "Trang/Default.aspx"),
                         (home + "Trang/Default.aspx", 200, None)], {})[0] == "ok"
    assert health("moved", [(home, 301, "https://tinh.gov.vn/donvi/x")], {}) == (
        "redirected", "301", "https://tinh.gov.vn/donvi/x")
    assert health("err", [(home, 500, None)], {}) == ("http_error", "500", None)
    exc = "downloader/exception_type_count/"
    assert health("dns", [], {exc + "twisted.internet.error.DNSLookupError": 3})[0] == (
        "dns_failure")
    assert health("tls", [], {exc + "OpenSSL.SSL.Error": 1})[0] == "tls_failure"
    assert health("tls2", [], {exc + "scrapy.exceptions.DownloadFailedError": 3,
                               "failures/start/tls": 3})[0] == "tls_failure"
    assert health("dns2", [], {exc + "scrapy.exceptions.CannotResolveHostError": 1})[0] == (
        "dns_failure")
    assert health("refused", [], {exc + "scrapy.exceptions.DownloadConnectionRefusedError": 3}
                  ) == ("network_error", "scrapy.exceptions.DownloadConnectionRefusedError",
                        None)
    assert health("robots", [(home + "robots.txt", 200, None)],
                  {"robotstxt/forbidden": 1})[0] == "robots_disallowed"


def test_status_change_canned_query(store):
    metadata = json.loads((ROOT / "db" / "datasette" / "metadata.json").read_text("utf-8"))
    sql = metadata["databases"]["archive"]["queries"]["portal_status_changes"]["sql"]
    rows = [("c1", "2026-01-01T00:00:00Z", "ok", None), ("c2", "2026-01-02T00:00:00Z", "ok", None)]
    for crawl, at, status, target in rows:
        store.start_crawl(crawl, "x", at, {})
        store.conn.execute("INSERT INTO portal_health VALUES (?, 'x', ?, ?, NULL, ?)",
                           [crawl, at, status, target])
    assert store.conn.execute(sql).fetchall() == []
    store.start_crawl("c3", "x", "2026-01-03T00:00:00Z", {})
    store.conn.execute("INSERT INTO portal_health VALUES ('c3', 'x', '2026-01-03T00:00:00Z', "
                       "'redirected', '301', 'https://tinh.gov.vn/')")
    changed = store.conn.execute(sql).fetchall()
    assert [(r[0], r[1], r[2], r[4]) for r in changed] == [
        ("x", "ok", "redirected", "https://tinh.gov.vn/")]
