"""Visit counters and view counts (crawler.extract.counters and its use by extract())."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.extract import VisitCounter, extract
from crawler.extract.counters import find_counters, find_view_count
from crawler.extract.normalize import parse_int
from crawler.extract.page import load_page

PAGES = Path(__file__).parent / "data" / "pages"
REAL = Path(__file__).parents[1] / ".." / "shared" / "portals" / "html"


def counters(html: str, exclude_xpath: str | None = None) -> dict[str, int]:
    page = load_page("http://example.gov.vn/", html)
    exclude = page.root.xpath(exclude_xpath)[0] if exclude_xpath else None
    return {c.metric: c.value for c in find_counters(page.root, exclude)}


def wrap(body: str) -> str:
    return f"<html><head><title>T</title></head><body>{body}</body></html>"


def test_qnp_widget_label_and_value_spans() -> None:
    html = wrap("""<div class="widget"><h3>Thống kê truy cập</h3><ul>
        <li><span class="label">Hôm nay:</span> <span class="value">323</span></li>
        <li><span class="label">Đã truy cập:</span> <span class="value">2481457</span></li>
        </ul></div>""")
    page = load_page("http://x/", html)
    found = find_counters(page.root)
    assert found == [VisitCounter("visits_today", 323, "Hôm nay", "323"),
                     VisitCounter("visits_total", 2481457, "Đã truy cập", "2481457")]


def test_nukeviet_ul_counter_with_comma_thousands() -> None:
    html = wrap("""<ul class="counter">
        <li><span>Đang truy cập</span><span>54</span></li>
        <li><span>Hôm nay</span><span>1,203</span></li>
        <li><span>Hôm qua</span><span>2,017</span></li>
        <li><span>Tuần này</span><span>9,876</span></li>
        <li><span>Tháng hiện tại</span><span>41,002</span></li>
        <li><span>Tổng lượt truy cập</span><span>1,234,567</span></li></ul>""")
    assert counters(html) == {
        "online_now": 54, "visits_today": 1203, "visits_yesterday": 2017, "visits_week": 9876,
        "visits_month": 41002, "visits_total": 1234567,
    }


@pytest.mark.parametrize(
    ("label", "metric"),
    [("Hôm nay", "visits_today"), ("Hôm qua", "visits_yesterday"), ("Tuần này", "visits_week"),
     ("Tháng này", "visits_month"), ("Tháng hiện tại", "visits_month"),
     ("Đã truy cập", "visits_total"), ("Tổng", "visits_total"),
     ("Tổng lượt truy cập", "visits_total"), ("Tổng số lượt truy cập", "visits_total"),
     ("Lượt truy cập", "visits_total"), ("Đang truy cập", "online_now"),
     ("Đang online", "online_now"), ("Trực tuyến", "online_now"), ("HÔM NAY", "visits_today")],
)
def test_label_to_metric(label: str, metric: str) -> None:
    html = wrap(f'<div class="thongke"><b>{label}:</b> <i>4.798.819</i></div>')
    assert counters(html) == {metric: 4798819}


def test_label_and_value_in_one_text_node_and_nfd() -> None:
    import unicodedata

    label = unicodedata.normalize("NFD", "Hôm nay")
    html = wrap(f"<div><h4>Số lượng truy cập</h4><p>{label}: 1.234</p><p>Tổng: 99</p></div>")
    assert counters(html) == {"visits_today": 1234, "visits_total": 99}
    found = find_counters(load_page("http://x/", html).root)
    assert found[0].label_raw == "Hôm nay"  # NFC, no colon


def test_first_occurrence_wins() -> None:
    widget = '<div class="counter"><span>Hôm nay:</span><span>{}</span></div>'
    assert counters(wrap(widget.format(5) + widget.format(7))) == {"visits_today": 5}


def test_numbers_in_article_text_never_count() -> None:
    body = """<div class="content">
      <p>Hôm nay: 323 hộ dân đã nhận hỗ trợ, nâng tổng số lên 2.000 hộ.</p>
      <p><strong>Tổng:</strong> 150</p>
      <p>Lượt truy cập năm 2021 tăng 12%.</p>
    </div>"""
    # "Hôm nay: 323 hộ…" is prose, not a label:value pair; the bold "Tổng:" pair sits inside
    # the article body, which extract() excludes.
    assert counters(wrap(body), exclude_xpath="//div[@class='content']") == {}
    # A paragraph that merely contains a label and a number is never a counter either.
    assert counters(wrap("<p>Đã truy cập 5 lần vào hệ thống trong tháng này</p>")) == {}


def test_malformed_numbers_are_rejected() -> None:
    html = wrap('<div class="counter"><span>Hôm nay:</span><span>4.5</span>'
                "<span>Tổng:</span><span>12.34.567</span></div>")
    assert counters(html) == {}


@pytest.mark.parametrize(
    ("text", "value"),
    [("4.798.819", 4798819), ("1,234,567", 1234567), ("2481457", 2481457), ("0", 0),
     (" 28 ", 28), ("1 234 567", 1234567), ("4.5", None), ("1,23", None), ("12.34.567", None),
     ("", None), ("abc", None), ("1.234,567", None)],
)
def test_parse_int(text: str, value: int | None) -> None:
    assert parse_int(text) == value


def test_view_count_labels() -> None:
    assert find_view_count(["Ngày đăng 17/10/2014 | 12:00 AM | View count: 865"]) == (
        "View count: 865", 865)
    assert find_view_count(["Lượt xem: 1692 lượt xem"]) == ("Lượt xem: 1692", 1692)
    assert find_view_count(["Lượt đọc: 1.203"]) == ("Lượt đọc: 1.203", 1203)
    assert find_view_count(["Không có số liệu"]) is None


def test_founding_page_counters() -> None:
    html = (PAGES / "qnp_article_founding.html").read_bytes()
    rec = extract("https://binhlieu.quangninh.gov.vn/Trang/ChiTietTinTuc.aspx?nid=12345", html)
    assert rec.counters == [VisitCounter("visits_today", 323, "Hôm nay", "323"),
                            VisitCounter("visits_total", 2481457, "Đã truy cập", "2481457")]
    assert rec.sources["counters"] == "widget"


def test_counters_are_read_on_listing_pages_too() -> None:
    html = (PAGES / "qnp_listing.html").read_bytes()
    rec = extract("https://binhlieu.quangninh.gov.vn/Trang/Tin-tuc-su-kien.aspx?Cat=82", html)
    assert {c.metric: c.value for c in rec.counters} == {"visits_today": 323,
                                                         "visits_total": 2481457}


def test_liferay_home_page_counter() -> None:
    path = REAL / "liferay_sotttt-hanoi_homepage_vi-trang-chu_with-counter.html"
    if not path.exists():
        pytest.skip(f"real pages not available at {path}")
    rec = extract("http://sotttt.hanoi.gov.vn/vi/trang-chu", path.read_bytes())
    assert rec.page_type == "home"
    assert rec.counters == [VisitCounter("online_now", 28, "Đang truy cập", "28"),
                            VisitCounter("visits_total", 4798819, "Tổng", "4.798.819")]


def test_page_without_counters_says_so() -> None:
    rec = extract("http://example.gov.vn/", wrap("<p>Xin chào</p>"))
    assert rec.counters == []
    assert "counters" in rec.failures
