"""Recurring crawls: per-portal cron schedules from the registry, run as separate processes.

- ``triggers``: cron expressions (APScheduler's CronTrigger) and the due-slot arithmetic,
  including catching up a missed run once, not once per missed slot.
- ``runlog``: the run log (``DIR/scheduler.db``): every run with its slot and outcome.
- ``locked``: runs a command holding a per-portal ``flock``; the kernel drops the lock when
  the process dies, so a crash never leaves a stale lock and two crawls of one portal never
  overlap (manual or scheduled).
- ``scheduler``: the loop, with an injectable clock and launcher so it is tested without
  sleeping.
"""
