"""In a real browser (Debian's headless Chromium driven by Selenium + chromium-driver), against
a real ``portal-archive serve`` of a crawl of the replica (with its opt-in hostile article):
search ``binh lieu`` from the search box, reach the founding article and open its archived
page, download the CSV for Excel (of a table search and of a canned query's all rows) and
check its bytes, see the charts drawn (articles per month, publishing by weekday and hour,
visit counters over time), and check that crawled HTML runs no script.
Screenshots go to ``artifacts/browser/`` (gitignored)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.portal_fixture import (
    FAST_SETTINGS,
    ROOT,
    free_port,
    start_replica,
    stop,
    write_registry,
)
from tests.replica.model import FOUNDING_NID, HOSTILE_NID
from tests.replica.pages import HOSTILE_HTML

pytestmark = pytest.mark.e2e
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ARTIFACTS = ROOT / "artifacts" / "browser"
# Flags for a quiet, offline, throwaway browser (the user-data-dir is new for each run).
CHROMIUM_FLAGS = ("--headless=new", "--no-sandbox", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-gpu",
                  "--disable-quic", "--disable-sync", "--window-size=1280,1024")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    out = tmp_path_factory.mktemp("browser-crawl")
    proc, base = start_replica("--articles", "60", "--hostile")
    try:
        registry = write_registry(out / "registry.toml", base)
        crawl = subprocess.run(
            [sys.executable, "-m", "crawler.cli", "crawl", "binhlieu", "--registry",
             str(registry), "--out", str(out), *FAST_SETTINGS],
            cwd=ROOT, capture_output=True, text=True, timeout=300)
    finally:
        stop(proc)
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    db_path = out / "archive.db"
    conn = sqlite3.connect(db_path)
    hostile = conn.execute(
        "SELECT a.id, v.id, v.body_html FROM articles a JOIN article_versions v "
        "ON v.id = a.current_version_id WHERE a.article_id = ?", [str(HOSTILE_NID)]).fetchone()
    founding = conn.execute("SELECT id FROM articles WHERE article_id = ?",
                            [str(FOUNDING_NID)]).fetchone()
    assert hostile and founding and "<script" not in hostile[2]  # extraction sanitized it
    # Then assume extraction one day lets the replica's payload through unsanitized: what the
    # browser must still refuse to run. (A second version row, so the crawl's stays as it was.)
    conn.execute("INSERT INTO article_versions (article, version, content_hash, title, "
                 "body_html) VALUES (?, 99, 'raw', 'raw payload', ?)",
                 [hostile[0], HOSTILE_HTML + "<p>Nội dung thô</p>"])
    raw_version = conn.execute("SELECT last_insert_rowid()").fetchone()[0]
    # The crawl saw the counters on one day; add the two days before it (as daily crawls
    # would have), so the visit-counters chart has lines to draw, not lone points.
    crawled = conn.execute("SELECT max(id) FROM visit_counters").fetchone()[0]
    for days, less in ((1, 150), (2, 400)):
        conn.execute(
            "INSERT INTO visit_counters (portal_id, captured_at, capture_id, metric, value, "
            "label_raw, value_raw) SELECT portal_id, strftime('%Y-%m-%dT%H:%M:%fZ', "
            "captured_at, ?), capture_id, metric, max(value - ?, 0), label_raw, value_raw "
            "FROM visit_counters WHERE id <= ?", [f"-{days} days", less, crawled])
    conn.commit()
    conn.close()
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "crawler.cli", "serve", "--db", str(db_path),
                             "--port", str(port)], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                with urllib.request.urlopen(url + "/archive.json", timeout=2):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("datasette did not answer")
        yield {"url": url, "founding": founding[0], "hostile": hostile[0],
               "hostile_version": hostile[1], "raw_version": raw_version}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    # stopping `portal-archive serve` stops its Datasette too
    with pytest.raises(OSError):
        urllib.request.urlopen(url + "/archive.json", timeout=2)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
        pytest.fail("chromium and chromium-driver are missing: run `make setup`")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tmp_path_factory.mktemp("chromium-profile")
    downloads = tmp_path_factory.mktemp("downloads")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {
        "download.default_directory": str(downloads), "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.downloads = downloads
    yield driver
    driver.quit()


def wait_for(condition, timeout: float = 15.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def shot(driver, name: str) -> None:
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def test_search_box_binh_lieu_reaches_the_founding_article(server, browser):
    from selenium.webdriver.common.by import By

    browser.get(server["url"] + "/archive/articles")
    box = browser.find_element(By.ID, "_search")
    box.send_keys("binh lieu")
    box.submit()
    wait_for(lambda: "_search=binh+lieu" in browser.current_url, what="search results")
    shot(browser, "search-binh-lieu")
    for _page in range(5):  # as a person would: look down the page, else the next one
        rows = [r for r in browser.find_elements(By.CSS_SELECTOR, "tbody tr")
                if "Họp Ban thường vụ HU" in r.text]
        if rows:
            break
        browser.find_element(By.LINK_TEXT, "Next page").click()
    assert rows, "the founding article is not in the results"
    row = rows[0]
    row.find_element(By.CSS_SELECTOR, "td a").click()
    wait_for(lambda: browser.current_url.endswith(f"/archive/articles/{server['founding']}"),
             what="the article page")
    frame = browser.find_element(By.CSS_SELECTOR, "iframe.archived-body")
    browser.switch_to.frame(frame)
    body = browser.find_element(By.TAG_NAME, "body").text
    browser.switch_to.default_content()
    assert "Dương Mạnh Cường" in body and "dong riềng" in body
    browser.execute_script("arguments[0].scrollIntoView()", frame)
    shot(browser, "founding-article")
    links = browser.find_element(By.TAG_NAME, "body").text
    assert "article_versions" in links and "article_captures" in links
    # And on to the page as it was archived: the replay link of its last capture.
    browser.find_element(By.CSS_SELECTOR, "a.replay").click()
    wait_for(lambda: "/-/replay/" in browser.current_url, what="the archived page")
    banner = wait_for(lambda: browser.find_elements(By.ID, "portal-archive-banner"),
                      what="the archive banner")[0]
    assert banner.is_displayed()
    assert f"ChiTietTinTuc.aspx?nid={FOUNDING_NID}" in banner.find_element(
        By.CSS_SELECTOR, "code.url").text
    assert banner.find_element(By.CSS_SELECTOR, "code.record-id").text.startswith("<urn:uuid:")
    assert banner.find_element(By.CSS_SELECTOR, "time.captured").text.startswith("20")
    page = browser.find_element(By.TAG_NAME, "body").text
    assert "Họp Ban thường vụ HU" in page and "Dương Mạnh Cường" in page
    assert "27/01/2022 10:16" in page and "Đã truy cập" in page
    shot(browser, "founding-archived-page")


def test_search_box_leads_to_the_ranked_search(server, browser):
    from selenium.webdriver.common.by import By

    browser.get_log("browser")  # drop what earlier pages logged
    browser.get(server["url"] + "/archive/articles")
    # our scripts (links, charts, exports) run without an error on the page
    assert [e["message"] for e in browser.get_log("browser") if e["source"] == "javascript"
            ] == []
    browser.find_element(By.ID, "_search").send_keys("Dương Mạnh Cường")
    browser.find_element(By.LINK_TEXT, "Xếp hạng theo mức liên quan / Ranked by relevance"
                         ).click()
    wait_for(lambda: "/archive/search?q=" in browser.current_url, what="the ranked search")
    rows = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "tbody tr"),
                    what="ranked results")
    assert "Họp Ban thường vụ HU" in rows[0].text  # the exact-diacritics match comes first
    shot(browser, "ranked-search")
    rows[0].find_element(By.CSS_SELECTOR, "td a").click()
    wait_for(lambda: browser.current_url.endswith(f"/archive/articles/{server['founding']}"),
             what="the article page")


def test_fast_search_page_from_the_table_search_box(server, browser):
    """The articles search box's "Fast search" link opens articles_search with what was typed:
    the matches counted, the index cursor column not shown, the id leading to the article."""
    from selenium.webdriver.common.by import By

    browser.get_log("browser")
    browser.get(server["url"] + "/archive/articles")
    browser.find_element(By.ID, "_search").send_keys("Duong Manh Cuong")
    browser.find_element(By.LINK_TEXT, "Tìm nhanh / Fast search").click()
    wait_for(lambda: "/archive/articles_search?_search=" in browser.current_url,
             what="the fast search page")
    rows = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "tbody tr"),
                    what="fast search results")
    assert [e["message"] for e in browser.get_log("browser") if e["source"] == "javascript"
            ] == []
    searched = server["url"] + "/archive/articles.json?_search=Duong+Manh+Cuong"
    with urllib.request.urlopen(searched) as response:
        table = json.load(response)
    count = table["filtered_table_rows_count"]
    assert count == len(rows) and count > 1
    assert browser.find_element(By.TAG_NAME, "h3").text.startswith(
        f'{count} rows where search matches "Duong Manh Cuong"')
    assert browser.find_element(By.ID, "_search").get_attribute("value") == "Duong Manh Cuong"
    assert "_nocol=search_match" in browser.current_url  # and in its CSV and JSON links
    assert not [th for th in browser.find_elements(By.CSS_SELECTOR, "th.col-search_match")
                if th.is_displayed()]
    csv_link = browser.find_element(By.LINK_TEXT, "CSV").get_attribute("href")
    assert "_nocol=search_match" in csv_link
    ids = [int(r.find_element(By.CSS_SELECTOR, "td.col-id").text) for r in rows]
    assert ids == sorted(ids, reverse=True)  # newest first
    shot(browser, "fast-search")
    founding = rows[ids.index(server["founding"])]
    assert "Họp Ban thường vụ HU" in founding.text
    founding.find_element(By.CSS_SELECTOR, "td.col-id a").click()
    wait_for(lambda: browser.current_url.endswith(f"/archive/articles/{server['founding']}"),
             what="the article page")


def test_csv_for_excel_download_has_bom_and_vietnamese(server, browser):
    from selenium.webdriver.common.by import By

    browser.get(server["url"] + "/archive/articles_browse?_search=Duong+Manh+Cuong&year=2022")
    link = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "a.csv-excel"),
                    what="the CSV for Excel link")[0]
    link.click()
    target = browser.downloads / "articles_browse-excel.csv"
    wait_for(lambda: target.exists() and target.stat().st_size > 0
             and not list(browser.downloads.glob("*.crdownload")), what="the download")
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfid,portal,province,district,category,author,")
    assert "Họp Ban thường vụ HU".encode() in data and b"\r\n" in data
    assert "Quảng Ninh".encode() in data


def test_canned_query_all_rows_for_excel(server, browser):
    from selenium.webdriver.common.by import By

    browser.get(server["url"] + "/archive/visit_counters_over_time?portal=binhlieu")
    line = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "p.export-all-rows"),
                    what="the all-rows links")[0]
    line.find_element(By.LINK_TEXT, "CSV for Excel").click()
    target = browser.downloads / "visit_counters_over_time-excel.csv"
    wait_for(lambda: target.exists() and target.stat().st_size > 0
             and not list(browser.downloads.glob("*.crdownload")), what="the download")
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfportal_id,metric,day,value,observations\r\n")
    assert data.count(b"\r\n") == 1 + 6  # two metrics on three days


@pytest.mark.parametrize("query", ["articles_per_month", "publishing_by_weekday_hour",
                                   "visit_counters_over_time"])
def test_chart_renders(server, browser, query):
    from selenium.webdriver.common.by import By

    browser.get(f"{server['url']}/archive/{query}")
    browser.find_element(By.LINK_TEXT, "Biểu đồ / Show the chart").click()
    graphic = wait_for(lambda: [e for e in browser.find_elements(
        By.CSS_SELECTOR, ".datasette-vega canvas, .datasette-vega svg, canvas.marks, svg.marks")
        if e.size["width"] > 100 and e.size["height"] > 50], what="a drawn chart")[0]
    if graphic.tag_name == "canvas":
        # Axes, grid and labels are grey; the data (bars, lines, circles) is drawn in the
        # scheme's colours: count the strongly coloured pixels. An empty chart (axes and a
        # legend only: a line chart with one point per series) has a few dozen.
        coloured = browser.execute_script(
            "const c = arguments[0], d = c.getContext('2d').getImageData(0, 0, c.width,"
            " c.height).data; let n = 0; for (let i = 0; i < d.length; i += 4) {"
            " const hi = Math.max(d[i], d[i+1], d[i+2]), lo = Math.min(d[i], d[i+1], d[i+2]);"
            " if (d[i+3] > 128 && hi - lo > 60) n++; } return n;", graphic)
        assert coloured > 300, coloured
    else:
        assert graphic.find_elements(By.CSS_SELECTOR, "path, rect")
    browser.execute_script("arguments[0].scrollIntoView()", graphic)
    shot(browser, f"chart-{query}")


def test_hostile_article_runs_no_script(server, browser):
    from selenium.webdriver.common.by import By

    pages = [f"/archive/articles/{server['hostile']}",
             f"/archive/article_versions/{server['hostile_version']}",
             f"/archive/article_versions/{server['raw_version']}",
             f"/archive/article_versions?article={server['hostile']}"]
    for n, page in enumerate(pages):
        browser.get(server["url"] + page)
        time.sleep(0.3)  # time for a <script> or an onerror handler to run, if it could
        assert browser.execute_script("return window.__pwned === undefined"), page
        frames = browser.find_elements(By.CSS_SELECTOR, "iframe.archived-body")
        assert frames, page
        for frame in frames:
            assert frame.get_attribute("sandbox") == ""
            browser.switch_to.frame(frame)
            for anchor in browser.find_elements(By.TAG_NAME, "a"):
                assert anchor.is_displayed(), "the crawled <style> was applied"
                anchor.click()  # javascript: links and onclick handlers must stay inert
            assert browser.execute_script("return window.__pwned === undefined") in (True, None)
            browser.switch_to.default_content()
        assert browser.execute_script("return window.__pwned === undefined"), page
        browser.execute_script("arguments[0].scrollIntoView()", frames[-1])
        shot(browser, f"hostile-{n}")
    assert "Nội dung thô" in json.dumps(browser.page_source, ensure_ascii=False)
