"""``portal-archive wacz``: package a crawl as WACZ (its WARC files, plus the earlier files
holding payloads its revisit records refer to); ``portal-archive index``: (re)write the
per-WARC CDXJ indexes in ``DIR/indexes/``."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import click


def _connect(db_path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(f"{Path(db_path).resolve().as_uri()}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    return conn


@click.command()
@click.option("--db", "db_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="The archive database (WARCs are read from DIR/warc/).")
@click.option("--crawl", "crawl_id", help="Crawl id (default: the latest crawl).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The .wacz file to write.")
def wacz(db_path: str, crawl_id: str | None, output: str) -> None:
    """Package one crawl (WARCs, CDXJ, pages.jsonl, datapackage) as a WACZ file."""
    from archive.wacz import Page, build_wacz
    from crawler.resume import crawl_warcs

    conn = _connect(db_path)
    try:
        if crawl_id is None:
            row = conn.execute("SELECT id FROM crawls ORDER BY started_at DESC LIMIT 1"
                               ).fetchone()
            if row is None:
                raise click.ClickException(f"{db_path}: no crawls")
            crawl_id = row[0]
        crawl = conn.execute("SELECT c.*, p.name AS portal_name FROM crawls c LEFT JOIN "
                             "portals p ON p.id = c.portal_id WHERE c.id = ?", [crawl_id]
                             ).fetchone()
        if crawl is None:
            raise click.ClickException(f"{db_path}: no crawl {crawl_id!r}")
        pages = [Page(url=r["url"], ts=r["fetched_at"], title=r["title"], id=r["id"])
                 for r in conn.execute(
                     "SELECT c.url, c.fetched_at, v.title, 'c' || c.id AS id "
                     "FROM article_captures ac JOIN captures c ON c.id = ac.capture_id "
                     "JOIN article_versions v ON v.id = ac.version_id "
                     "WHERE c.crawl_id = ? ORDER BY c.fetched_at, c.id", [crawl_id])]
        home = conn.execute(
            "SELECT url, fetched_at FROM captures WHERE crawl_id = ? AND status = 200 AND "
            "content_type LIKE 'text/html%' ORDER BY id LIMIT 1", [crawl_id]).fetchone()
        # Revisit records point at payloads archived by earlier crawls: their files go in too,
        # or the package could not replay those pages.
        referred = [r[0] for r in conn.execute(
            "SELECT DISTINCT o.warc_file FROM captures c JOIN captures o "
            "ON o.warc_record_id = c.refers_to WHERE c.crawl_id = ?", [crawl_id])]
    finally:
        conn.close()
    warc_dir = Path(db_path).resolve().parent / "warc"
    warcs = crawl_warcs(warc_dir, crawl_id)
    if not warcs:
        raise click.ClickException(f"no WARC files of crawl {crawl_id} in {warc_dir}")
    warcs += [warc_dir / name for name in referred if warc_dir / name not in warcs]
    main_page = Page(home["url"], home["fetched_at"]) if home else None
    package = build_wacz(
        warcs, pages, output, main_page=main_page,
        title=f"{crawl['portal_name'] or crawl['portal_id']} — crawl {crawl_id}",
        description=f"portal-archive crawl {crawl_id} of {crawl['portal_id']}, started "
                    f"{crawl['started_at']}, {crawl['status']}",
        software="portal-archive/0.1.0", created=datetime.now(UTC),
    )
    click.echo(f"{output}: {len(warcs)} WARC files, {len(pages)} pages, "
               f"{sum(r['bytes'] for r in package['resources'])} bytes", err=True)


@click.command()
@click.argument("warc_files", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@click.option("--db", "db_path", type=click.Path(exists=True, dir_okay=False),
              help="Index every WARC of this archive (DIR/warc/*).")
@click.option("--out", "index_dir", type=click.Path(file_okay=False),
              help="Index directory (default: DIR/indexes beside the WARC directory).")
def index(warc_files: tuple[str, ...], db_path: str | None, index_dir: str | None) -> None:
    """Write the CDXJ index of each WARC file (DIR/indexes/<name>.cdxj)."""
    from archive.cdxj import write_cdxj

    files = [Path(p) for p in warc_files]
    if db_path:
        files += sorted((Path(db_path).resolve().parent / "warc").glob("*.warc.gz"))
    if not files:
        raise click.UsageError("give WARC files or --db")
    for path in files:
        target = write_cdxj(path, index_dir or path.resolve().parent.parent / "indexes")
        click.echo(f"{path.name} -> {target}", err=True)


COMMANDS = [wacz, index]
