"""``portal-archive``: the command line (a thin click layer over the library).

One module per command: ``portals`` (list the registry), ``crawl`` (archive portals or an
ad-hoc URL), ``export`` (CSV/JSONL), ``serve`` (Datasette), ``reindex`` (rebuild the database
from WARC files). Library errors become one-line messages and a non-zero exit status. A new
command is a new module here exposing ``COMMANDS``; it is found automatically.
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
    """Every module of this package that defines ``COMMANDS`` adds them: a new command is a
    new module, with no edit here."""
    import importlib
    import pkgutil

    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for command in getattr(module, "COMMANDS", ()):
            main.add_command(command)


_register()
