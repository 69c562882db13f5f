"""Day-first Vietnamese dates as shown on government portals, to ISO 8601 at +07:00.

Fast path: compiled regexes for the forms seen on the portals (FAMILIES.md), tried on short
strings only:

- ``27/01/2022 10:16``, ``27/01/2022 10:16:05``, ``27/01/2022``, ``17 - 05 - 2024``
- 12-hour clocks: ``dd/mm/yyyy hh:mm:ss SA|CH`` (SA = AM, CH = PM), ``16/04/2021 | 9:07 AM``
- labels and weekdays in front: ``Ngày đăng``, ``Đăng ngày``, ``Cập nhật:``, ``Thứ ba -``,
  ``Thứ Hai,`` (kept in the raw text, ignored for the value)
- time first: ``(10:59 AM-27/01/2022)``
- words: ``ngày 17 tháng 5 năm 2024``
- ISO: ``2022-02-01T18:11:00+07:00``

``dateparser`` is the slow fallback (hundreds of ms on first use), imported lazily and only by
``parse_date`` for short, explicitly date-labelled strings (metadata values), never while
scanning page lines.

Nothing guessed is presented as certain: impossible dates (``31/02/2022``), years outside
1995..now+1 and dates more than a day in the future give ``value=None`` with an ``error``; a
date without a time gets ``precision="day"`` and midnight. Liferay prints ``12:00 AM`` when no
time was entered, so exactly ``12:00 AM`` (12-hour, no seconds) is also treated as date-only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from .normalize import clean

# Vietnam has used UTC+7 without daylight saving since 1975, so a fixed offset is exact for
# every year we accept (1995 on) and avoids a tzdata dependency.
VN_TZ = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")
MIN_YEAR = 1995
MAX_TEXT = 200  # longer strings are not date lines; never scan (or dateparse) them

_LABEL = (
    r"(?:(?:ngày\s+đăng|đăng\s+ngày|ngày\s+cập\s+nhật|cập\s+nhật(?:\s+lúc|\s+ngày)?|"
    r"ngày\s+xuất\s+bản|xuất\s+bản|thời\s+gian(?:\s+đăng)?|đăng\s+lúc|ngày\s+ban\s+hành|"
    r"posted(?:\s+on)?|published|updated)\s*:?\s*)?"
)
_WEEKDAY = (
    r"(?:(?:thứ\s*(?:hai|ba|tư|năm|sáu|bảy|bẩy|[2-7])|chủ\s*nhật|CN|"
    r"mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?\s*[,\-–]?\s*(?:ngày\s+)?)?"
)
# Labels and weekdays are matched backwards from a date already found (anchored at its
# start): scanning every position of every line for them made the search ~50x slower.
_PREFIX_END = re.compile(r"(?:" + _LABEL + _WEEKDAY + r")$", re.I)
_DMY = (
    r"(?<!\d)(?P<d>\d{1,2})\s*(?P<sep>[/.\-])\s*(?P<m>\d{1,2})\s*(?P=sep)\s*(?P<y>\d{4})(?!\d)"
)
_TIME = (
    r"(?<!\d)(?P<H>\d{1,2})(?:\s*:\s*|h)(?P<M>\d{2})(?!\d)(?:\s*:\s*(?P<S>\d{2})(?!\d))?"
    r"(?:\s*(?P<ap>AM|PM|SA|CH)\b)?"
)
_JOIN = r"(?:\s*[|,\-–]\s*|\s*(?:vào\s+)?lúc\s+|\s+)"

_PATTERNS = [
    re.compile(r"(?<!\d)(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?:[T ](?P<H>\d{2}):(?P<M>\d{2})"
               r"(?::(?P<S>\d{2})(?:\.\d+)?)?(?P<tz>Z|[+-]\d{2}:?\d{2})?)?(?!\d)"),
    re.compile(r"\(?" + _TIME + r"\s*(?:[|,\-–]|ngày)?\s*" + _DMY + r"\)?", re.I),
    re.compile(_DMY + r"(?:" + _JOIN + _TIME + r")?", re.I),
    re.compile(r"(?:ngày\s+)?(?<!\d)(?P<d>\d{1,2})\s+tháng\s+(?P<m>\d{1,2})\s*,?\s*"
               r"năm\s+(?P<y>\d{4})(?!\d)", re.I),
]
# Cheap gate: no dd/mm/yyyy-like shape, ISO date or "tháng" → no need to try the patterns.
_GATE = re.compile(r"\d\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{4}|\d{4}-\d\d-\d\d|[tT][hH][áÁ][nN][gG]")
_HAS_TIME = re.compile(_TIME, re.I)
# What a date string handed to dateparser must look like (numbers, Vietnamese or English
# month words with a 4-digit year), so it is not asked to parse arbitrary prose.
_DATEISH = re.compile(
    r"\d{1,2}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{4}|\d{4}-\d{2}-\d{2}|tháng|"
    r"\b[a-z]{3,9}\.?\s+\d{1,2},?\s+\d{4}\b|\b\d{1,2}\s+[a-z]{3,9}\.?,?\s+\d{4}\b",
    re.I,
)


@dataclass(frozen=True)
class DateResult:
    """A date found in text: the raw span as shown, the value (or None) and why not."""

    raw: str
    value: datetime | None
    precision: str | None  # "minute" | "day" | None
    error: str | None = None

    @property
    def iso(self) -> str | None:
        return self.value.isoformat() if self.value else None


def _now(now: datetime | None) -> datetime:
    return now.astimezone(VN_TZ) if now else datetime.now(VN_TZ)


def _build(parts: dict[str, str | None], raw: str, now: datetime) -> DateResult:
    """Validate the captured parts and assemble a DateResult (never raises)."""
    try:
        y, m, d = int(parts["y"] or 0), int(parts["m"] or 0), int(parts["d"] or 0)
    except (TypeError, ValueError):
        return DateResult(raw, None, None, f"unreadable date {raw!r}")
    if not MIN_YEAR <= y <= now.year + 1:
        return DateResult(raw, None, None, f"year {y} outside {MIN_YEAR}..{now.year + 1}")
    try:
        day = date(y, m, d)
    except ValueError as exc:
        return DateResult(raw, None, None, f"impossible date {raw!r}: {exc}")
    precision = "day"
    hour = minute = second = 0
    if parts.get("H") is not None and parts.get("M") is not None:
        hour, minute = int(parts["H"] or 0), int(parts["M"] or 0)
        second = int(parts.get("S") or 0)
        ampm = (parts.get("ap") or "").upper()
        if ampm:
            if not 1 <= hour <= 12:
                return DateResult(raw, None, None, f"impossible 12-hour time in {raw!r}")
            if ampm in ("AM", "SA"):
                hour = 0 if hour == 12 else hour
            elif hour != 12:
                hour += 12
        if hour > 23 or minute > 59 or second > 59:
            return DateResult(raw, None, None, f"impossible time in {raw!r}")
        precision = "minute"
        # Liferay renders a missing time as "12:00 AM": not a real midnight timestamp.
        if ampm == "AM" and (hour, minute) == (0, 0) and parts.get("S") is None:
            precision = "day"
    value = datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=VN_TZ)
    tz = parts.get("tz")
    if tz:
        value = _apply_offset(value, tz)
    if value > now + timedelta(days=1):
        return DateResult(raw, None, None, f"date {value.isoformat()} is in the future")
    return DateResult(raw, value, precision)


def _apply_offset(local: datetime, tz: str) -> datetime:
    """Reinterpret a wall-clock time in the given offset and convert it to +07:00."""
    if tz.upper() == "Z":
        offset = timedelta(0)
    else:
        sign = -1 if tz[0] == "-" else 1
        digits = tz[1:].replace(":", "")
        offset = sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
    return local.replace(tzinfo=timezone(offset)).astimezone(VN_TZ)


def find_date(text: str | None, now: datetime | None = None) -> DateResult | None:
    """Find the first date in a short text (a line); None if nothing looks like a date.

    Returns a DateResult whose ``value`` is None (with ``error``) when the text shows a date
    that cannot be true, so callers can report the reason instead of guessing.
    """
    if not text or len(text) > MAX_TEXT or not _GATE.search(text):
        return None
    text = clean(text)
    best: re.Match[str] | None = None
    for pattern in _PATTERNS:
        m = pattern.search(text)
        if m and (best is None or m.start() < best.start()
                  or (m.start() == best.start() and m.end() > best.end())):
            best = m
    if best is None:
        return None
    start = best.start()
    window = text[max(0, start - 40):start]
    prefix = _PREFIX_END.search(window) if window.strip() else None
    if prefix is not None:
        start -= len(window) - prefix.start()
    raw = text[start:best.end()].strip(" |,-–")
    if raw.startswith("(") and raw.endswith(")"):
        raw = raw[1:-1].strip()
    return _build(best.groupdict(), raw, _now(now))


def parse_date(text: str | None, now: datetime | None = None) -> DateResult | None:
    """Parse a whole date string (e.g. a metadata value); regex first, dateparser fallback."""
    if not text:
        return None
    text = clean(text)
    found = find_date(text, now)
    if found is not None or len(text) > 80 or not any(c.isdigit() for c in text):
        return found
    if not _DATEISH.search(text):
        return None
    return _dateparser(text, _now(now))


def _dateparser(text: str, now: datetime) -> DateResult | None:
    try:
        import dateparser  # slow import and slow first call: only here, on demand
    except ImportError:  # pragma: no cover - dateparser is a declared dependency
        return None
    try:
        value = dateparser.parse(text, languages=["vi", "en"], settings={
            "DATE_ORDER": "DMY",
            "RETURN_AS_TIMEZONE_AWARE": True,
            "TIMEZONE": "Asia/Ho_Chi_Minh",
            "TO_TIMEZONE": "Asia/Ho_Chi_Minh",
            # never let dateparser fill in a missing day/month/year from "today"
            "REQUIRE_PARTS": ["day", "month", "year"],
        })
    except Exception as exc:  # dateparser raises assorted errors on odd input
        return DateResult(text, None, None, f"dateparser failed: {type(exc).__name__}")
    if value is None:
        return None
    parts = {"y": str(value.year), "m": str(value.month), "d": str(value.day)}
    if _HAS_TIME.search(text):
        parts.update(H=str(value.hour), M=f"{value.minute:02d}", S=str(value.second))
    return _build(parts, text, now)
