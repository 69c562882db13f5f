"""Cron schedules and due slots. A schedule is a crontab expression evaluated in a time zone
(default Asia/Ho_Chi_Minh); APScheduler's CronTrigger does the calendar arithmetic."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

DEFAULT_TZ = "Asia/Ho_Chi_Minh"
# A missed-slot walk never needs more steps than this (a minutely cron down for a week).
MAX_SLOTS = 20_000


class ScheduleError(ValueError):
    """Invalid schedule:"""


@dataclass(frozen=True)
class Schedule:
    cron: str
    timezone: str = DEFAULT_TZ
    mode: str = "full"

    @property
    def trigger(self) -> CronTrigger:
        return CronTrigger.from_crontab(self.cron, timezone=ZoneInfo(self.timezone))

    def next_after(self, moment: datetime) -> datetime:
        """The first slot strictly after ``moment``."""
        nxt = self.trigger.get_next_fire_time(None, moment + timedelta(seconds=1))
        assert nxt is not None
        return nxt

    def due(self, last_slot: datetime, now: datetime) -> tuple[datetime | None, int]:
        """The latest slot in (last_slot, now] and how many slots that covers (catch up once:
        a scheduler that was down for three slots runs one crawl, for the latest)."""
        trigger = self.trigger
        nxt = trigger.get_next_fire_time(None, last_slot + timedelta(seconds=1))
        if nxt is None or nxt > now:
            return None, 0
        latest, count = nxt, 1
        for _ in range(MAX_SLOTS):
            following = trigger.get_next_fire_time(None, latest + timedelta(seconds=1))
            if following is None or following > now:
                break
            latest, count = following, count + 1
        return latest, count


def parse_schedule(cron: object, timezone: object, mode: object, where: str) -> Schedule:
    """Validate registry values; errors name the entry and field."""
    if not isinstance(cron, str) or not cron.strip():
        raise ScheduleError(f"{where} field 'schedule': expected a cron expression")
    tz = timezone if timezone is not None else DEFAULT_TZ
    if not isinstance(tz, str):
        raise ScheduleError(f"{where} field 'timezone': expected a time zone name")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"{where} field 'timezone': unknown time zone {tz!r}") from None
    if mode not in ("full", "incremental"):
        raise ScheduleError(f"{where} field 'mode': {mode!r} is not 'full' or 'incremental'")
    try:
        CronTrigger.from_crontab(cron, timezone=ZoneInfo(tz))
    except ValueError as exc:
        raise ScheduleError(f"{where} field 'schedule': {cron!r}: {exc}") from None
    return Schedule(cron=cron.strip(), timezone=tz, mode=mode)
