"""The QNP family: URLs, detection and the profile on the hand-written fixture pages."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest

from crawler.extract import (
    FAMILIES,
    ArticleRecord,
    VisitCounter,
    detect_family,
    extract,
    get_family,
)

PAGES = Path(__file__).parent / "data" / "pages"
HOST = "https://binhlieu.quangninh.gov.vn"
QNP = get_family("qnp")


def page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


def article_url(nid: int) -> str:
    return f"{HOST}/Trang/ChiTietTinTuc.aspx?nid={nid}"


@pytest.fixture(scope="module")
def founding() -> ArticleRecord:
    return extract(article_url(12345), page("qnp_article_founding.html"))


# -- the founding example ----------------------------------------------------------------

def test_founding_record_exact(founding: ArticleRecord) -> None:
    rec = founding
    assert rec.family == "qnp"
    assert rec.page_type == "article" and rec.is_article
    assert rec.article_id == "12345"
    assert rec.title == "Họp Ban thường vụ HU"
    assert rec.published_at == "2022-01-27T10:16:00+07:00"
    assert rec.published_raw == "27/01/2022 10:16"
    assert rec.date_precision == "minute"
    assert rec.author == "Thu Hằng" and rec.author_raw == "Thu Hằng"
    assert rec.summary == ("Chiều ngày 27/1, Ban Thường vụ Huyện ủy Bình Liêu họp cho ý kiến vào "
                           "các nội dung trọng tâm trước Tết Nguyên đán Nhâm Dần 2022.")
    assert rec.category == "Tin tức - Sự kiện"
    assert rec.counters == [VisitCounter("visits_today", 323, "Hôm nay", "323"),
                            VisitCounter("visits_total", 2481457, "Đã truy cập", "2481457")]
    assert rec.view_count is None and "view_count" in rec.failures
    for field in ("title", "published_at", "author", "summary", "body_text"):
        assert rec.sources[field] == "qnp"


def test_founding_body(founding: ArticleRecord) -> None:
    paragraphs = founding.body_text.split("\n\n")
    assert len(paragraphs) == 5
    assert paragraphs[0].startswith("Chiều ngày 27/1, đồng chí Bí thư Huyện ủy chủ trì")
    assert paragraphs[2] == "Quang cảnh hội nghị Ban Thường vụ Huyện ủy."  # caption stays
    assert paragraphs[-1].endswith("không để phát sinh điểm nóng về an ninh trật tự trên địa bàn.")
    for noise in ("Thu Hằng", "Gửi ý kiến phản hồi", "In trang", "Chia sẻ", "TIN ĐÃ ĐƯA",
                  "Hội nghị tổng kết công tác Mặt trận", "Thống kê truy cập", "\xa0"):
        assert noise not in founding.body_text
    assert founding.summary not in founding.body_text


def test_founding_body_html_is_sanitized(founding: ArticleRecord) -> None:
    html = founding.body_html
    assert html.startswith("<p>Chiều ngày 27/1")
    assert '<img src="https://binhlieu.quangninh.gov.vn/PublishingImages/TinTuc/2022/01/' \
           'hop-btv-hu.jpg" alt="">' in html
    assert "<em>Quang cảnh hội nghị Ban Thường vụ Huyện ủy.</em>" in html
    assert "Thu Hằng" not in html and "style=" not in html and "class=" not in html
    assert "GuiYKien" not in html and "TIN ĐÃ ĐƯA" not in html


def test_profile_works_by_text_anchors_without_class_names(founding: ArticleRecord) -> None:
    """The real QNP markup is unknown: strip every class/id and expect the same record."""
    plain = re.sub(r'\s(?:class|id)="[^"]*"', "", page("qnp_article_founding.html").decode())
    assert 'class="news-title"' not in plain and 'class="news-content' not in plain
    rec = extract(article_url(12345), plain)
    for field in ("title", "published_at", "published_raw", "author", "author_raw", "summary",
                  "body_text", "body_html", "category", "counters", "page_type", "article_id"):
        assert getattr(rec, field) == getattr(founding, field), field
    assert rec.sources["title"] == rec.sources["body_text"] == "qnp"


def test_scripts_and_handlers_never_reach_body_html() -> None:
    html = page("qnp_article_founding.html").decode().replace(
        "<p>&nbsp;&nbsp;&nbsp;&nbsp;Đồng thời",
        '<script>alert(1)</script><style>p{}</style><iframe src="https://evil.example/">'
        '</iframe><form action="/x"><input name="q"/></form>'
        '<p onclick="steal()" style="color:red"><a href="javascript:alert(2)">xem</a> '
        '<a href="/Trang/ChiTietTinTuc.aspx?nid=1" onmouseover="x()">tin</a> '
        '<img src="javascript:alert(3)" onerror="x()"/>&nbsp;&nbsp;Đồng thời',
    )
    rec = extract(article_url(12345), html)
    body = rec.body_html
    for bad in ("<script", "alert", "<style", "<iframe", "<form", "<input", "onclick",
                "onmouseover", "onerror", "javascript:", "style="):
        assert bad not in body, bad
    assert '<a href="https://binhlieu.quangninh.gov.vn/Trang/ChiTietTinTuc.aspx?nid=1">tin</a>' \
        in body
    assert "alert" not in rec.body_text


# -- the other fixture pages -------------------------------------------------------------

def test_no_author_no_sapo() -> None:
    rec = extract(article_url(12346), page("qnp_article_no_author.html"))
    assert rec.is_article
    assert rec.title == "Bình Liêu triển khai nhiệm vụ phát triển kinh tế - xã hội năm 2022"
    assert rec.published_at == "2022-02-15T08:30:00+07:00"
    assert rec.author is None and rec.author_raw is None
    assert "author" in rec.failures
    assert rec.summary is None and "sapo" in rec.failures["summary"]
    # "Nguồn:" credits a source: it is not an author and stays in the body
    assert rec.body_text.endswith("Nguồn: Trung tâm Truyền thông và Văn hóa huyện")
    assert "100%" not in rec.body_text


def test_nfd_text_and_entities_come_out_nfc() -> None:
    rec = extract(article_url(12347), page("qnp_article_nfd_entities.html"))
    assert rec.title == "Bình Liêu trồng rừng mùa xuân năm 2022"
    assert "trồng" in rec.title  # tr&ocirc; + U+0300 → one precomposed ồ
    assert rec.published_at == "2022-02-08T14:05:00+07:00"
    assert rec.author == "Minh Đức" and rec.author_raw == "Bài, ảnh: Minh Đức"
    assert rec.summary == ("Ngày 8/2, huyện Bình Liêu phát động Tết trồng cây đời đời nhớ ơn "
                           "Bác Hồ xuân Nhâm Dần 2022.")
    assert "các đại biểu đã tham gia trồng hơn 2.000 cây quế" in rec.body_text
    for value in (rec.title, rec.summary, rec.body_text, rec.body_html, rec.author_raw):
        assert unicodedata.is_normalized("NFC", value)
        assert "\u0300" not in value and "\xa0" not in value


def test_missing_title_and_date_are_reported() -> None:
    rec = extract(article_url(12348), page("qnp_article_no_title_no_date.html"))
    assert rec.page_type == "article"  # the URL says so; extraction failed
    assert not rec.is_article
    assert rec.title is None and rec.published_at is None and rec.published_raw is None
    assert "no heading that starts the <title>" in rec.failures["title"]
    assert "generic:" in rec.failures["title"] and "meta:" in rec.failures["title"]
    assert "published_at" in rec.failures
    assert rec.body_text.startswith("Nội dung bài viết vẫn được hiển thị")  # body still found


def test_listing_page() -> None:
    rec = extract(f"{HOST}/Trang/Tin-tuc-su-kien.aspx?Cat=82", page("qnp_listing.html"))
    assert rec.family == "qnp"
    assert rec.page_type == "listing" and not rec.is_article
    assert rec.article_id is None
    assert rec.title == "Tin tức - Sự kiện"
    assert rec.published_at is None and rec.body_text is None and rec.author is None
    assert "listing" in rec.failures["published_at"]
    assert len(rec.counters) == 2


def test_impossible_date_on_the_page() -> None:
    html = page("qnp_article_founding.html").decode().replace("27/01/2022 10:16",
                                                              "31/02/2022 10:16")
    rec = extract(article_url(12345), html)
    assert rec.published_at is None and rec.date_precision is None
    assert rec.published_raw == "31/02/2022 10:16"
    assert "impossible date" in rec.failures["published_at"]
    assert rec.title == "Họp Ban thường vụ HU" and rec.is_article


def test_date_only_page() -> None:
    html = page("qnp_article_founding.html").decode().replace("27/01/2022 10:16", "27/01/2022")
    rec = extract(article_url(12345), html)
    assert rec.published_at == "2022-01-27T00:00:00+07:00"
    assert rec.date_precision == "day"


def test_record_round_trips_through_json(founding: ArticleRecord) -> None:
    data = json.loads(json.dumps(founding.to_dict(), ensure_ascii=False))
    assert data["counters"][0] == {"metric": "visits_today", "value": 323,
                                   "label_raw": "Hôm nay", "value_raw": "323"}
    again = ArticleRecord.from_dict(data)
    assert again == founding
    assert again.is_article


# -- URLs ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("url", "nid"),
    [
        (f"{HOST}/Trang/ChiTietTinTuc.aspx?nid=12345", "12345"),
        (f"{HOST}/trang/chitiettintuc.aspx?NID=12345", "12345"),
        (f"{HOST}/Trang/ChiTietTinTuc.aspx?nid=12345&title=hop-ban-thuong-vu-hu.html", "12345"),
        ("https://www.quangninh.gov.vn/So/sotttt/Trang/ChiTietTinTuc.aspx?nid=10871", "10871"),
        ("https://quangninh.gov.vn/donvi/huyencoto/Trang/ChiTietTinTuc.aspx?nid=77", "77"),
        (f"{HOST}/Trang/ChiTietTinTuc.aspx", None),
        (f"{HOST}/Trang/ChiTietTinTuc.aspx?nid=abc", None),
        (f"{HOST}/Trang/Tin-tuc-su-kien.aspx?Cat=82", None),
        (f"{HOST}/Trang/GuiYKien.aspx?nid=12345", None),
    ],
)
def test_article_id(url: str, nid: str | None) -> None:
    assert QNP.article_id(url) == nid


def test_canonical_url_collapses_twins() -> None:
    canonical = "https://binhlieu.quangninh.gov.vn/Trang/ChiTietTinTuc.aspx?nid=12345"
    for twin in (
        "https://binhlieu.quangninh.gov.vn/Trang/ChiTietTinTuc.aspx?nid=12345",
        "https://www.binhlieu.quangninh.gov.vn/trang/chitiettintuc.aspx?nid=12345",
        "https://BinhLieu.QuangNinh.gov.vn/TRANG/ChiTietTinTuc.aspx?nid=12345&title=hop.html",
        "https://binhlieu.quangninh.gov.vn:443/Trang/ChiTietTinTuc.aspx?title=x.html&nid=12345#a",
    ):
        assert QNP.canonical_url(twin) == canonical, twin
    # the scheme is kept as given; identity() drops it so http/https twins share one key
    http = "http://www.binhlieu.quangninh.gov.vn/Trang/ChiTietTinTuc.aspx?nid=12345"
    assert QNP.canonical_url(http) == canonical.replace("https:", "http:")
    assert QNP.identity(http) == QNP.identity(canonical)
    # sub-sites number their articles separately: the prefix stays
    assert QNP.canonical_url(
        "https://www.quangninh.gov.vn/donvi/HuyenCoTo/trang/ChiTietTinTuc.aspx?nid=7&title=a"
    ) == "https://quangninh.gov.vn/donvi/huyencoto/Trang/ChiTietTinTuc.aspx?nid=7"


@pytest.mark.parametrize(
    ("url", "listing", "follow"),
    [
        (f"{HOST}/Trang/Tin-tuc-su-kien.aspx?Cat=82", True, True),
        (f"{HOST}/Trang/Tin-tuc-su-kien.aspx?Cat=82&Page=3", True, True),
        (f"{HOST}/Trang/Van-ban.aspx?cat=90", True, True),
        (f"{HOST}/Trang/Tin-tuc-su-kien.aspx?Cat=Điều kiện tự nhiên", True, True),
        (f"{HOST}/Trang/ChiTietTinTuc.aspx?nid=1", False, True),
        (f"{HOST}/", False, True),
        (f"{HOST}/Trang/Default.aspx", False, True),
        (f"{HOST}/Trang/GuiYKien.aspx?nid=1", False, False),
        (f"{HOST}/Trang/TimKiem.aspx?k=abc", False, False),
        (f"{HOST}/_layouts/15/Authenticate.aspx", False, False),
        ("javascript:window.print()", False, False),
        ("mailto:ubnd@quangninh.gov.vn", False, False),
        (f"{HOST}/Documents/ke-hoach.pdf", False, False),
        (f"{HOST}/Trang/Gioi-thieu.aspx", False, False),
    ],
)
def test_listing_and_follow(url: str, listing: bool, follow: bool) -> None:
    assert QNP.is_listing(url) is listing
    assert QNP.should_follow(url) is follow


def test_home() -> None:
    assert QNP.is_home(f"{HOST}/") and QNP.is_home(f"{HOST}/Trang/Default.aspx")
    assert QNP.is_home("https://www.quangninh.gov.vn/donvi/vandon/")
    assert not QNP.is_home(f"{HOST}/Trang/ChiTietTinTuc.aspx?nid=1")


# -- detection and the registry ------------------------------------------------------------

def test_detect_by_url_and_by_dom() -> None:
    name, reasons = detect_family(article_url(1))
    assert name == "qnp" and any(r.startswith("url:") for r in reasons)
    # an unknown host and a neutral URL: the DOM signature decides
    name, reasons = detect_family("https://www.haiduong.gov.vn/x", page("qnp_listing.html"))
    assert name == "qnp"
    assert any("__VIEWSTATE" in r and "ChiTietTinTuc" in r for r in reasons)
    # __VIEWSTATE alone (any ASP.NET site) is not enough
    name, _ = detect_family("https://example.gov.vn/x",
                            '<input name="__VIEWSTATE" value="x"/><a href="/a.aspx">a</a>')
    assert name == "generic"


def test_registry_and_unknown_family() -> None:
    assert {"qnp", "generic"} <= set(FAMILIES)
    assert get_family("qnp") is FAMILIES["qnp"]
    with pytest.raises(KeyError, match="unknown family"):
        get_family("nope")
    rec = extract(article_url(12345), page("qnp_article_founding.html"), family="nope")
    assert rec.family == "qnp" and "family" in rec.failures
    assert rec.title == "Họp Ban thường vụ HU"


def test_family_can_be_forced() -> None:
    rec = extract(article_url(12345), page("qnp_article_founding.html"), family="generic")
    assert rec.family == "generic"
    assert rec.title == "Họp Ban thường vụ HU"  # the fallback copes on its own
    assert rec.published_at == "2022-01-27T10:16:00+07:00"
    assert rec.author == "Thu Hằng"
    assert rec.sources["title"] == "generic"
