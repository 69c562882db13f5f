"""Allowed crawl windows: a registry entry's ``window = "22:00-05:00"`` (local time in the
entry's ``timezone``) limits when the scheduler may start its crawls, and when they must stop
(``crawler/extensions/crawl_window.py``). A window whose end is
before its start runs past midnight. A slot that falls due outside the window waits for the
window to open and then runs once."""

from __future__ import annotations

import re
import time as monotonic_clock
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

# Exit status of a crawl stopped at the end of its window (``portal-archive crawl``).
WINDOW_CLOSED_EXIT = 3
_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_window(text: object) -> tuple[time, time]:
    """``"HH:MM-HH:MM"`` to (start, end); ValueError says what is wrong."""
    match = _WINDOW.match(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"{text!r} is not a window like \"22:00-05:00\"")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise ValueError(f"{text!r}: hours are 0-23 and minutes 0-59")
    start, end = time(h1, m1), time(h2, m2)
    if start == end:
        raise ValueError(f"{text!r}: the window is empty")
    return start, end


def window_end(window: str, moment: datetime, timezone: str) -> datetime | None:
    """When the window ``moment`` falls in closes (aware, in ``timezone``); None outside."""
    if not in_window(window, moment, timezone):
        return None
    start, end = parse_window(window)
    local = moment.astimezone(ZoneInfo(timezone))
    day = local.date()
    if start > end and local.time().replace(tzinfo=None) >= start:
        day += timedelta(days=1)  # inside a window that runs past midnight: it ends tomorrow
    return datetime.combine(day, end, tzinfo=ZoneInfo(timezone))


def in_window(window: str, moment: datetime, timezone: str) -> bool:
    """Whether ``moment`` (aware) falls inside the window, read in ``timezone``."""
    start, end = parse_window(window)
    local = moment.astimezone(ZoneInfo(timezone)).time().replace(tzinfo=None)
    if start < end:
        return start <= local < end
    return local >= start or local < end  # past midnight


Clock = Callable[[], datetime]


def clock_from_settings(settings: Any) -> Clock:
    """The wall clock, or one started at ``CRAWL_WINDOW_CLOCK_START`` and running from there."""
    start = settings.get("CRAWL_WINDOW_CLOCK_START")
    if not start:
        return lambda: datetime.now(UTC)
    origin, t0 = datetime.fromisoformat(str(start)), monotonic_clock.monotonic()
    if origin.tzinfo is None:
        raise ValueError(f"CRAWL_WINDOW_CLOCK_START {start!r} needs a UTC offset")
    return lambda: origin + timedelta(seconds=monotonic_clock.monotonic() - t0)


def portal_window(portal: Any, settings: Any) -> tuple[str, str] | None:
    """(window, time zone) of a crawl: the settings', else the portal's; None without one."""
    extra = getattr(portal, "extra", None) or {}
    window = settings.get("CRAWL_WINDOW") or extra.get("window")
    if not window:
        return None
    parse_window(window)  # ValueError names the problem
    from crawler.scheduling.triggers import DEFAULT_TZ

    zone = settings.get("CRAWL_WINDOW_TIMEZONE") or getattr(portal, "timezone", DEFAULT_TZ)
    return window, zone
