"""``portal-archive``: the command line (a thin click layer over the library).

Commands: ``portals`` (list the registry), ``crawl`` (archive portals or an ad-hoc URL),
``export articles`` (CSV/JSONL), ``serve`` (Datasette), ``reindex`` (rebuild the database
from WARC files). Library errors become one-line messages and a non-zero exit status.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click

from crawler.errors import PortalArchiveError
from crawler.registry import KNOWN_FAMILIES, adhoc_portal, get_portal, load_registry
from db.errors import DatabaseError

os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")


class Group(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (PortalArchiveError, DatabaseError, OSError) as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=Group)
@click.version_option("0.1.0", prog_name="portal-archive")
def main() -> None:
    """Archive Vietnamese government portals into WARC files, SQLite and Datasette."""


@main.command()
@click.option("--registry", type=click.Path(dir_okay=False), help="Registry file (TOML).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def portals(registry: str | None, fmt: str) -> None:
    """List the portals of the registry."""
    entries = load_registry(registry)
    if fmt == "json":
        click.echo(json.dumps([p.as_row() for p in entries.values()], ensure_ascii=False,
                              indent=2))
        return
    click.echo(f"{'id':<18} {'family':<9} {'ok':<3} {'district / name':<34} base_url")
    for p in entries.values():
        label = p.district or p.name
        mark = "yes" if p.confirmed else "?"
        click.echo(f"{p.id:<18} {p.family:<9} {mark:<3} {label[:34]:<34} {p.base_url}")


def _scrapy_settings(out: str, overrides: tuple[str, ...]):
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    settings.set("ARCHIVE_OUT_DIR", out, priority="cmdline")
    if sys.stderr.isatty():
        # On a terminal the progress line and the summary replace Scrapy's INFO chatter.
        settings.set("LOG_LEVEL", "WARNING", priority="cmdline")
        settings.set("STATS_DUMP", False, priority="cmdline")
    for item in overrides:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{item!r}: expected NAME=VALUE", param_hint="-s")
        settings.set(name, value, priority="cmdline")
    return settings


@main.command()
@click.argument("portal_ids", nargs=-1)
@click.option("--url", help="Crawl an ad-hoc site instead of registry portals.")
@click.option("--family", type=click.Choice(KNOWN_FAMILIES), default=None,
              help="CMS family (default: the registry's; 'auto' for --url).")
@click.option("--out", default="data", show_default=True, type=click.Path(file_okay=False),
              help="Output directory: WARCs in DIR/warc, database DIR/archive.db.")
@click.option("--limit", type=click.IntRange(min=1), help="Request at most N pages.")
@click.option("--id", "portal_id", help="Portal id for an ad-hoc --url crawl.")
@click.option("--registry", type=click.Path(dir_okay=False), help="Registry file (TOML).")
@click.option("-s", "settings_", multiple=True, metavar="NAME=VALUE",
              help="Override a Scrapy setting, as scrapy crawl -s does.")
def crawl(portal_ids: tuple[str, ...], url: str | None, family: str | None, out: str,
          limit: int | None, portal_id: str | None, registry: str | None,
          settings_: tuple[str, ...]) -> None:
    """Archive PORTAL_ID... (registry ids) or --url URL."""
    if bool(portal_ids) == bool(url):
        raise click.UsageError("give registry portal ids or --url, not both or neither")
    if url:
        adhoc_portal(url, family or "auto", portal_id)  # validate before starting Scrapy
    else:
        for pid in portal_ids:
            get_portal(pid, registry)
    if len(portal_ids) > 1:
        # One process per portal: one portal's failure never stops the others.
        failed = []
        for pid in portal_ids:
            args = [sys.executable, "-m", "crawler.cli", "crawl", pid, "--out", out]
            for flag, value in (("--family", family), ("--limit", limit),
                                ("--registry", registry)):
                if value:
                    args += [flag, str(value)]
            for item in settings_:
                args += ["-s", item]
            if subprocess.call(args) != 0:
                failed.append(pid)
        if failed:
            raise click.ClickException(f"crawl failed for: {', '.join(failed)}")
        return
    from scrapy.crawler import CrawlerProcess

    settings = _scrapy_settings(out, settings_)
    kwargs = {"url": url, "portal_id": portal_id} if url else {"portal": portal_ids[0]}
    kwargs.update(family=family, limit=limit, registry=registry)
    process = CrawlerProcess(settings)
    crawler = process.create_crawler("portal")
    process.crawl(crawler, **{k: v for k, v in kwargs.items() if v is not None})
    process.start()
    reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
    if reason not in ("finished", "closespider_pagecount", "closespider_itemcount"):
        raise click.ClickException(f"crawl did not finish cleanly: {reason or 'not started'}")


@main.group()
def export() -> None:
    """Export archived data."""


@export.command("articles")
@click.option("--db", "db_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv",
              show_default=True)
@click.option("--portal", "portals_", multiple=True, help="Only this portal (repeatable).")
@click.option("--since", help="Published on or after this date (YYYY-MM-DD).")
@click.option("--until", help="Published on or before this date (YYYY-MM-DD).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="File (default stdout).")
@click.option("--bom", "--excel", "bom", is_flag=True,
              help="Start the CSV with a UTF-8 BOM so Excel reads Vietnamese correctly.")
def export_articles(db_path: str, fmt: str, portals_: tuple[str, ...], since: str | None,
                    until: str | None, output: str | None, bom: bool) -> None:
    """Export articles with their latest capture's counters and WARC pointer."""
    import sqlite3

    from db.export import export_rows, write_csv, write_jsonl

    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    rows = export_rows(conn, portals_, since, until)
    first = next(rows, None)  # validate filters before creating the output file
    import itertools

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


