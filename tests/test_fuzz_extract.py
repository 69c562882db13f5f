"""Property tests (hypothesis) over extraction and date parsing: whatever the page, no
exception escapes, every text output is NFC, and a publication time carries +07:00 or is
empty. A small, derandomized example budget keeps this in the normal suite (``make fuzz``: a
large random one); the examples mix random text with fragments of real portal markup (dates,
counters, broken tags) so they reach the parsers.
"""

from __future__ import annotations

import os
import unicodedata
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.extract import extract
from crawler.extract.dates import find_date, parse_date
from crawler.indexing import decode_html

FIXED_NOW = datetime(2026, 6, 1, tzinfo=UTC)
FRAGMENTS = [
    '<h1 class="news-title">', "</h1>", '<div class="news-date">', "</div>",
    '<div class="news-content ms-rtestate-field">', "<p>", "</p>", "<form>", "<table><tr>",
    "<title>", "</title>", "27/01/2022 10:16", "31/02/2024 25:61", "01/01/2099", "Ngày 5 tháng 3",
    "năm 2024", "Hôm nay: 323", "Đã truy cập: 2481457", "Lượt xem: 12", "&nbsp;", "&#7879;",
    "e\u0323\u0302", "Thu Hằng", "<script>alert(1)</script>", "<!--", "]]>", "\x00", "\ufeff",
    '<meta property="article:published_time" content="2024-03-05T08:00:00Z">',
    '<a href="javascript:void(0)">', "Gửi ý kiến phản hồi", "\r\n", " ",
]
PAGE = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=30)), max_size=40).map(
    "".join)
FAMILY = st.sampled_from(["qnp", "tandan", "liferay", "nukeviet", "lacviet", "generic"])
# `make fuzz` raises the budget (FUZZ_EXAMPLES=5000); the normal suite runs 60 per property.
BUDGET = os.environ.get("FUZZ_EXAMPLES")
FUZZ = settings(max_examples=int(BUDGET or 60), derandomize=BUDGET is None, database=None,
                deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _texts(value: object):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _texts(item)


@FUZZ
@given(page=PAGE, family=FAMILY, nid=st.integers(min_value=0, max_value=10**9))
def test_extract_never_raises_and_outputs_nfc(page: str, family: str, nid: int) -> None:
    url = f"http://binhlieu.quangninh.gov.vn/Trang/ChiTietTinTuc.aspx?nid={nid}"
    record = extract(url, page, family=family).to_dict()
    for text in _texts({k: v for k, v in record.items() if k != "failures"}):
        assert unicodedata.is_normalized("NFC", text), text
    published = record.get("published_at")
    assert published is None or published.endswith("+07:00"), published


@FUZZ
@given(body=st.binary(max_size=400), charset=st.sampled_from(
    ["", "utf-8", "iso-8859-1", "windows-1258", "windows-1252", "bogus-charset"]))
def test_decoding_any_bytes_never_raises(body: bytes, charset: str) -> None:
    ctype = f"text/html; charset={charset}" if charset else "text/html"
    assert isinstance(decode_html(body, ctype), str)


@FUZZ
@given(text=st.one_of(PAGE, st.text(max_size=60)))
def test_dates_carry_the_vietnam_offset_or_nothing(text: str) -> None:
    for found in (find_date(text, FIXED_NOW), parse_date(text, FIXED_NOW)):
        if found is not None and found.iso is not None:
            assert found.iso.endswith("+07:00"), (text, found)
