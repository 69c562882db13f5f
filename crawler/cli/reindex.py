"""``portal-archive reindex``: rebuild the database from WARC files alone."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

# The CPUs this process may run on (a container or taskset may allow fewer than the machine's).
CPUS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@click.command()
@click.argument("warc_files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False))
@click.option("--db", "db_path", required=True, type=click.Path(dir_okay=False),
              help="The database to create (must not exist).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=CPUS,
              show_default="the number of CPUs",
              help="Processes extracting pages (1: all in this one). The database is written "
                   "in WARC order by this process alone: the rows do not depend on it.")
def reindex(warc_files: tuple[str, ...], db_path: str, jobs: int) -> None:
    """Rebuild the database from WARC files alone."""
    from crawler.reindex import reindex as run

    if Path(db_path).exists():
        raise click.ClickException(f"{db_path} exists; reindex writes a new database only")
    tty = sys.stderr.isatty()

    def progress(rep) -> None:
        if tty:
            click.echo(f"\r{rep.files} files, {rep.records} records, {rep.articles} articles",
                       nl=False, err=True)

    from concurrent.futures.process import BrokenProcessPool

    from crawler.reindex import PARTIAL

    try:
        report = run(warc_files, db_path, progress, jobs=jobs)
    except BrokenProcessPool as exc:  # a worker killed (out of memory, a signal)
        raise click.ClickException(
            f"a worker process of reindex died ({exc}); {db_path}{PARTIAL} is incomplete, "
            f"run again (--jobs 1 runs no worker processes)") from exc
    if tty:
        click.echo("", err=True)
    click.echo(
        f"reindexed {report.files} files: {report.records} records, {report.captures} "
        f"captures, {report.articles} article captures, {report.failed_extractions} "
        f"failed extractions -> {db_path}", err=True,
    )
    for error in report.errors:
        click.echo(f"error: {error}", err=True)
    if report.errors:
        raise SystemExit(1)


COMMANDS = [reindex]