def datasette_metadata(db_path: str) -> dict:
    """The checked-in Datasette metadata, keyed by the served database's name."""
    template = Path(__file__).resolve().parents[1] / "db" / "datasette" / "metadata.json"
    meta = json.loads(template.read_text(encoding="utf-8"))
    meta["databases"] = {Path(db_path).stem: meta["databases"]["archive"]}
    return meta


@main.command()
@click.option("--db", "db_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--port", default=8001, show_default=True, type=int)
@click.option("--host", default="127.0.0.1", show_default=True)
def serve(db_path: str, port: int, host: str) -> None:
    """Serve the archive database with Datasette (read-only)."""
    import tempfile

    meta = datasette_metadata(db_path)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False,
                                     encoding="utf-8") as fh:
        json.dump(meta, fh, ensure_ascii=False)
    args = [sys.executable, "-m", "datasette", "serve", db_path, "-m", fh.name,
            "--host", host, "--port", str(port),
            "--setting", "sql_time_limit_ms", "3000",
            "--setting", "default_page_size", "50"]
    click.echo(f"Datasette: http://{host}:{port}/{Path(db_path).stem}", err=True)
    try:
        raise SystemExit(subprocess.call(args))
    finally:
        os.unlink(fh.name)


@main.command()
@click.argument("warc_files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False))
@click.option("--db", "db_path", required=True, type=click.Path(dir_okay=False),
              help="The database to create (must not exist).")
def reindex(warc_files: tuple[str, ...], db_path: str) -> None:
    """Rebuild the database from WARC files alone."""
    from crawler.reindex import reindex as run

    if Path(db_path).exists():
        raise click.ClickException(f"{db_path} exists; reindex writes a new database only")
    tty = sys.stderr.isatty()

    def progress(rep) -> None:
        if tty:
            click.echo(f"\r{rep.files} files, {rep.records} records, {rep.articles} articles",
                       nl=False, err=True)

    report = run(warc_files, db_path, progress)
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


if __name__ == "__main__":
    main()
