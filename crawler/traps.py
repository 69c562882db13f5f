"""Crawler traps: URLs that generate endless variants of themselves, recognised before they
are requested.

Rules (each returns a one-line reason, recorded as a ``trap`` row in ``fetch_failures``):

- a session id in the query or a path parameter (``;jsessionid=``, ``PHPSESSID``, ``sid``,
  ``ASPSESSIONID…``): every visit mints a new URL for the same page;
- a page number beyond ``TRAPS_MAX_PAGE`` (``page``, ``Page``, ``p``, ``trang``, ``pageindex``);
- a calendar date (``year``/``nam``/``month`` parameters or a ``/YYYY/MM/`` path) before
  1995 or more than ``TRAPS_YEARS_AHEAD`` years ahead of now: calendars link forever;
- a path segment repeated three times or more (``/a/b/a/b/a/b``), a URL longer than 2,000
  characters.

Settings: ``TRAPS_ENABLED`` (True), ``TRAPS_MAX_PAGE`` (5000), ``TRAPS_YEARS_AHEAD`` (1).
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

SESSION_PARAMS = frozenset({"jsessionid", "phpsessid", "sid", "sessionid", "session_id",
                            "sessid", "cfid", "cftoken", "zenid", "osCsid".lower()})
PAGE_PARAMS = frozenset({"page", "p", "trang", "pageindex", "pagenum", "start_page"})
YEAR_PARAMS = frozenset({"year", "nam", "y"})
MIN_YEAR = 1995  # no Vietnamese government portal is older
MAX_URL = 2000
# A pager beyond this page is a trap (a QNP category of 20,000 articles has 2,000 pages of 10).
MAX_PAGE = 5000
_PATH_YEAR = re.compile(r"/((?:19|20|21)\d\d)/(?:0?[1-9]|1[0-2])(?:/|$)")


class TrapRules:
    """``reason(url)``: why ``url`` is a trap, or None."""

    def __init__(self, max_page: int = MAX_PAGE, years_ahead: int = 1,
                 now: datetime | None = None) -> None:
        self.max_page = max_page
        self.min_year = MIN_YEAR
        self.max_year = (now or datetime.now(UTC)).year + years_ahead

    @classmethod
    def from_settings(cls, settings: Any) -> TrapRules | None:
        """The rules a crawl's settings ask for, or None when ``TRAPS_ENABLED`` is off."""
        if not settings.getbool("TRAPS_ENABLED", True):
            return None
        return cls(settings.getint("TRAPS_MAX_PAGE", MAX_PAGE),
                   settings.getint("TRAPS_YEARS_AHEAD", 1))

    def reason(self, url: str) -> str | None:
        if len(url) > MAX_URL:
            return f"URL longer than {MAX_URL} characters"
        parts = urlsplit(url)
        path, _, path_params = parts.path.partition(";")
        names = [k.split("=", 1)[0].lower() for k in path_params.split(";") if k]
        query = [(k.lower(), v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
        for name in names + [k for k, _ in query]:
            if name in SESSION_PARAMS or name.startswith("aspsessionid"):
                return f"session id parameter {name!r}"
        for name, value in query:
            if name in PAGE_PARAMS and value.isdigit() and int(value) > self.max_page:
                return f"page {value} beyond {self.max_page}"
            if name in YEAR_PARAMS and value.isdigit() and not self._year_ok(int(value)):
                return f"calendar year {value} outside {self.min_year}..{self.max_year}"
        match = _PATH_YEAR.search(path)
        if match and not self._year_ok(int(match.group(1))):
            return f"calendar year {match.group(1)} outside {self.min_year}..{self.max_year}"
        segments = [s.lower() for s in path.split("/") if s]
        if segments:
            segment, count = Counter(segments).most_common(1)[0]
            if count >= 3:
                return f"path segment {segment!r} repeated {count} times"
        return None

    def _year_ok(self, year: int) -> bool:
        return self.min_year <= year <= self.max_year
