"""``portal-archive serve``: Datasette over the archive database with the checked-in metadata,
plugins (``db/datasette/plugins``: Vietnamese folded search, sandboxed article bodies, CSV for
Excel, robots.txt) and templates (``db/datasette/templates``).

Serving is always read-only (nothing here writes; Datasette opens the file for reading). Two
modes:

- default (a researcher's own machine): arbitrary SQL allowed, 3 s query limit;
- ``--publish`` (safe to put on the internet): arbitrary SQL denied (``allow_sql: false``),
  canned queries, tables, views, facets, search and exports kept; 1 s query and 200 ms facet
  limits; CSV downloads capped at 100 MB; ``--block-robots`` adds ``Disallow: /``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import click

DATASETTE_DIR = Path(__file__).resolve().parents[2] / "db" / "datasette"
PLUGINS_DIR = DATASETTE_DIR / "plugins"
TEMPLATES_DIR = DATASETTE_DIR / "templates"


def datasette_metadata(db_path: str, publish: bool = False, block_robots: bool = False) -> dict:
    """The checked-in Datasette metadata, keyed by the served database's name."""
    meta = json.loads((DATASETTE_DIR / "metadata.json").read_text(encoding="utf-8"))
    meta["databases"] = {Path(db_path).stem: meta["databases"]["archive"]}
    if publish:
        meta["allow_sql"] = False  # canned queries keep running: they are not "arbitrary"
    meta.setdefault("plugins", {})["portal-archive-robots"] = {"block": bool(block_robots)}
    return meta


def datasette_settings(publish: bool = False) -> dict[str, Any]:
    # Suggested facets cost ~10 extra queries per page (0.6 s on 5,000 searched articles);
    # the useful facets are configured in the metadata instead.
    settings: dict[str, Any] = {"default_page_size": 50, "sql_time_limit_ms": 3000,
                                "allow_csv_stream": True, "suggest_facets": False}
    if publish:
        settings.update(sql_time_limit_ms=1000, facet_time_limit_ms=200, max_csv_mb=100,
                        allow_download=False)
    return settings


def make_datasette(db_path: str, publish: bool = False, block_robots: bool = False):
    """An in-process Datasette configured exactly as ``serve`` configures the server."""
    from datasette.app import Datasette

    return Datasette([db_path], metadata=datasette_metadata(db_path, publish, block_robots),
                     plugins_dir=str(PLUGINS_DIR), template_dir=str(TEMPLATES_DIR),
                     settings=datasette_settings(publish))


def datasette_command(db_path: str, metadata_file: str, host: str, port: int,
                      publish: bool = False) -> list[str]:
    """The ``python -m datasette serve`` command line for the server."""
    args = [sys.executable, "-m", "datasette", "serve", db_path, "-m", metadata_file,
            "--host", host, "--port", str(port), "--plugins-dir", str(PLUGINS_DIR),
            "--template-dir", str(TEMPLATES_DIR)]
    for name, value in datasette_settings(publish).items():
        text = ("on" if value else "off") if isinstance(value, bool) else str(value)
        args += ["--setting", name, text]
    return args


@click.command()
@click.option("--db", "db_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--port", default=8001, show_default=True, type=int)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--publish", is_flag=True,
              help="Safe to publish: deny arbitrary SQL (canned queries stay), tighter time "
                   "limits, no database download.")
@click.option("--block-robots", is_flag=True, help="Serve a robots.txt that disallows all.")
def serve(db_path: str, port: int, host: str, publish: bool, block_robots: bool) -> None:
    """Serve the archive database with Datasette (read-only)."""
    meta = datasette_metadata(db_path, publish, block_robots)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False,
                                     encoding="utf-8") as fh:
        json.dump(meta, fh, ensure_ascii=False)
    args = datasette_command(db_path, fh.name, host, port, publish)
    mode = " (publish mode: no arbitrary SQL)" if publish else ""
    click.echo(f"Datasette: http://{host}:{port}/{Path(db_path).stem}{mode}", err=True)
    server = subprocess.Popen(args)

    def forward(signum: int, frame: object) -> None:
        # Stopping `portal-archive serve` must stop Datasette too (not leave it serving).
        server.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        raise SystemExit(server.wait())
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if server.poll() is None:
            server.kill()
            server.wait()
        os.unlink(fh.name)


COMMANDS = [serve]
