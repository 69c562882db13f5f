"""``portal-archive schedule list|run``: recurring crawls of the registry's scheduled portals."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import click

from crawler.registry import load_registry


@click.group()
def schedule() -> None:
    """Recurring crawls from the registry's `schedule` entries."""


@schedule.command("list")
@click.option("--registry", type=click.Path(dir_okay=False), help="Registry file (TOML).")
@click.option("--out", default="data", show_default=True, type=click.Path(file_okay=False))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def schedule_list(registry: str | None, out: str, fmt: str) -> None:
    """Each scheduled portal: schedule, last run with its outcome, next run (read-only)."""
    from datetime import UTC, datetime

    from crawler.scheduling.runlog import RunLog
    from crawler.scheduling.scheduler import schedule_status

    # Reads DIR/scheduler.db as it is: listing never creates, recovers or closes a run.
    log = RunLog.read_only(Path(out) / "scheduler.db")
    rows = schedule_status(load_registry(registry), log, datetime.now(UTC))
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no portal in the registry has a schedule")
        return
    click.echo(f"{'portal':<16} {'schedule':<14} {'mode':<11} {'last run':<27} "
               f"{'outcome':<8} next run")
    for r in rows:
        click.echo(f"{r['portal']:<16} {r['schedule']:<14} {r['mode']:<11} "
                   f"{r['last_run'] or '-':<27} {r['last_outcome'] or '-':<8} {r['next_run']}")
        if r["last_error"]:
            click.echo(f"{'':<16} error: {r['last_error']}")


@schedule.command("run")
@click.option("--registry", type=click.Path(dir_okay=False), help="Registry file (TOML).")
@click.option("--out", default="data", show_default=True, type=click.Path(file_okay=False))
@click.option("--interval", default=30.0, show_default=True, help="Seconds between checks.")
@click.option("--once", is_flag=True, help="Check once, start what is due, and exit.")
@click.option("--scrapyd", "scrapyd_urls", multiple=True, metavar="URL",
              help="Run crawls as jobs on these Scrapyd nodes (repeatable) instead of local "
              "processes; collect their output with `portal-archive collect`.")
@click.option("--node-out", type=click.Path(file_okay=False), help="With --scrapyd: the "
              "output root as the nodes see it (jobs write to NODE_OUT/shards/JOB; "
              "default: --out, absolute).")
def schedule_run(registry: str | None, out: str, interval: float, once: bool,
                 scrapyd_urls: tuple[str, ...] = (), node_out: str | None = None) -> None:
    """Run the scheduler: start due crawls as separate processes (Ctrl-C to stop)."""
    from crawler.scheduling.locked import acquire

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    # One scheduler per output directory: a second one would start the same slots again
    # and take the first one's live runs for its own. The kernel drops the lock when this
    # process ends, however it ends.
    lock = Path(out) / "locks" / "scheduler.lock"
    fd = acquire(str(lock))
    if fd is None:
        raise click.ClickException(f"another scheduler is running on {out} ({lock} is held)")
    try:
        _run(registry, out, interval, once, scrapyd_urls, node_out)
    finally:
        os.close(fd)


def _run(registry: str | None, out: str, interval: float, once: bool,
         scrapyd_urls: tuple[str, ...], node_out: str | None) -> None:
    from crawler.scheduling.scheduler import Scheduler, SubprocessLauncher

    launcher = SubprocessLauncher(Path(out), registry)
    if scrapyd_urls:
        from crawler.cluster.scrapyd import Cluster, ScrapydLauncher

        launcher = ScrapydLauncher(Cluster.from_urls(scrapyd_urls),
                                   Path(node_out or Path(out).resolve()),
                                   str(Path(registry).resolve()) if registry else None)
    sched = Scheduler(load_registry(registry), Path(out), launcher)
    if not sched.portals:
        raise click.ClickException("no portal in the registry has a schedule")
    if once:
        started = sched.tick()
        click.echo(f"started: {', '.join(started) or 'nothing due'}")
        return
    try:
        sched.run_forever(interval)
    except KeyboardInterrupt:
        click.echo("scheduler stopped; running crawls go on in their own processes", err=True)


COMMANDS = [schedule]
