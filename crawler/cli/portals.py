"""``portal-archive portals``: list the registry."""

from __future__ import annotations

import json

import click

from crawler.registry import load_registry


@click.command()
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


COMMANDS = [portals]
