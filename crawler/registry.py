"""The portal registry: a checked-in, human-edited TOML file of the portals we archive.

Each ``[[portals]]`` entry has ``id``, ``name``, ``province``, ``district``, ``base_url``,
``family``, ``start_urls``, ``allowed_hosts`` (exact, with the ``www.`` twin; ``*.domain``
for subdomains: see ``host_allowed``) and optional ``confirmed`` (false for hosts we
have not verified), ``notes``, ``allowed_paths``, and a recurring ``schedule`` (cron
expression) with ``timezone`` (default Asia/Ho_Chi_Minh) and ``mode`` (full|incremental),
and politeness: ``concurrency`` (requests at once per host), ``delay`` (seconds between them)
and ``window`` (``"22:00-05:00"``: when its crawls may run); these, ``allowed_paths`` and
``timezone`` are kept in ``Portal.extra``.
Loading validates every entry and reports the first mistake with the entry and field it is
in: an unknown field (with a "did you mean"), a value of the wrong type (``confirmed =
"no"``, ``province = 5``), a bad URL, host, cron expression, time zone or window. The
default file is ``portals.toml`` at the project root; ``PORTAL_ARCHIVE_REGISTRY`` or
``--registry`` point elsewhere.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from crawler.errors import RegistryError, UnknownPortalError
from crawler.scheduling.triggers import DEFAULT_TZ, Schedule, ScheduleError, parse_schedule

DEFAULT_REGISTRY = Path(__file__).resolve().parents[1] / "portals.toml"
# Every field an entry may have, with its TOML type (numbers are checked where they are
# used); EXTRA_FIELDS are kept in ``Portal.extra``.
FIELDS: dict[str, type | None] = {
    "id": str, "name": str, "province": str, "district": str, "base_url": str, "family": str,
    "start_urls": list, "allowed_hosts": list, "confirmed": bool, "notes": str,
    "allowed_paths": list, "schedule": str, "timezone": str, "mode": str,
    "concurrency": None, "delay": None, "window": str,
}
EXTRA_FIELDS = ("allowed_paths", "concurrency", "delay", "window", "timezone")
KNOWN_FAMILIES = ("auto", "qnp", "tandan", "liferay", "nukeviet", "lacviet", "generic")
# Portal ids become file names (WARC prefixes): keep them safe for any file system.
ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
HOST_RE = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*$")


@dataclass(frozen=True)
class Portal:
    """One portal to archive."""

    id: str
    name: str
    base_url: str
    family: str
    start_urls: list[str]
    allowed_hosts: list[str]
    province: str = ""
    district: str = ""
    confirmed: bool = True
    notes: str = ""
    schedule: Schedule | None = None
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def timezone(self) -> str:
        """The entry's time zone: its schedule's and its crawl window's."""
        return self.schedule.timezone if self.schedule else \
            self.extra.get("timezone", DEFAULT_TZ)

    def as_row(self) -> dict:
        row = asdict(self)
        row.pop("extra")
        row.pop("schedule")
        return row


def host_allowed(host: str, allowed_hosts: list[str]) -> bool:
    """Whether ``host`` is on one of ``allowed_hosts``: a host name matches itself and its
    ``www.`` twin only (``quangninh.gov.vn`` is not ``binhlieu.quangninh.gov.vn``, which is
    another portal); ``*.domain`` matches the domain and every subdomain of it."""
    host = host.lower().rstrip(".")
    twin = host[4:] if host.startswith("www.") else f"www.{host}"
    for pattern in allowed_hosts:
        pattern = pattern.lower()
        if pattern.startswith("*."):
            if host == pattern[2:] or host.endswith(pattern[1:]):
                return True
        elif host == pattern or twin == pattern:
            return True
    return False


def scrapy_domains(allowed_hosts: list[str]) -> list[str]:
    """``allowed_hosts`` as Scrapy's ``allowed_domains``, which has no wildcard or twin and
    always admits subdomains: a superset, narrowed to ``host_allowed`` by
    ``crawler.middlewares.offsite``."""
    return sorted({h.lower().removeprefix("*.").removeprefix("www.") for h in allowed_hosts})


