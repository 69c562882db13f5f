"""``portal-archive serve``: Datasette over the archive database with the checked-in metadata."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import click


def datasette_metadata(db_path: str) -> dict:
    """The checked-in Datasette metadata, keyed by the served database's name."""
    template = Path(__file__).resolve().parents[2] / "db" / "datasette" / "metadata.json"
    meta = json.loads(template.read_text(encoding="utf-8"))
    meta["databases"] = {Path(db_path).stem: meta["databases"]["archive"]}
    return meta


@click.command()
@click.option("--db", "db_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--port", default=8001, show_default=True, type=int)
@click.option("--host", default="127.0.0.1", show_default=True)
def serve(db_path: str, port: int, host: str) -> None:
    """Serve the archive database with Datasette (read-only)."""
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


COMMANDS = [serve]
