"""Datasette plugin: show archived article bodies as formatted text that can run nothing.

``body_html`` was sanitized at extraction, but crawled HTML is hostile input and Datasette may
be published, so it is shown only inside ``<iframe sandbox srcdoc=…>``: a sandbox without
``allow-scripts`` runs no ``<script>``, no ``onerror=`` and no ``javascript:`` link, and the
Content-Security-Policy in the frame loads nothing from anywhere (no tracking pixels, no
requests to the live portal) and applies only its own stylesheet: crawled ``<style>``
and ``style=`` are ignored. Cells of ``body_html`` columns render that way; the row page of an
article (template ``row.html``) shows its current version's body the same way, above the links
to its versions and captures. No settings.
"""

from __future__ import annotations

import base64
import hashlib
import html

from datasette import hookimpl
from markupsafe import Markup

FRAME_CSS = "body{font-family:sans-serif;line-height:1.5;max-width:46em;margin:0 auto}"
# Only our own stylesheet may apply (by hash): crawled <style> and style="" are ignored too.
CSP = ("default-src 'none'; style-src "
       f"'sha256-{base64.b64encode(hashlib.sha256(FRAME_CSS.encode()).digest()).decode()}'")


def sandboxed(body_html: str, height: str = "24em") -> Markup:
    """An iframe that shows ``body_html`` with scripts, plugins, forms and loads all blocked."""
    doc = (f'<!DOCTYPE html><html><head><meta charset="utf-8">'
           f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
           f"<style>{FRAME_CSS}</style></head><body>{body_html}</body></html>")
    return Markup(
        f'<iframe class="archived-body" sandbox="" referrerpolicy="no-referrer" '
        f'style="width:100%;min-width:30em;height:{height};border:1px solid #ccc" '
        f'srcdoc="{html.escape(doc, quote=True)}"></iframe>'
    )


@hookimpl
def render_cell(value, column):
    if column == "body_html" and isinstance(value, str) and value:
        return sandboxed(value, "12em")
    return None


@hookimpl
def extra_template_vars(template, database, table, request, datasette):
    if template != "row.html" or table != "articles" or request is None:
        return {}

    async def body():
        pk = (request.url_vars or {}).get("pks", "")
        if not pk.isdigit():
            return {}
        db = datasette.get_database(database)
        row = (await db.execute(
            "SELECT v.body_html, v.version FROM articles a JOIN article_versions v "
            "ON v.id = a.current_version_id WHERE a.id = ?", [int(pk)])).first()
        if row is None or not row["body_html"]:
            return {}
        return {"article_body": sandboxed(row["body_html"], "32em"),
                "article_version": row["version"]}

    return body
