"""``portal-archive collect``: merge Scrapyd jobs' shards into the central archive."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("shards", nargs=-1, type=click.Path(file_okay=False))
@click.option("--out", default="data", show_default=True, type=click.Path(file_okay=False),
              help="The central archive (WARCs in DIR/warc, database DIR/archive.db).")
@click.option("--from", "roots", multiple=True, type=click.Path(file_okay=False),
              help="A node output root: collect every shard in ROOT/shards/ (repeatable; "
              "default: DIR/shards when no SHARD is given).")
def collect(shards: tuple[str, ...], out: str, roots: tuple[str, ...]) -> None:
    """Copy finished shards' WARCs (checked by SHA-256) into --out and index them.

    Idempotent: collecting a shard again changes nothing. A shard with another schema
    version, unfinished or missing is reported and skipped; exit status 1 if any was."""
    from crawler.cluster.collect import collect as run
    from crawler.cluster.collect import shard_dirs

    paths = [Path(s) for s in shards]
    for root in roots or (() if shards else (out,)):
        paths += shard_dirs(Path(root))
    if not paths:
        raise click.ClickException("no shard to collect")
    skipped = 0
    for result in run(paths, Path(out)):
        if result.error:
            skipped += 1
            click.echo(f"Error: {result.error}", err=True)
        else:
            click.echo(f"collected {result.shard.name}: {len(result.copied)} WARC file(s) "
                       f"copied, {len(result.already)} already there, "
                       f"{result.captures} capture(s) indexed")
    if skipped:
        raise SystemExit(1)


COMMANDS = [collect]
