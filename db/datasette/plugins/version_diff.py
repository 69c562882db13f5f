"""Datasette plugin: a readable diff between two versions of an article.

Registers the SQL function ``text_diff(old, new)`` (a unified diff by line; article bodies
have one paragraph per line) used by the canned query ``article_version_diffs``, and renders
any column named ``diff`` as a coloured ``<pre>`` block: removed lines red, added lines green.
"""

from __future__ import annotations

import difflib

from datasette import hookimpl
from markupsafe import Markup, escape

STYLES = {
    "+": "background:#e6ffec;color:#05361c",
    "-": "background:#ffebe9;color:#5c0a0a",
    "@": "color:#6e7781",
}


def text_diff(old: str | None, new: str | None) -> str | None:
    """Unified diff of two texts, one line per paragraph; None when both are empty."""
    if old is None and new is None:
        return None
    # Paragraphs are separated by blank lines; diff the paragraphs themselves so that the
    # context shown around a change is the neighbouring paragraph, not an empty line.
    before = [line for line in (old or "").splitlines() if line.strip()]
    after = [line for line in (new or "").splitlines() if line.strip()]
    lines = difflib.unified_diff(before, after, "trước / before", "sau / after", lineterm="",
                                 n=1)
    return "\n".join(lines)


@hookimpl
def prepare_connection(conn) -> None:
    conn.create_function("text_diff", 2, text_diff, deterministic=True)


@hookimpl
def render_cell(value, column):
    if column != "diff" or not isinstance(value, str):
        return None
    rows = []
    for line in value.splitlines():
        style = "" if line.startswith(("+++", "---")) else STYLES.get(line[:1], "")
        rows.append(f'<span style="{style}">{escape(line)}</span>' if style else escape(line))
    return Markup('<pre class="version-diff" style="white-space:pre-wrap;max-width:70em">'
                  + "\n".join(str(r) for r in rows) + "</pre>")
