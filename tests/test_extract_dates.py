"""Day-first Vietnamese dates → ISO 8601 at +07:00 (crawler.extract.dates)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from crawler.extract import dates
from crawler.extract.dates import VN_TZ, find_date, parse_date

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=VN_TZ)


@pytest.mark.parametrize(
    ("text", "iso", "precision", "raw"),
    [
        ("27/01/2022 10:16", "2022-01-27T10:16:00+07:00", "minute", "27/01/2022 10:16"),
        ("27/01/2022 10:16:05", "2022-01-27T10:16:05+07:00", "minute", "27/01/2022 10:16:05"),
        ("27/01/2022", "2022-01-27T00:00:00+07:00", "day", "27/01/2022"),
        ("7/1/2022", "2022-01-07T00:00:00+07:00", "day", "7/1/2022"),
        # QNP search results: SA = AM, CH = PM
        ("27/01/2022 10:16:05 SA", "2022-01-27T10:16:05+07:00", "minute", None),
        ("27/01/2022 10:16:05 CH", "2022-01-27T22:16:05+07:00", "minute", None),
        ("27/01/2022 12:05:00 SA", "2022-01-27T00:05:00+07:00", "minute", None),
        ("27/01/2022 12:05:00 CH", "2022-01-27T12:05:00+07:00", "minute", None),
        # Liferay: English 12-hour clock, no leading zero; "12:00 AM" means "no time given"
        ("16/04/2021 | 9:07 AM", "2021-04-16T09:07:00+07:00", "minute", "16/04/2021 | 9:07 AM"),
        ("18/03/2019 | 04:01 PM", "2019-03-18T16:01:00+07:00", "minute", None),
        ("Ngày đăng 17/10/2014 | 12:00 AM", "2014-10-17T00:00:00+07:00", "day",
         "Ngày đăng 17/10/2014 | 12:00 AM"),
        ("Ngày đăng 17/10/2014 | 12:00 AM | View count: 865", "2014-10-17T00:00:00+07:00",
         "day", "Ngày đăng 17/10/2014 | 12:00 AM"),
        # Tân Dân
        ("Đăng ngày 17 - 05 - 2024", "2024-05-17T00:00:00+07:00", "day",
         "Đăng ngày 17 - 05 - 2024"),
        # NukeViet: weekday prefixes
        ("Thứ ba - 01/02/2022 18:11", "2022-02-01T18:11:00+07:00", "minute",
         "Thứ ba - 01/02/2022 18:11"),
        ("Thứ Hai, 01/02/2022", "2022-02-01T00:00:00+07:00", "day", "Thứ Hai, 01/02/2022"),
        ("Chủ nhật, 05/05/2024", "2024-05-05T00:00:00+07:00", "day", None),
        # Vĩnh Phúc: time first
        ("(10:59 AM-27/01/2022)", "2022-01-27T10:59:00+07:00", "minute", "10:59 AM-27/01/2022"),
        # Phú Thọ
        ("Cập nhật: 12/11/2021", "2021-11-12T00:00:00+07:00", "day", "Cập nhật: 12/11/2021"),
        ("ngày 17 tháng 5 năm 2024", "2024-05-17T00:00:00+07:00", "day", None),
        ("Hà Nội, Ngày 17 Tháng 05 Năm 2024", "2024-05-17T00:00:00+07:00", "day", None),
        ("10h30 ngày 17/05/2024", "2024-05-17T10:30:00+07:00", "minute", None),
        # ISO, converted to +07:00
        ("2022-02-01T18:11:00+07:00", "2022-02-01T18:11:00+07:00", "minute", None),
        ("2022-02-01T11:11:00Z", "2022-02-01T18:11:00+07:00", "minute", None),
        ("2022-02-01", "2022-02-01T00:00:00+07:00", "day", None),
    ],
)
def test_known_forms(text: str, iso: str, precision: str, raw: str | None) -> None:
    found = find_date(text, now=NOW)
    assert found is not None
    assert found.error is None
    assert found.iso == iso
    assert found.precision == precision
    if raw is not None:
        assert found.raw == raw


def test_nbsp_and_nfd_are_normalized_first() -> None:
    found = find_date("Ngày\u00a0đăng\u00a027/01/2022\u00a010:16", now=NOW)
    assert found is not None and found.iso == "2022-01-27T10:16:00+07:00"
    assert found.raw == "Ngày đăng 27/01/2022 10:16"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("31/02/2022", "impossible date"),
        ("29/02/2023", "impossible date"),
        ("32/01/2022 10:16", "impossible date"),
        ("27/13/2022", "impossible date"),
        ("27/01/2022 25:10", "impossible time"),
        ("27/01/2022 10:61", "impossible time"),
        ("01/01/1990", "outside 1995"),
        ("01/01/2099", "outside 1995"),
        ("31/12/2025", "future"),  # next year is allowed as a year, but not past now + 1 day
        ("13:30 CH 27/01/2022", "12-hour"),
    ],
)
def test_impossible_dates_are_rejected_with_a_reason(text: str, reason: str | None) -> None:
    found = find_date(text, now=NOW)
    assert found is not None
    if reason is None:
        assert found.precision == "day"
        return
    assert found.value is None and found.iso is None and found.precision is None
    assert reason in (found.error or "")
    assert found.raw  # the raw text is kept for the record


def test_tomorrow_is_tolerated_but_not_later() -> None:
    tomorrow = (NOW + timedelta(hours=20)).strftime("%d/%m/%Y %H:%M")
    assert find_date(tomorrow, now=NOW).value is not None
    later = (NOW + timedelta(days=3)).strftime("%d/%m/%Y")
    assert "future" in find_date(later, now=NOW).error


def test_default_now_is_the_real_clock() -> None:
    next_year = datetime.now(VN_TZ).year + 1
    found = find_date(f"31/12/{next_year}")
    assert found.value is None and "future" in found.error


@pytest.mark.parametrize("text", ["", "Lượt xem: 1692 lượt xem", "Tin tức sự kiện", "2022",
                                  "Số 5113/QĐ-UBND", "x" * 500 + " 27/01/2022"])
def test_non_dates_and_long_strings(text: str) -> None:
    assert find_date(text, now=NOW) is None


def test_dateparser_fallback_for_other_short_text() -> None:
    found = parse_date("May 17, 2024", now=NOW)
    assert found is not None and found.iso == "2024-05-17T00:00:00+07:00"
    assert found.precision == "day"
    found = parse_date("17 tháng Năm, 2024 10:30", now=NOW)
    assert found is not None and found.iso == "2024-05-17T10:30:00+07:00"
    assert found.precision == "minute"


def test_dateparser_is_not_used_when_the_regex_path_works_or_text_is_long(monkeypatch) -> None:
    def boom(*args, **kwargs):
        raise AssertionError("dateparser must not be called")

    monkeypatch.setattr(dates, "_dateparser", boom)
    assert parse_date("27/01/2022 10:16", now=NOW).iso == "2022-01-27T10:16:00+07:00"
    assert parse_date("Bài viết dài " * 20 + "May 17, 2024", now=NOW) is None
    assert parse_date("không có ngày tháng", now=NOW) is None


def test_dateparser_results_are_validated_too() -> None:
    found = parse_date("May 17, 1990", now=NOW)
    assert found is not None and found.value is None and "1995" in found.error
