"""``portal-archive verify``: check WARC digests and that the database matches the WARCs."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command()
@click.argument("warc_files", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@click.option("--db", "db_path", type=click.Path(exists=True, dir_okay=False),
              help="The archive database to cross-check (default WARCs: DIR/warc/*).")
@click.option("--max-problems", default=50, show_default=True, type=int,
              help="List at most N problems (all are counted).")
def verify(warc_files: tuple[str, ...], db_path: str | None, max_problems: int) -> None:
    """Verify every record's digests and, with --db, every row's WARC pointer.

    With --db alone every WARC of the archive is checked and a row whose WARC file is gone is
    a problem; with WARC files named, rows in other files are skipped (and counted).
    Exit status 0 when everything matches, 1 on any mismatch."""
    from crawler.verification import archive_warcs
    from crawler.verification import verify as run

    files = [Path(p) for p in warc_files]
    complete = not files  # all WARCs of the archive: a row in any other file is missing one
    if not files:
        if db_path is None:
            raise click.UsageError("give WARC files, --db, or both")
        files = archive_warcs(db_path)
        if not files:
            raise click.ClickException(f"no WARC files next to {db_path} (in warc/)")
    tty = sys.stderr.isatty()

    def progress(path: Path) -> None:
        if tty:
            click.echo(f"\rverifying {path.name}", nl=False, err=True)

    report = run(files, db_path, progress, complete=complete)
    if tty:
        click.echo("", err=True)
    for problem in report.problems[:max_problems]:
        click.echo(f"problem: {problem}")
    if len(report.problems) > max_problems:
        click.echo(f"… and {len(report.problems) - max_problems} more")
    click.echo(report.summary())
    if not report.ok:
        raise SystemExit(1)


COMMANDS = [verify]
