"""The generic text-anchor fallback: the real Liferay pages and layouts it has never seen."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from crawler.extract import ArticleRecord, extract, get_family

REAL = Path(__file__).parents[1] / ".." / "shared" / "portals" / "html"
LIFERAY = "http://sotttt.hanoi.gov.vn"
GENERIC = get_family("generic")

needs_real_pages = pytest.mark.skipif(
    not REAL.is_dir(), reason=f"real Liferay pages not available at {REAL.resolve()}")


def real(name: str, url: str) -> ArticleRecord:
    """Extract a real page with the generic fallback only (no Liferay profile involved)."""
    return extract(url, (REAL / name).read_bytes(), family="generic")


# -- real Liferay pages (sotttt.hanoi.gov.vn, SOURCES.md) -------------------------------------

@needs_real_pages
def test_liferay_article_702102() -> None:
    rec = real("liferay_sotttt-hanoi_article_702102.html",
               f"{LIFERAY}/vi/tin-tuc-su-kien/-/view_content/"
               "702102-boi-duong-lanh-dao-phu-trach-cong-nghe-thong-tin.html")
    assert rec.family == "generic" and rec.page_type == "article" and rec.is_article
    assert rec.title == "Bồi dưỡng lãnh đạo phụ trách công nghệ thông tin"
    # "12:00 AM" on Liferay means no time was entered
    assert rec.published_at == "2014-10-17T00:00:00+07:00"
    assert rec.date_precision == "day"
    assert rec.published_raw == "Ngày đăng 17/10/2014 | 12:00 AM"
    assert rec.view_count == 865 and rec.view_count_raw == "View count: 865"
    assert rec.body_text.startswith("Thực hiện Quyết định số 5113/QĐ- UBND ngày 07/10/2014 về "
                                    "việc mở khóa \"Bồi dưỡng lãnh đạo phụ trách")
    assert rec.body_text.endswith("để phát huy tốt hơn trong công tác quản lý nhà nước.")
    assert "(Đ/c Phan Lan Tú - Giám đốc Sở TT&TT phát biểu tại Lễ khai giảng)" in rec.body_text
    for noise in ("admin admin", "In bài viết", "Gửi mail", "Các tin khác", "Thông báo lịch",
                  "Tin tức nổi bật"):
        assert noise not in rec.body_text
    # the author element holds a placeholder: kept raw, not presented as a name
    assert rec.author is None and rec.author_raw == "admin admin"
    assert "placeholder" in rec.failures["author"]
    # the meta description is only the truncated opening of the body, not a summary
    assert rec.summary is None and "opening of the body" in rec.failures["summary"]
    assert rec.category == "Tin tức sự kiện"
    assert rec.sources["title"] == rec.sources["body_text"] == "generic"
    assert "<img" in rec.body_html and "admin admin" not in rec.body_html


BODY_START = ("Theo đó, để tiếp tục tăng cường công tác quản lý nhà nước về đấu thầu, phát huy "
              "những kết quả đã đạt được")
BODY_END = ("đề nghị các đơn vị tiếp tục thực hiện việc báo cáo và thực hiện pháp luật về đấu thầu "
            "và đấu thầu qua mạng năm 2021, đảm bảo thời hạn và tỷ lệ quy định.")
SAPO = ("Ngày 9/4, UBND thành phố Hà Nội ban hành Công văn số 1042/UBND-KH&ĐT về tăng cường "
        "công tác đấu thầu của các đơn vị thuộc thành phố Hà Nội năm 2021.")


@needs_real_pages
@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("liferay_sotttt-hanoi_article_4378921_with-author.html",
         f"{LIFERAY}/vi/-au-thau-mua-sam-cong/-/view_content/"
         "4378921-ha-noi-day-manh-cong-tac-dau-thau-qua-mang.html"),
        ("liferay_sotttt-hanoi_article_4378921_print-view.html",
         f"{LIFERAY}/vi/-au-thau-mua-sam-cong/-/view_content/pop_up/"
         "4378921-ha-noi-day-manh-cong-tac-dau-thau-qua-mang.html?_101_viewMode=print"),
    ],
)
def test_liferay_article_4378921_and_its_print_twin(name: str, url: str) -> None:
    rec = real(name, url)
    assert rec.page_type == "article" and rec.is_article
    assert rec.title == "Hà Nội đẩy mạnh công tác đấu thầu qua mạng"
    assert rec.published_at == "2021-04-16T09:07:00+07:00"
    assert rec.date_precision == "minute" and rec.published_raw == "16/04/2021 | 9:07 AM"
    assert rec.author == "Bùi Thị Quỳnh"
    assert rec.summary == SAPO
    assert rec.body_text.startswith(BODY_START)
    assert rec.body_text.endswith(BODY_END)
    assert len(rec.body_text.split("\n\n")) == 6  # the &nbsp; spacer paragraphs are gone
    assert "Bùi Thị Quỳnh" not in rec.body_text and SAPO not in rec.body_text
    assert "&oacute;" not in rec.body_text and unicodedata.is_normalized("NFC", rec.body_text)
    assert rec.view_count is None and "view_count" in rec.failures


@needs_real_pages
def test_print_twin_gives_the_same_article() -> None:
    a = real("liferay_sotttt-hanoi_article_4378921_with-author.html", f"{LIFERAY}/a")
    b = real("liferay_sotttt-hanoi_article_4378921_print-view.html", f"{LIFERAY}/b")
    for field in ("title", "published_at", "author", "summary", "body_text"):
        assert getattr(a, field) == getattr(b, field), field


@needs_real_pages
def test_liferay_home_page() -> None:
    rec = real("liferay_sotttt-hanoi_homepage_vi-trang-chu_with-counter.html",
               f"{LIFERAY}/vi/trang-chu")
    assert rec.page_type == "home" and not rec.is_article
    assert {c.metric: c.value for c in rec.counters} == {"online_now": 28,
                                                         "visits_total": 4798819}
    assert rec.body_text is None and "home" in rec.failures["body_text"]


@needs_real_pages
@pytest.mark.parametrize(
    ("name", "url", "title"),
    [
        ("liferay_sotttt-hanoi_listing_cong-nghe-thong-tin.html",
         f"{LIFERAY}/vi/cong-nghe-thong-tin", "Công nghệ thông tin"),
        # a listing at an article-like URL, under a <title> naming another district
        ("liferay_sotttt-hanoi_eng-section_listing_with-viewcount.html",
         f"{LIFERAY}/web/sotttt-eng/hot-news/-/view_content/3019165-ministry-of-information-"
         "and-communication-held-training-on-international-integration.html/vi", "Hot News"),
    ],
)
def test_liferay_listings(name: str, url: str, title: str) -> None:
    rec = real(name, url)
    assert rec.page_type == "listing" and not rec.is_article
    assert rec.title == title
    # per-item dates and view counts of a listing are not the page's
    assert rec.published_at is None and rec.view_count is None
    assert "listing" in rec.failures["view_count"]


# -- layouts the fallback has never seen -------------------------------------------------------

NUKEVIET = """<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">
<title>Hội nghị tổng kết công tác năm 2021 - Tin tức - Xã Tân Lập</title>
<meta property="og:title" content="Hội nghị tổng kết công tác năm 2021">
<meta name="description" content="Xã Tân Lập, huyện Đồng Phú">
</head><body>
<div id="header"><div class="logo"><a href="/">UBND XÃ TÂN LẬP</a></div>
<ul class="menu"><li><a href="/">Trang chủ</a></li><li><a href="/vi/news/">Tin tức</a></li>
<li><a href="/vi/laws/">Văn bản</a></li></ul></div>
<div class="breadcrumbs"><a href="/">Trang chủ</a> / <a href="/vi/news/tin-tuc/">Tin tức</a></div>
<div class="col-md-18"><div class="news_column"><div class="detail">
<h1 class="title margin-bottom-lg">Hội nghị tổng kết công tác năm 2021</h1>
<ul class="list-inline"><li><span class="h-date">Thứ ba - 01/02/2022 18:11</span></li>
<li>Đã xem: 312</li><li><a href="/vi/news/print/hoi-nghi-12345.html">In ra</a></li></ul>
<div class="hometext"><b>Sáng 1/2, UBND xã Tân Lập tổ chức hội nghị tổng kết công tác năm 2021
và triển khai nhiệm vụ năm 2022 với sự tham dự của đại diện các ban, ngành.</b></div>
<div id="news-bodyhtml" class="bodytext margin-bottom-lg">
<p>Năm 2021, trong bối cảnh dịch bệnh diễn biến phức tạp, xã đã hoàn thành 18/20 chỉ tiêu
kinh tế - xã hội, thu ngân sách đạt 112% dự toán được giao.</p>
<p>Công tác an sinh xã hội được quan tâm; 100% hộ nghèo, gia đình chính sách được thăm hỏi,
tặng quà dịp Tết Nguyên đán.</p>
<p>Năm 2022, xã phấn đấu hoàn thành các tiêu chí xã nông thôn mới nâng cao.</p>
</div>
<div class="text-right"><p><strong>Tác giả bài viết: Nguyễn Văn An</strong></p>
<p>Nguồn tin: UBND xã Tân Lập</p></div>
<div class="socialicon"><a href="#">Chia sẻ</a> <a href="#">Tweet</a></div>
<div class="news_column"><h3>Tin cùng chuyên mục</h3><ul class="related">
<li><a href="/vi/news/tin-tuc/a-12300.html">Ra quân làm đường</a> <em>(30/01/2022)</em></li>
<li><a href="/vi/news/tin-tuc/b-12290.html">Trao quà Tết</a> <em>(28/01/2022)</em></li></ul></div>
<span itemprop="datePublished" content="2022-02-01T18:11:00+07:00"></span>
</div></div></div>
<div class="col-right"><h3>Thống kê truy cập</h3><ul class="counter">
<li><span>Đang truy cập</span><span>12</span></li><li><span>Hôm nay</span><span>1,203</span></li>
<li><span>Tháng hiện tại</span><span>41,002</span></li>
<li><span>Tổng lượt truy cập</span><span>1,234,567</span></li></ul></div>
</body></html>"""


def test_unseen_nukeviet_like_layout() -> None:
    rec = extract("https://tanlap.dongphu.binhphuoc.gov.vn/vi/news/tin-tuc/"
                  "hoi-nghi-tong-ket-cong-tac-nam-2021-12345.html", NUKEVIET)
    # The URL says NukeViet, but the profile does not know this theme's markup: every field
    # below comes from the generic fallback.
    assert rec.family == "nukeviet" and rec.is_article
    assert rec.sources["title"] == "generic" and rec.sources["body_text"] == "generic"
    assert rec.article_id == "12345"
    assert rec.title == "Hội nghị tổng kết công tác năm 2021"
    assert rec.published_at == "2022-02-01T18:11:00+07:00"
    assert rec.published_raw == "Thứ ba - 01/02/2022 18:11"
    assert rec.summary.startswith("Sáng 1/2, UBND xã Tân Lập tổ chức hội nghị")
    assert rec.body_text.startswith("Năm 2021, trong bối cảnh dịch bệnh")
    assert rec.body_text.endswith("xã nông thôn mới nâng cao.")
    assert rec.author == "Nguyễn Văn An"
    assert rec.author_raw == "Tác giả bài viết: Nguyễn Văn An"
    assert rec.category == "Tin tức"
    assert rec.view_count == 312 and rec.view_count_raw == "Đã xem: 312"
    assert {c.metric: c.value for c in rec.counters} == {
        "online_now": 12, "visits_today": 1203, "visits_month": 41002, "visits_total": 1234567}
    assert "Ra quân làm đường" not in rec.body_text


TANDAN = """<html><head><title>Trang chủ</title></head><body>
<div class="header"><a href="/portal/Pages/default.aspx">Trang chủ</a></div>
<div class="main"><div class="left-menu"><h2>Chuyên mục</h2><ul><li><a href="/a">Tin tức</a></li>
</ul></div>
<div class="content">
<h2 class="tieude">Xã Kỳ Bắc ra quân dọn vệ sinh môi trường hưởng ứng tháng hành động</h2>
<div class="ngaydang">Đăng ngày 17 - 05 - 2024</div>
<div class="luotxem">Lượt xem: 400</div>
<div class="noidung">
<p>Sáng ngày 17/5, Đoàn thanh niên xã Kỳ Bắc phối hợp với các thôn tổ chức ra quân dọn vệ sinh
môi trường, thu gom rác thải trên các tuyến đường liên thôn.</p>
<p>Hơn 200 đoàn viên, thanh niên và người dân đã tham gia, thu gom khoảng 3 tấn rác thải.</p>
<p style="text-align:right"><b>Hồng Nhung</b></p>
</div>
<div class="tinkhac"><h3>Tin khác</h3><ul><li><a href="/b">Tin khác một</a></li></ul></div>
</div></div></body></html>"""


def test_unseen_layout_with_a_wrong_template_title() -> None:
    """``<title>`` is a template ("Trang chủ"): the heading followed by a date line wins."""
    rec = extract("https://kybac.kyanh.hatinh.gov.vn/portal/Pages/2024-5-17/"
                  "Xa-Ky-Bac-ra-quan-don-ve-sinh123456.aspx", TANDAN)
    assert rec.title == ("Xã Kỳ Bắc ra quân dọn vệ sinh môi trường hưởng ứng tháng hành động")
    assert rec.published_at == "2024-05-17T00:00:00+07:00" and rec.date_precision == "day"
    assert rec.view_count == 400 and rec.view_count_raw == "Lượt xem: 400"
    assert rec.author == "Hồng Nhung"
    assert rec.body_text.endswith("thu gom khoảng 3 tấn rác thải.")
    assert "Tin khác" not in rec.body_text and rec.is_article


def test_metadata_is_the_last_resort_and_tie_breaker() -> None:
    html = """<html><head><title>Trang thông tin</title>
    <meta property="og:title" content="Khai mạc hội chợ xuân 2023">
    <meta property="article:published_time" content="2023-01-10T08:45:00+07:00">
    <meta name="author" content="Lan Anh"></head><body>
    <div><p>Sáng nay, hội chợ xuân 2023 đã khai mạc tại nhà văn hóa trung tâm với hơn 100
    gian hàng của các doanh nghiệp, hợp tác xã và hộ kinh doanh trên địa bàn.</p>
    <p>Hội chợ kéo dài đến hết ngày 15/1 với nhiều hoạt động văn hóa, văn nghệ đặc sắc.</p></div>
    </body></html>"""
    rec = extract("https://example.gov.vn/tin/khai-mac-hoi-cho-99.html", html)
    assert rec.title == "Khai mạc hội chợ xuân 2023" and rec.sources["title"] == "meta"
    assert rec.published_at == "2023-01-10T08:45:00+07:00"
    assert rec.sources["published_at"] == "meta"
    assert rec.author == "Lan Anh" and rec.sources["author"] == "meta"
    # a visible date-only value gains the time of a same-day metadata timestamp
    dated = html.replace("<div><p>Sáng", "<h1>Khai mạc hội chợ xuân 2023</h1>"
                         "<div>10/01/2023</div><div><p>Sáng")
    rec = extract("https://example.gov.vn/tin/khai-mac-hoi-cho-99.html", dated)
    assert rec.sources["title"] == "generic"
    assert rec.published_at == "2023-01-10T08:45:00+07:00"
    assert rec.date_precision == "minute" and rec.sources["published_at"] == "generic+meta"
    assert rec.published_raw == "10/01/2023"


# -- the generic family's URL heuristics -------------------------------------------------------

@pytest.mark.parametrize(
    ("url", "article_id"),
    [
        ("https://x.gov.vn/vi/news/tin-tuc/hoi-nghi-tong-ket-12345.html", "12345"),
        (f"{LIFERAY}/vi/tin-tuc/-/view_content/702102-boi-duong.html", "702102"),
        ("https://x.gov.vn/portal/Pages/2024-5-17/Xa-Ky-Bac-ra-quan123456.aspx", "123456"),
        ("https://x.gov.vn/tin-tuc/12345", "12345"),
        ("https://x.gov.vn/index.php?option=com_content&id=77", "77"),
        ("https://x.gov.vn/tin-tuc/page-12", None),
        ("https://x.gov.vn/tin-tuc?page=2", None),
        ("https://x.gov.vn/", None),
    ],
)
def test_generic_article_id(url: str, article_id: str | None) -> None:
    assert GENERIC.article_id(url) == article_id


def test_generic_listing_follow_canonical() -> None:
    assert GENERIC.is_listing("https://x.gov.vn/tin-tuc?page=2")
    assert GENERIC.is_listing("https://x.gov.vn/vi/news/tin-tuc/page-3")
    assert GENERIC.is_listing(f"{LIFERAY}/vi/cong-nghe-thong-tin?p_p_id=101&_101_cur=2")
    assert not GENERIC.is_listing("https://x.gov.vn/vi/news/tin-tuc/hoi-nghi-12345.html")
    assert GENERIC.should_follow("https://x.gov.vn/files/a.pdf")
    assert GENERIC.should_follow("/relative/path.html")
    for url in ("mailto:a@b.vn", "javascript:void(0)", "#top", "tel:0123", ""):
        assert not GENERIC.should_follow(url), url
    assert GENERIC.canonical_url("HTTPS://WWW.X.gov.vn:443/Tin-Tuc/a.html?utm_source=fb&id=2#c") \
        == "https://x.gov.vn/Tin-Tuc/a.html?id=2"
    assert GENERIC.is_home("https://x.gov.vn/") and GENERIC.is_home(f"{LIFERAY}/vi/trang-chu")
