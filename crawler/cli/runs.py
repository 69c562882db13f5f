"""``portal-archive runs``: each crawl's run report (fetched, new, changed, unchanged, removed,
re-dated, errors by kind, bytes, seconds) and the portal's health in that run."""

from __future__ import annotations

import json
from pathlib import Path

import click

from db import ArchiveStore
from db.changes import run_reports
from db.errors import NotAnArchiveError

_TABLE = (("crawl", "id", 34), ("mode", "mode", 11), ("fetched", "fetched", 7),
          ("new", "new", 5), ("changed", "changed", 7), ("unchanged", "unchanged", 9),
          ("removed", "removed", 7), ("redated", "redated", 7), ("errors", "errors", 6),
          ("bytes", "bytes", 11), ("seconds", "seconds", 8), ("health", "health", 10))


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


@click.command()
@click.option("--db", "db_path", required=True, type=click.Path(dir_okay=False),
              help="The archive database (DIR/archive.db).")
@click.option("--portal", help="Only this portal's crawls.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
def runs(db_path: str, portal: str | None, fmt: str) -> None:
    """Print each crawl's report, oldest first."""
    if not Path(db_path).is_file():
        raise NotAnArchiveError(f"{db_path}: no such file")
    store = ArchiveStore(db_path)
    try:
        rows = run_reports(store.conn, portal)
    finally:
        store.close()
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    click.echo(" ".join(f"{title:<{width}}" for title, _, width in _TABLE).rstrip())
    for row in rows:
        click.echo(" ".join(f"{_cell(row[key]):<{width}}" for _, key, width in _TABLE).rstrip())
        if row["errors_by_kind"]:
            kinds = ", ".join(f"{k}: {v}" for k, v in row["errors_by_kind"].items())
            click.echo(f"  errors by kind: {kinds}")
        if row["health_target"]:
            click.echo(f"  redirected to: {row['health_target']}")


COMMANDS = [runs]