def _check_url(value: object, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise RegistryError(f"{where}: expected a URL string, got {value!r}")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RegistryError(f"{where}: {value!r} is not an http(s) URL")
    return value


def portal_from_dict(entry: dict, where: str) -> Portal:
    """Validate one registry entry; errors name the entry and the field."""
    if not isinstance(entry, dict):
        raise RegistryError(f"{where}: expected a table")
    pid = entry.get("id")
    if not isinstance(pid, str) or not ID_RE.match(pid):
        raise RegistryError(
            f"{where} field 'id': {pid!r} must be lowercase letters, digits, '-' or '_'"
        )
    where = f"portal '{pid}'"
    _check_fields(entry, where)
    for key in ("name", "base_url"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise RegistryError(f"{where} field '{key}': missing or empty")
    base_url = _check_url(entry["base_url"], f"{where} field 'base_url'")
    family = entry.get("family", "auto")
    if family not in KNOWN_FAMILIES:
        raise RegistryError(
            f"{where} field 'family': {family!r} is not one of {', '.join(KNOWN_FAMILIES)}"
        )
    start_urls = entry.get("start_urls", [base_url])
    if not isinstance(start_urls, list) or not start_urls:
        raise RegistryError(f"{where} field 'start_urls': expected a non-empty list of URLs")
    start_urls = [_check_url(u, f"{where} field 'start_urls'") for u in start_urls]
    hosts = entry.get("allowed_hosts") or [urlsplit(base_url).hostname]
    if not isinstance(hosts, list):
        raise RegistryError(f"{where} field 'allowed_hosts': expected a list of host names")
    for host in hosts:
        if not isinstance(host, str) or not HOST_RE.match(host.lower().removeprefix("*.")):
            raise RegistryError(f"{where} field 'allowed_hosts': {host!r} is not a host name"
                                " (or '*.domain' for a domain and its subdomains)")
    for url in start_urls:
        if not host_allowed(urlsplit(url).hostname or "", hosts):
            raise RegistryError(
                f"{where} field 'start_urls': {url} is outside allowed_hosts {hosts}"
            )
    schedule = None
    if "schedule" in entry:
        try:
            schedule = parse_schedule(entry["schedule"], entry.get("timezone"),
                                      entry.get("mode", "full"), where)
        except ScheduleError as exc:
            raise RegistryError(str(exc)) from None
    elif "timezone" in entry or "mode" in entry:  # still checked: the window reads the zone
        try:
            parse_schedule("* * * * *", entry.get("timezone"), entry.get("mode", "full"), where)
        except ScheduleError as exc:
            raise RegistryError(str(exc)) from None
    _check_politeness(entry, where)
    extra = {k: v for k, v in entry.items() if k in EXTRA_FIELDS}
    return Portal(
        id=pid, name=entry["name"].strip(), base_url=base_url, family=family,
        start_urls=start_urls, allowed_hosts=[h.lower() for h in hosts],
        province=str(entry.get("province", "")), district=str(entry.get("district", "")),
        confirmed=entry.get("confirmed", True), notes=str(entry.get("notes", "")),
        schedule=schedule, extra=extra,
    )


def _check_fields(entry: dict, where: str) -> None:
    """Every key is a known field of the right type: a typo (``famly``, ``shedule``) or a
    quoted boolean (``confirmed = "no"``, which Python would read as true) is an error, not
    a silently ignored or misread value. Free text goes in ``notes``."""
    for key, value in entry.items():
        if key not in FIELDS:
            close = difflib.get_close_matches(key, FIELDS, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else \
                f"known fields: {', '.join(FIELDS)} (free text goes in 'notes')"
            raise RegistryError(f"{where} field '{key}': unknown field; {hint}")
        kind = FIELDS[key]
        if kind is list:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise RegistryError(f"{where} field '{key}': expected a list of strings, "
                                    f"got {value!r}")
        elif kind is bool:
            if not isinstance(value, bool):
                raise RegistryError(f"{where} field '{key}': expected true or false (no "
                                    f"quotes), got {value!r}")
        elif kind is str and not isinstance(value, str):
            raise RegistryError(f"{where} field '{key}': expected a string, got {value!r}")
    for path in entry.get("allowed_paths", ()):
        if not path.startswith("/"):
            raise RegistryError(f"{where} field 'allowed_paths': {path!r} must start with '/'")


def _check_politeness(entry: dict, where: str) -> None:
    from crawler.scheduling.window import parse_window

    concurrency = entry.get("concurrency", 1)
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise RegistryError(f"{where} field 'concurrency': expected a whole number >= 1")
    delay = entry.get("delay", 0)
    if isinstance(delay, bool) or not isinstance(delay, int | float) or delay < 0:
        raise RegistryError(f"{where} field 'delay': expected seconds >= 0")
    if "window" in entry:
        try:
            parse_window(entry["window"])
        except ValueError as exc:
            raise RegistryError(f"{where} field 'window': {exc}") from None


def load_registry(path: str | os.PathLike | None = None) -> dict[str, Portal]:
    """Load and validate the registry; return portals by id."""
    path = Path(path or os.environ.get("PORTAL_ARCHIVE_REGISTRY") or DEFAULT_REGISTRY)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RegistryError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"{path}: {exc}") from None
    entries = data.get("portals")
    if not isinstance(entries, list) or not entries:
        raise RegistryError(f"{path}: no [[portals]] entries")
    portals: dict[str, Portal] = {}
    for index, entry in enumerate(entries, 1):
        portal = portal_from_dict(entry, f"{path.name}: entry #{index}")
        if portal.id in portals:
            raise RegistryError(f"{path.name}: portal '{portal.id}' field 'id': duplicate id")
        portals[portal.id] = portal
    return portals


def get_portal(portal_id: str, path: str | os.PathLike | None = None) -> Portal:
    portals = load_registry(path)
    try:
        return portals[portal_id]
    except KeyError:
        raise UnknownPortalError(repr(portal_id)) from None


def adhoc_portal(url: str, family: str = "auto", portal_id: str | None = None) -> Portal:
    """A portal for ``crawl --url``: the URL's host is the only allowed host."""
    _check_url(url, "--url")
    parts = urlsplit(url)
    host = parts.hostname or ""
    pid = portal_id or re.sub(r"[^a-z0-9]+", "-", parts.netloc.lower()).strip("-")[:63]
    return portal_from_dict(
        {"id": pid, "name": parts.netloc, "base_url": url, "family": family,
         "start_urls": [url], "allowed_hosts": [host], "confirmed": False,
         "notes": "ad-hoc crawl (--url)"},
        "--url",
    )
