"""``portal-archive``: the command line (a thin click layer over the library).

One module per command: ``portals`` (list the registry), ``crawl`` (archive portals or an
ad-hoc URL), ``export`` (CSV/JSONL), ``serve`` (Datasette), ``reindex`` (rebuild the database
from WARC files). Library errors become one-line messages and a non-zero exit status. A new
command is a new module here, registered at the bottom of this file.
"""

from __future__ import annotations

import os

import click

from crawler.errors import PortalArchiveError
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


def _register() -> None:
    from crawler.cli import crawl, export, portals, reindex, serve

    for module in (portals, crawl, export, serve, reindex):
        for command in module.COMMANDS:
            main.add_command(command)


_register()
