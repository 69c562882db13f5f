"""Tests of the offline QNP replica (tests/replica): HTTP, ground truth, determinism, CLI."""

from __future__ import annotations

import gzip
import html
import http.client
import re
import subprocess
import sys
import time
import unicodedata
import urllib.request
import urllib.robotparser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # plain `pytest` (not `python -m pytest`) only adds tests/
    sys.path.insert(0, str(ROOT))

from tests.replica import ReplicaSite, serve_in_thread  # noqa: E402
from tests.replica.__main__ import main as replica_main  # noqa: E402

ARTICLE = "/Trang/ChiTietTinTuc.aspx?nid={}"
LISTING = "/Trang/Tin-tuc-su-kien.aspx?Cat={}"
ITEM_LINK = re.compile(r'<h2 class="news-item-title"><a href="([^"]*)">')
NID = re.compile(r"nid=(\d+)")


@pytest.fixture(scope="module")
def replica():
    site = ReplicaSite(articles=60, seed=1, chrome_kb=20)
    server, base_url = serve_in_thread(site)
    yield site, server, base_url.rstrip("/")
    server.shutdown()
    server.server_close()


def get(base: str, path: str, headers: dict[str, str] | None = None
        ) -> tuple[int, dict[str, str], bytes]:
    """One request on its own connection, redirects not followed."""
    port = int(base.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def text_of(fragment: str) -> str:
    """What an extractor should get: entities decoded, NFC, NBSP as space, spaces collapsed."""
    plain = unicodedata.normalize("NFC", html.unescape(re.sub(r"<[^>]+>", "", fragment)))
    return " ".join(plain.replace("\xa0", " ").split())


def detail(page: str) -> str:
    return page[page.index('<div class="news-detail">'):page.index('<div class="col-right">')]


def body_paragraphs(page: str) -> list[str]:
    content = page[page.index('<div class="news-content'):page.index('<div class="news-tools">')]
    return [t for t in (text_of(p) for p in re.findall(r"<p[^>]*>(.*?)</p>", content)) if t]


def test_root_redirects_to_home(replica):
    _, _, base = replica
    status, headers, _ = get(base, "/")
    assert status == 302 and headers["Location"] == "/Trang/Default.aspx"
    with urllib.request.urlopen(base + "/") as response:  # urllib follows the redirect
        page = response.read().decode()
    assert response.url.endswith("/Trang/Default.aspx")
    assert "CỔNG THÔNG TIN ĐIỆN TỬ HUYỆN BÌNH LIÊU" in page
    assert len(ITEM_LINK.findall(page)) == 10


def test_robots_txt_and_disallowed_links(replica):
    site, _, base = replica
    status, headers, body = get(base, "/robots.txt")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    robots = urllib.robotparser.RobotFileParser()
    robots.parse(body.decode().splitlines())
    assert not robots.can_fetch("*", base + "/Trang/TimKiem.aspx?k=")
    assert not robots.can_fetch("*", base + "/Trang/GuiYKien.aspx?nid=1")
    assert not robots.can_fetch("*", base + "/_layouts/15/init.js")
    assert robots.can_fetch("*", base + ARTICLE.format(site.founding_nid))
    page = get(base, ARTICLE.format(site.founding_nid))[2].decode()
    assert 'href="/Trang/TimKiem.aspx"' in page  # menu link into a disallowed path
    assert 'href="/Trang/TimKiem.aspx?k=' in page  # sidebar search widget
    assert 'href="http://www.quangninh.gov.vn/' in page  # off-host, not to be followed


def test_listing_pages_newest_first_with_get_and_postback_pagers(replica):
    site, _, base = replica
    cat = max(site.by_category, key=lambda c: len(site.by_category[c]))
    expected = [a.nid for a in site.by_category[cat]]
    assert len(expected) > 20
    status, headers, first = get(base, LISTING.format(cat))
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    status, _, second = get(base, LISTING.format(cat) + "&Page=2")
    assert status == 200
    first_page, second_page = first.decode(), second.decode()
    nids1 = [int(NID.search(h).group(1)) for h in ITEM_LINK.findall(first_page)]
    nids2 = [int(NID.search(h).group(1)) for h in ITEM_LINK.findall(second_page)]
    assert nids1 == expected[:10] and nids2 == expected[10:20]
    assert f'href="/Trang/Tin-tuc-su-kien.aspx?Cat={cat}&amp;Page=2"' in first_page
    assert "__doPostBack(" in first_page and "Page$2" in first_page
    assert re.search(r'<img src="/PublishingImages/[^"]+\.jpg"', first_page)
    assert get(base, LISTING.format(cat) + "&Page=999")[0] == 404


def test_founding_article_is_reproduced(replica):
    site, _, base = replica
    founding = site.by_nid[site.founding_nid]
    assert (founding.title, founding.published, founding.author, founding.category) == (
        "Họp Ban thường vụ HU", "27/01/2022 10:16", "Thu Hằng", 82)
    for _ in range(2):  # counters are fixed on this page, whatever the hit count
        page = get(base, ARTICLE.format(site.founding_nid))[2].decode()
        assert '<span class="label">Hôm nay:</span> <span class="value">323</span>' in page
        assert '<span class="label">Đã truy cập:</span> <span class="value">2481457</span>' in page
    assert "<title>\r\n\tHọp Ban thường vụ HU - Cổng thông tin điện tử huyện Bình Liêu" in page
    assert '<h1 class="news-title">Họp Ban thường vụ HU</h1>' in page
    assert '<div class="news-date">27/01/2022 10:16</div>' in page
    assert re.search(r"<strong>Thu Hằng</strong></p>\s*</div>\s*<div class=\"news-tools\">"
                     r"<a href=\"/Trang/GuiYKien.aspx\?nid=35530\">Gửi ý kiến phản hồi", page)
    body = " ".join(body_paragraphs(page))
    for words in ("Bình Liêu", "dong riềng", "đồng chí Dương Mạnh Cường, Bí thư Huyện ủy"):
        assert words in body
    assert "<p>&nbsp;&nbsp;&nbsp;&nbsp;" in page
    listing = get(base, LISTING.format(82))[2].decode()
    assert ARTICLE.format(site.founding_nid) in listing


def test_twin_urls_serve_the_same_article(replica):
    site, _, base = replica
    article = site.by_category[85][0]
    canonical = detail(get(base, ARTICLE.format(article.nid))[2].decode())
    for twin in (f"{ARTICLE.format(article.nid)}&title={article.slug}.html",
                 f"/trang/chitiettintuc.aspx?nid={article.nid}",
                 f"/TRANG/ChiTietTinTuc.aspx?NID={article.nid}"):
        status, _, body = get(base, twin)
        assert status == 200 and detail(body.decode()) == canonical
    listed = " ".join(get(base, LISTING.format(c))[2].decode() for c in site.by_category)
    assert "&amp;title=" in listed and "/trang/chitiettintuc.aspx?nid=" in listed


def test_special_pages(replica):
    site, _, base = replica
    status, headers, body = get(base, ARTICLE.format(99404))
    assert status == 404 and b"<html" in body and headers["Content-Type"].startswith("text/html")
    status, headers, _ = get(base, ARTICLE.format(99301))
    assert status == 301 and headers["Location"] == ARTICLE.format(site.moved_target)
    assert get(base, headers["Location"])[0] == 200
    status, _, body = get(base, ARTICLE.format(99001))
    page = body.decode()
    assert status == 200 and "news-title" not in page and "news-date" not in page
    assert get(base, "/no/such/page.aspx")[0] == 404
    notices = get(base, LISTING.format(86))[2].decode()
    assert ARTICLE.format(99001) in notices and ARTICLE.format(99404) in notices
    assert ARTICLE.format(99301) in get(base, LISTING.format(83))[2].decode()
    status, headers, image = get(base, site.by_nid[site.moved_target].thumbnail)
    assert status == 200 and headers["Content-Type"] == "image/jpeg"
    assert image[:2] == b"\xff\xd8" and image[-2:] == b"\xff\xd9"


def test_headers_gzip_and_keep_alive(replica):
    site, _, base = replica
    path = ARTICLE.format(site.founding_nid)
    status, plain_headers, plain = get(base, path)
    assert "Content-Encoding" not in plain_headers
    assert int(plain_headers["Content-Length"]) == len(plain)
    assert plain_headers["Server"] == "Microsoft-IIS/8.5"
    assert plain_headers["X-Powered-By"] == "ASP.NET"
    assert plain_headers["Last-Modified"] == "Thu, 27 Jan 2022 03:16:00 GMT"
    assert plain_headers["ETag"] and plain_headers["Date"]
    _, headers, packed = get(base, path, {"Accept-Encoding": "gzip, deflate"})
    assert headers["Content-Encoding"] == "gzip" and int(headers["Content-Length"]) == len(packed)
    assert gzip.decompress(packed) == plain  # the founding page has fixed counters
    assert len(packed) < len(plain) / 2
    port = int(base.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        for target in ("/robots.txt", path, LISTING.format(82)):
            conn.request("GET", target)
            response = conn.getresponse()
            assert response.status == 200 and response.read()
            assert response.getheader("Connection") != "close"
    finally:
        conn.close()


def test_volatile_counters_change_per_hit(replica):
    _, server, base = replica
    path = LISTING.format(87)
    totals = []
    for _ in range(2):
        page = get(base, path)[2].decode()
        totals.append(int(re.search(r'Đã truy cập:</span> <span class="value">(\d+)<', page)[1]))
    assert totals[1] > totals[0] >= 2481000
    assert ("GET", path, 200) in server.request_log


def test_bodies_match_ground_truth(replica):
    site, _, _ = replica
    styles = set()
    for article in site.articles:
        page = site.resolve(article.url).body(1, gzip=False).decode()
        expected = list(article.paragraphs) + ([article.author] if article.author else [])
        assert body_paragraphs(page) == expected, article.nid
        title = re.search(r'<h1 class="news-title">(.*?)</h1>', page)[1]
        assert text_of(title) == article.title
        assert f'<div class="news-date">{article.published}</div>' in page
        styles.add(article.style)
        if article.style == "nfd":
            assert unicodedata.normalize("NFC", title) != title
        if article.style == "mixed":
            assert "&ocirc;\u0300" in page  # `tr&ocirc;̀ng`: entity then combining mark
    assert styles == {"nfc", "nfd", "entities", "mixed"}


def test_generated_metadata_is_plausible_and_deterministic():
    site = ReplicaSite(articles=240, seed=1)
    again = ReplicaSite(articles=240, seed=1)
    other = ReplicaSite(articles=240, seed=2)

    def facts(s: ReplicaSite) -> list[tuple]:
        return [(a.nid, a.title, a.published, a.author, a.category, a.paragraphs)
                for a in s.articles]

    assert facts(site) == facts(again) and facts(site) != facts(other)
    path = LISTING.format(82) + "&Page=2"
    assert site.resolve(path).body(7, True) == again.resolve(path).body(7, True)
    assert len(site.articles) == 241 and site.founding_nid in site.by_nid
    years = {a.published_at.year for a in site.articles}
    assert years <= set(range(2019, 2025)) and len(years) == 6
    no_author = sum(a.author is None for a in site.articles) / len(site.articles)
    nfd = sum(a.style == "nfd" for a in site.articles) / len(site.articles)
    assert 0.05 < no_author < 0.25 and 0.1 < nfd < 0.3
    assert all(3 <= sum(k == "p" for k, _ in a.blocks) <= 8 for a in site.articles)


def test_large_site_starts_fast():
    started = time.perf_counter()
    site = ReplicaSite(articles=20_000, seed=3)
    elapsed = time.perf_counter() - started
    assert len(site.articles) == 20_001 and len({a.nid for a in site.articles}) == 20_001
    assert elapsed < 4, f"20,000 articles took {elapsed:.2f} s"  # ~1 s here; headroom for CI
    assert site.resolve(site.articles[-1].url).status == 200


def test_cli_prints_replica_line_and_stops_on_sigterm():
    process = subprocess.Popen([sys.executable, "-m", "tests.replica", "--port", "0",
                                "--articles", "50"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert re.fullmatch(r"REPLICA http://127\.0\.0\.1:\d+/\n", line)
        base = line.split()[1].rstrip("/")
        assert get(base, "/robots.txt")[0] == 200
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
        process.stdout.close()


def test_cli_refuses_other_hosts_and_dumps(tmp_path, capsys):
    with pytest.raises(SystemExit) as refused:
        replica_main(["--host", "0.0.0.0"])
    assert refused.value.code == 2
    assert replica_main(["--articles", "50", "--chrome-kb", "4", "--dump", str(tmp_path)]) == 0
    assert "DUMPED" in capsys.readouterr().out
    founding = tmp_path / "Trang" / "ChiTietTinTuc.aspx?nid=35530"
    assert "Họp Ban thường vụ HU" in founding.read_text(encoding="utf-8")
    assert (tmp_path / "Trang" / "Tin-tuc-su-kien.aspx?Cat=82&Page=1").exists()
