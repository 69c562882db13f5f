"""extract() never raises and never presents a guess as certain, whatever it is fed."""

from __future__ import annotations

import json
import random
import time
import unicodedata
from datetime import datetime
from pathlib import Path

import pytest

from crawler.extract import ArticleRecord, extract
from crawler.extract.dates import VN_TZ

PAGES = Path(__file__).parent / "data" / "pages"
REAL = Path(__file__).parents[1] / ".." / "shared" / "portals" / "html"
URL = "https://binhlieu.quangninh.gov.vn/Trang/ChiTietTinTuc.aspx?nid=12345"
FOUNDING = (PAGES / "qnp_article_founding.html").read_text(encoding="utf-8")
TEXT_FIELDS = ("title", "published_raw", "author", "author_raw", "summary", "body_text",
               "body_html", "category", "view_count_raw")


def check(rec: ArticleRecord) -> ArticleRecord:
    """Invariants every record satisfies, whatever the input."""
    assert isinstance(rec, ArticleRecord)
    assert rec.page_type in ("article", "listing", "home", "other")
    json.dumps(rec.to_dict())  # always serialisable
    for name in TEXT_FIELDS:
        value = getattr(rec, name)
        assert value is None or (isinstance(value, str) and value), name
        if value:
            assert unicodedata.is_normalized("NFC", value), name
            assert "\xa0" not in value and value == value.strip(), name
    for name in ("title", "published_at", "author", "body_text"):
        if getattr(rec, name) is None:
            assert rec.failures.get(name), f"{name} is empty without a reason"
    if rec.published_at is not None:
        assert rec.published_at.endswith("+07:00")
        assert rec.date_precision in ("minute", "day")
    return rec


@pytest.mark.parametrize(
    "html",
    [
        "", b"", "   \n\t ", None, b"\x00\x00\x00", "<", "<html", "<html></html>",
        "<!-- only a comment -->", "<?xml version='1.0' encoding='utf-8'?><html><body><p>x</p>",
        "<html><body><p>Không có gì</p></body></html>", "plain text, no markup at all",
        b"\xff\xfe\x00<\x00h\x00t\x00m\x00l\x00>\x00", "\ufeff<html><title>BOM</title></html>",
        "<table><tr><td><div><p><span>unclosed", "<p>a\x01b\x1fc\x7fd</p>",
        b'<meta charset="bogus-charset"><p>\xff\xfe x</p>',
        b'<meta charset="cp1258"><p>\xd0\xe3</p>',
    ],
)
def test_degenerate_inputs(html) -> None:
    rec = check(extract(URL, html))
    assert not rec.is_article


def test_empty_input_reasons() -> None:
    rec = check(extract(URL, b""))
    assert rec.page_type == "article"  # the URL is an article URL; extraction failed
    assert "empty document" in rec.failures["page"]
    assert rec.title is None and "no HTML" in rec.failures["title"]


def test_binary_junk_is_deterministic_and_harmless() -> None:
    rng = random.Random(20220127)
    for size in (1, 100, 10_000, 200_000):
        check(extract(URL, rng.randbytes(size)))
    check(extract("https://example.gov.vn/a", bytes(range(256)) * 50))


def test_odd_arguments() -> None:
    check(extract(None, FOUNDING))  # type: ignore[arg-type]
    check(extract("not a url at all", FOUNDING))
    check(extract("http://[::1", FOUNDING))  # an unparseable URL
    check(extract(URL, FOUNDING, family=None))  # type: ignore[arg-type]
    check(extract(URL, FOUNDING.encode(), encoding="no-such-codec"))
    check(extract(URL, 12345))  # type: ignore[arg-type]


def test_encodings() -> None:
    rec = check(extract(URL, FOUNDING.encode("utf-16")))
    assert rec.title == "Họp Ban thường vụ HU"
    legacy = FOUNDING.replace('charset=utf-8"', 'charset=windows-1258"').encode(
        "cp1258", errors="replace")
    check(extract(URL, legacy))
    rec = check(extract(URL, FOUNDING.encode("utf-8"), encoding="utf-8"))
    assert rec.author == "Thu Hằng"


