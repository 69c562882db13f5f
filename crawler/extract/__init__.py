"""Extraction as a pure function: URL + HTML → ``ArticleRecord`` (no Scrapy in here).

    from crawler.extract import extract, ArticleRecord, VisitCounter, get_family, \\
        detect_family, FAMILIES
    rec = extract(url, html, family="auto", encoding=None)

The cascade
-----------
Every field (title, date, author, summary, body, category, view count) goes through the
same three steps, and each step only runs for the fields still empty:

1. **Family profile** (``families/<name>.py``: ``qnp``, ``tandan``, ``liferay``, ``nukeviet``,
   ``lacviet``): what the family's pages are known to look like. QNP works by the text
   anchors FAMILIES.md describes (heading that starts ``<title>`` → bare date line →
   paragraphs → ``Gửi ý kiến phản hồi``), with the replica's class names as a fast path;
   the others read their known markup and hand unknown markups to the fallback. A profile
   may also report a field as *seen to be absent* (an empty sapo element) or *seen but
   unusable* (an impossible date, an ``admin admin`` byline): the generic step then does
   not guess it again. A field the
   family never shows, or shows only as a trap (Lạc Việt's JavaScript view count, NukeViet's
   schema.org author naming the site when no author was entered), is *final*: no later
   step, metadata included, fills it.
2. **Generic text-anchor fallback** (``generic.py``): title = the heading that matches
   og:title/``<title>`` (or a prominent heading followed by a date line); date = the first
   date line after it; body = the densest paragraph block up to ``Gửi ý kiến phản hồi``/
   related lists/share links; author = the trailing byline; summary = a sapo; category =
   the breadcrumb; view count = ``Lượt xem``/``View count``. Works on unseen layouts.
3. **Structured metadata** (``meta.py``): og:title, article:published_time, schema.org
   datePublished/headline/author, meta description, as a last resort. It is also the
   tie-breaker: og:title takes part in picking the title line, and a same-day metadata
   timestamp adds the time to a date-only visible date (source ``<step>+meta``).

``sources[field]`` names the step that produced each value (``qnp``, ``liferay``,
``generic``, ``meta``; plus ``url``/``widget``/``family``/``page_type`` for the fields outside
the cascade); any field left empty gets a reason in ``failures[field]`` (every step's reason,
in order). Nothing guessed is presented as certain: an impossible or future date keeps
``published_raw`` but leaves ``published_at`` None with the reason; a date without a time
has ``date_precision="day"``; a placeholder byline keeps ``author_raw`` but not ``author``.

Order of work (``pipeline.py``): home pages (by URL) skip the cascade; otherwise the profile
runs, then title (and, only when the answer depends on it, the body) decide the page type:
home by URL; article when the profile found title and body, or a title and a body were found
and the page is not a list of dated links; listing by URL or by dated links; a failed article
for families whose article URLs are authoritative; else other. Article-only fields are then
extracted on articles only (cleared with a reason elsewhere). Visit counters
(``counters.py``, never read from the article body) are read on every page, and
``body_html`` (``sanitize.py``) is rendered last.

``extract()`` never raises: each step and each field is guarded and any exception becomes a
``failures`` entry. All text is normalized by ``normalize.py`` (entities → NFC → spaces).

Modules: ``page`` (decode/parse/metadata), ``lines`` (page as text lines), ``anchors``
(shared text anchors), ``dates``, ``counters``, ``breadcrumbs``, ``normalize``, ``sanitize``,
``generic``, ``meta``, ``step`` (what a step returns), ``pipeline`` (this cascade), ``record`` (the
dataclasses), ``families`` (one module per CMS family, auto-discovered: adding a family is
adding a module).
"""

from __future__ import annotations

from .families import FAMILIES, Family, detect_family, get_family
from .pipeline import extract
from .record import ArticleRecord, VisitCounter

__all__ = [
    "FAMILIES",
    "ArticleRecord",
    "Family",
    "VisitCounter",
    "detect_family",
    "extract",
    "get_family",
]
