"""The small Liferay profile: URLs, detection, and agreement with the generic fallback."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.extract import detect_family, extract, get_family

REAL = Path(__file__).parents[1] / ".." / "shared" / "portals" / "html"
SITE = "http://sotttt.hanoi.gov.vn"
LIFERAY = get_family("liferay")
ARTICLE = f"{SITE}/vi/-au-thau-mua-sam-cong/-/view_content/4378921-ha-noi-day-manh.html"
PRINT = (f"{SITE}/vi/-au-thau-mua-sam-cong/-/view_content/pop_up/4378921-ha-noi-day-manh.html"
         "?_101_viewMode=print")

PAGES = {
    "liferay_sotttt-hanoi_article_702102.html":
        f"{SITE}/vi/tin-tuc-su-kien/-/view_content/702102-boi-duong-lanh-dao-phu-trach-cong-"
        "nghe-thong-tin.html",
    "liferay_sotttt-hanoi_article_4378921_with-author.html": ARTICLE,
    "liferay_sotttt-hanoi_article_4378921_print-view.html": PRINT,
    "liferay_sotttt-hanoi_listing_cong-nghe-thong-tin.html": f"{SITE}/vi/cong-nghe-thong-tin",
    "liferay_sotttt-hanoi_homepage_vi-trang-chu_with-counter.html": f"{SITE}/vi/trang-chu",
    "liferay_sotttt-hanoi_eng-section_listing_with-viewcount.html":
        f"{SITE}/web/sotttt-eng/hot-news/-/view_content/3019165-ministry-of-information.html/vi",
}


def test_urls() -> None:
    assert LIFERAY.article_id(ARTICLE) == LIFERAY.article_id(PRINT) == "4378921"
    assert LIFERAY.article_id(f"{SITE}/vi/cong-nghe-thong-tin") is None
    assert LIFERAY.canonical_url(PRINT) == LIFERAY.canonical_url(ARTICLE) == ARTICLE
    assert LIFERAY.identity(PRINT) == LIFERAY.identity(
        "https://www.sotttt.hanoi.gov.vn/vi/other-cat/-/view_content/4378921-x.html")
    assert LIFERAY.is_listing(f"{SITE}/vi/cong-nghe-thong-tin?p_p_id=101&_101_cur=2")
    assert not LIFERAY.is_listing(ARTICLE)
    assert LIFERAY.should_follow(ARTICLE)
    assert LIFERAY.should_follow(f"{SITE}/vi/cong-nghe-thong-tin?p_p_id=101&_101_cur=2")
    for url in (PRINT, f"{SITE}/c/portal/login", "javascript:_101_printPage_0();", "mailto:",
                f"{SITE}/documents/554897/a.pdf"):
        assert not LIFERAY.should_follow(url), url


def test_detection() -> None:
    name, reasons = detect_family(ARTICLE)
    assert name == "liferay" and reasons[0].startswith("url:")
    path = REAL / "liferay_sotttt-hanoi_listing_cong-nghe-thong-tin.html"
    if path.exists():
        name, reasons = detect_family(f"{SITE}/vi/cong-nghe-thong-tin", path.read_bytes())
        assert name == "liferay" and any(r.startswith("dom:") for r in reasons)


@pytest.mark.skipif(not REAL.is_dir(), reason=f"real Liferay pages not available at {REAL}")
@pytest.mark.parametrize(("name", "url"), sorted(PAGES.items()))
def test_profile_agrees_with_the_generic_fallback(name: str, url: str) -> None:
    data = (REAL / name).read_bytes()
    auto, generic = extract(url, data), extract(url, data, family="generic")
    assert auto.family == "liferay" and generic.family == "generic"
    for field in ("page_type", "title", "published_at", "published_raw", "date_precision",
                  "author", "author_raw", "summary", "body_text", "category", "view_count",
                  "counters"):
        assert getattr(auto, field) == getattr(generic, field), field
    if auto.page_type == "article":
        assert auto.sources["title"] == auto.sources["body_text"] == "liferay"
        assert auto.article_id is not None
