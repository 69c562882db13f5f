"""``portal-archive detect URL-or-FILE``: which CMS family a page belongs to, and why.

A saved file is classified from its content (and ``--url``, the address it came from, if
given). A URL is classified from the URL alone, except that pages on 127.0.0.1 (the replica)
are fetched, and ``--fetch`` allows fetching any other URL. Reads no settings.
"""

from __future__ import annotations

import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import click

from crawler.extract import detect_family
from crawler.settings import USER_AGENT

_LOCAL = ("127.0.0.1", "localhost")


def _fetch(url: str) -> str:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310 - http(s) only
        charset = response.headers.get_content_charset() or "utf-8"
        return response.read(2_000_000).decode(charset, errors="replace")


@click.command()
@click.argument("target")
@click.option("--fetch", "allow_fetch", is_flag=True,
              help="Fetch the page even if it is not on 127.0.0.1 (DOM signatures).")
@click.option("--url", "page_url", help="For a FILE: the URL the page was saved from.")
def detect(target: str, allow_fetch: bool, page_url: str | None) -> None:
    """Print the CMS family of a URL or a saved HTML FILE, and the evidence."""
    html: str | None = None
    url = page_url or ""
    parts = urlsplit(target)
    if parts.scheme in ("http", "https"):
        url = target
        if allow_fetch or (parts.hostname or "") in _LOCAL:
            try:
                html = _fetch(target)
            except OSError as exc:
                click.echo(f"note: could not fetch the page ({exc}); classifying by URL only",
                           err=True)
        else:
            click.echo("note: classified by URL only (use --fetch to read the page)", err=True)
    else:
        path = Path(target)
        if not path.is_file():
            raise click.ClickException(f"{target!r} is neither an http(s) URL nor a file")
        html = path.read_bytes().decode("utf-8", errors="replace")
    family, reasons = detect_family(url, html)
    click.echo(family)
    for reason in reasons:
        click.echo(f"  - {reason}")


COMMANDS = [detect]
