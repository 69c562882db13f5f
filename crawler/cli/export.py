"""``portal-archive export articles``: CSV (optionally with a BOM for Excel) or JSON Lines."""

from __future__ import annotations

import itertools
import sqlite3
import sys

import click

from db.export import export_rows, write_csv, write_jsonl


@click.group()
def export() -> None:
    """Export archived data."""


@export.command("articles")
@click.option("--db", "db_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv",
              show_default=True)
@click.option("--portal", "portals_", multiple=True, help="Only this portal (repeatable).")
@click.option("--since", help="Published on or after this date (YYYY-MM-DD).")
@click.option("--until", help="Published on or before this date (YYYY-MM-DD).")
@click.option("--category", "categories", multiple=True, help="Only this category (repeatable).")
@click.option("--author", "authors", multiple=True, help="Only this author (repeatable).")
@click.option("--search", help="Title/body full-text search, with or without diacritics.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="File (default stdout).")
@click.option("--bom", "--excel", "bom", is_flag=True,
              help="Start the CSV with a UTF-8 BOM so Excel reads Vietnamese correctly.")
def export_articles(db_path: str, fmt: str, portals_: tuple[str, ...], since: str | None,
                    until: str | None, categories: tuple[str, ...], authors: tuple[str, ...],
                    search: str | None, output: str | None, bom: bool) -> None:
    """Export articles with their latest capture's counters and WARC pointer."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    rows = export_rows(conn, portals_, since, until, categories=categories, authors=authors,
                       search=search)
    first = next(rows, None)  # validate filters before creating the output file
    rows = itertools.chain([first] if first else [], rows)
    if output and sys.stderr.isatty():
        rows = _with_progress(rows, "articles exported")
    out = open(output, "w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        count = write_csv(rows, out, bom=bom) if fmt == "csv" else write_jsonl(rows, out)
    finally:
        if output:
            out.close()
    if output:
        click.echo(f"{count} articles written to {output}", err=True)


def _with_progress(rows, label: str, every: int = 500):
    """Pass rows through, redrawing a counter on the terminal every ``every`` rows."""
    count = 0
    for row in rows:
        count += 1
        if count % every == 0:
            click.echo(f"\r{count} {label}", nl=False, err=True)
        yield row
    if count >= every:
        click.echo("", err=True)


COMMANDS = [export]