@pytest.mark.parametrize("fraction", [0.2, 0.45, 0.6, 0.75, 0.9])
def test_truncated_pages(fraction: float) -> None:
    data = FOUNDING.encode()
    cut = data[: int(len(data) * fraction)]
    rec = check(extract(URL, cut))
    if rec.title is not None:
        assert rec.title == "Họp Ban thường vụ HU"
    # cut in the middle of a multi-byte character
    check(extract(URL, data[: int(len(data) * fraction) | 1]))


def test_huge_page_is_handled_in_reasonable_time() -> None:
    paragraph = "<p>&nbsp;&nbsp;" + "Đoạn văn dài của bài viết để kiểm tra hiệu năng. " * 3 + "</p>"
    html = FOUNDING.replace('<p style="text-align: right;">', paragraph * 15_000 +
                            '<p style="text-align: right;">')
    assert len(html) > 2_000_000
    start = time.perf_counter()
    rec = check(extract(URL, html))
    assert time.perf_counter() - start < 20
    assert rec.is_article and rec.author == "Thu Hằng"
    assert rec.body_text.count("\n\n") > 15_000


def test_deeply_nested_markup_does_not_hit_the_recursion_limit() -> None:
    html = "<html><body>" + "<div><span>" * 5000 + "Sâu" + "</span></div>" * 5000 + "</body></html>"
    check(extract("https://example.gov.vn/a", html))


def test_impossible_date_is_not_guessed() -> None:
    rec = check(extract(URL, FOUNDING.replace("27/01/2022 10:16", "31/02/2022 10:16")))
    assert rec.published_at is None and rec.date_precision is None
    assert rec.published_raw == "31/02/2022 10:16"
    assert "impossible date" in rec.failures["published_at"]


def test_future_date_is_rejected() -> None:
    year = datetime.now(VN_TZ).year + 1
    rec = check(extract(URL, FOUNDING.replace("27/01/2022 10:16", f"31/12/{year} 10:16")))
    assert rec.published_at is None
    assert "future" in rec.failures["published_at"]


def test_year_out_of_range_is_rejected() -> None:
    rec = check(extract(URL, FOUNDING.replace("27/01/2022 10:16", "27/01/1990 10:16")))
    assert rec.published_at is None and "1995" in rec.failures["published_at"]


def test_outputs_are_nfc_on_every_page() -> None:
    paths = sorted(PAGES.glob("*.html"))
    if REAL.is_dir():
        paths += sorted(REAL.glob("*.html"))
    assert len(paths) >= 5
    for path in paths:
        rec = check(extract("http://example.gov.vn/page", path.read_bytes()))
        for counter in rec.counters:
            assert unicodedata.is_normalized("NFC", counter.label_raw)


def test_nfd_and_entities_everywhere() -> None:
    nfd = unicodedata.normalize("NFD", FOUNDING)
    rec = check(extract(URL, nfd))
    assert rec.title == "Họp Ban thường vụ HU" and rec.author == "Thu Hằng"
    assert rec.counters[1].label_raw == "Đã truy cập"


def test_a_failing_step_is_recorded_not_raised(monkeypatch) -> None:
    from crawler.extract.families import qnp

    def broken(self, page):
        raise RuntimeError("profile bug")

    monkeypatch.setattr(qnp.QnpFamily, "extract", broken)
    rec = check(extract(URL, FOUNDING))
    assert rec.title == "Họp Ban thường vụ HU"  # the generic fallback took over
    assert rec.sources["title"] == "generic"
    assert rec.author == "Thu Hằng"


def test_a_failing_generic_field_is_recorded(monkeypatch) -> None:
    from crawler.extract import generic

    def broken(self):
        raise ValueError("category bug")

    monkeypatch.setattr(generic.Generic, "category", property(broken))
    rec = check(extract("https://example.gov.vn/x", (PAGES / "qnp_listing.html").read_bytes(),
                        family="generic"))
    assert "category bug" in rec.failures["category"]
