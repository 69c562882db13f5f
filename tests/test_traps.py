"""Crawler trap rules (crawler/traps.py) and the failure kinds of failure_log."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from scrapy.exceptions import IgnoreRequest
from scrapy.settings import Settings

from crawler.middlewares.failure_log import exception_kind
from crawler.traps import TrapRules

RULES = TrapRules(max_page=50, years_ahead=1, now=datetime(2026, 6, 1, tzinfo=UTC))
BASE = "http://binhlieu.quangninh.gov.vn"


@pytest.mark.parametrize("url", [
    f"{BASE}/Trang/Default.aspx",
    f"{BASE}/Trang/Tin-tuc-su-kien.aspx?Cat=82&Page=12",
    f"{BASE}/Trang/ChiTietTinTuc.aspx?nid=26187",
    f"{BASE}/lich-cong-tac?year=2026&month=12",
    f"{BASE}/tin-tuc/2024/03/hoi-nghi.html",
    f"{BASE}/a/b/a/b",  # twice is a coincidence, not yet a trap
])
def test_ordinary_urls_pass(url: str) -> None:
    assert RULES.reason(url) is None


@pytest.mark.parametrize(("url", "words"), [
    (f"{BASE}/faults/session;jsessionid=0000000A?sid=10", "session id"),
    (f"{BASE}/x.aspx?PHPSESSID=abc", "'phpsessid'"),
    (f"{BASE}/x.asp?ASPSESSIONIDQQ=abc", "session id"),
    (f"{BASE}/Trang/Tin-tuc-su-kien.aspx?Cat=82&Page=51", "page 51 beyond 50"),
    (f"{BASE}/lich?year=2028&month=1", "calendar year 2028"),
    (f"{BASE}/lich?nam=1900", "calendar year 1900"),
    (f"{BASE}/tin-tuc/2031/01/", "calendar year 2031"),
    (f"{BASE}/a/b/a/b/a/b", "repeated 3 times"),
    (f"{BASE}/?q=" + "x" * 2100, "longer than 2000"),
])
def test_traps_are_recognised(url: str, words: str) -> None:
    reason = RULES.reason(url)
    assert reason is not None and words in reason


def test_rules_follow_settings() -> None:
    assert TrapRules.from_settings(Settings({"TRAPS_ENABLED": False})) is None
    rules = TrapRules.from_settings(Settings({"TRAPS_MAX_PAGE": 3}))
    assert rules is not None and rules.reason(f"{BASE}/list?page=4") == "page 4 beyond 3"


@pytest.mark.parametrize(("exc", "kind"), [
    (IgnoreRequest("Filtered offsite request to '127.0.0.2'"), "offsite"),
    (IgnoreRequest("Forbidden by robots.txt"), "robots"),
    (RuntimeError("Received 10485760 bytes which is larger than download max size (1000)"),
     "too_large"),
    (TimeoutError("User timeout caused connection failure: took longer than 2 seconds"),
     "timeout"),
    (ConnectionRefusedError("Connection was refused by other side"), "refused"),
])
def test_exception_kinds(exc: Exception, kind: str) -> None:
    assert exception_kind(exc) == kind
