"""``extract()``: run the cascade and assemble one ``ArticleRecord``. Never raises.

See the package docstring for the cascade itself. This module only orchestrates: it asks each
step for the fields still missing, keeps the first usable value per field (recording the
step in ``sources``), keeps the reasons of every step that failed (``failures``), decides the
page type, reads the visit counters and renders ``body_html`` last.
"""

from __future__ import annotations

from typing import Any

from .counters import find_counters
from .dates import DateResult
from .families import FAMILIES, GENERIC, Family, detect_family
from .generic import Generic, generic_step
from .meta import meta_step
from .page import Page, load_page
from .record import ArticleRecord
from .sanitize import render_body_html
from .step import FIELDS, StepResult

# record field that carries each cascade field's failure reason / source
_PRIMARY = {"title": "title", "date": "published_at", "author": "author",
            "summary": "summary", "body": "body_text", "category": "category",
            "view_count": "view_count"}
_ARTICLE_ONLY = ("date", "author", "summary", "body", "view_count")


def _usable(name: str, value: Any) -> bool:
    if value is None:
        return False
    if name == "date":
        return value.value is not None
    if name == "author":
        return bool(value.name)
    if name == "body":
        return bool(value.lines)
    return bool(value)


def _short(exc: BaseException) -> str:
    return f"error {type(exc).__name__}: {exc}"[:200]


class _Cascade:
    """Field values as the steps report them: first usable value wins."""

    def __init__(self) -> None:
        self.values: dict[str, tuple[Any, str]] = {}
        self.fallback: dict[str, tuple[Any, str]] = {}  # unusable but shown (bad date…)
        self.absent: set[str] = set()  # seen to be absent by the profile
        self.final: set[str] = set()  # settled as empty by the profile: no later step
        self.reasons: dict[str, list[str]] = {name: [] for name in FIELDS}

    def missing(self) -> set[str]:
        return {name for name in FIELDS if name not in self.values and name not in self.final}

    def settled(self) -> set[str]:
        """Fields the generic fallback should not look for again."""
        return set(self.values) | set(self.fallback) | self.absent | self.final

    def absorb(self, step: StepResult, fields: set[str]) -> None:
        self.absent |= step.absent & fields
        self.final |= step.final & fields
        for name in fields:
            if name in self.values:
                continue
            value = step.get(name)
            if _usable(name, value):
                self.values[name] = (value, step.source)
            elif value is not None and name not in self.fallback:
                self.fallback[name] = (value, step.source)
            if name in step.failures and name not in self.values:
                self.reasons[name].append(f"{step.source}: {step.failures[name]}")

    def fail(self, fields: set[str], source: str, exc: BaseException) -> None:
        for name in fields:
            self.reasons[name].append(f"{source}: {_short(exc)}")

    def get(self, name: str) -> tuple[Any, str | None]:
        if name in self.values:
            return self.values[name]
        return self.fallback.get(name, (None, None))


def _resolve_family(url: str, html: str, family: str, rec_failures: dict[str, str]
                    ) -> tuple[Family, str]:
    if family and family != "auto":
        if family in FAMILIES:
            return FAMILIES[family], "given"
        rec_failures["family"] = f"unknown family {family!r}; detected instead"
    name, reasons = detect_family(url, html)
    return FAMILIES[name], "detected: " + "; ".join(reasons)


def _generic(page: Page, cascade: _Cascade, g: Generic, names: set[str]) -> None:
    for name in sorted(names):
        try:
            cascade.absorb(generic_step(page, {name}, g.known_title, g), {name})
        except Exception as exc:
            cascade.fail({name}, "generic", exc)


def _meta(page: Page, cascade: _Cascade, names: set[str]) -> None:
    body = cascade.values.get("body", (None, ""))[0]
    body_text = body.text if body is not None else None
    for name in sorted(names & {"title", "date", "author", "summary", "category"}):
        try:
            cascade.absorb(meta_step(page, {name}, body_text), {name})
        except Exception as exc:
            cascade.fail({name}, "meta", exc)


def _run_steps(url: str, page: Page, fam: Family, cascade: _Cascade, g: Generic,
               rec: ArticleRecord) -> tuple[str, str]:
    """Run the cascade and return the page type (with its evidence).

    Title and body go first because they decide the page type; the other article fields
    are only extracted on article pages (a listing's first date is not the page's date, and
    skipping them keeps listing and home pages cheap). A value the profile *saw* but could
    not accept (an impossible date, a placeholder byline) is not searched for again by the
    generic step, which would find the same text; metadata may still supply it.
    """
    art_url = fam.url_is_authoritative and rec.article_id is not None
    if fam.is_home(url) and not art_url:
        for name in FIELDS:
            cascade.reasons[name].append("not extracted on a home page")
        return "home", "url"
    if fam.name != GENERIC:
        try:
            cascade.absorb(fam.extract(page), set(FIELDS))
        except Exception as exc:  # a profile bug must leave the fallback a chance
            cascade.fail(set(FIELDS), fam.name, exc)
    g.known_title = cascade.values.get("title", (None, ""))[0]
    _generic(page, cascade, g, {"title"} - cascade.settled())
    _meta(page, cascade, cascade.missing() & {"title"})
    page_type = _page_type(url, page, fam, cascade, g, art_url)
    if page_type[0] == "article":
        _generic(page, cascade, g, set(FIELDS) - cascade.settled())
        _meta(page, cascade, cascade.missing())
        _refine_date(page, cascade)
    else:
        for name in _ARTICLE_ONLY:
            cascade.values.pop(name, None)
            cascade.fallback.pop(name, None)
            cascade.reasons[name] = [f"not extracted on a {page_type[0]} page"]
        _generic(page, cascade, g, {"category"} - cascade.settled())
        _meta(page, cascade, cascade.missing() & {"category"})
    return page_type


def _refine_date(page: Page, cascade: _Cascade) -> None:
    """Tie-breaker: a visible date-only value gains the time of a same-day metadata stamp."""
    if "date" not in cascade.values:
        return
    shown, source = cascade.values["date"]
    if shown.precision != "day":
        return
    try:
        meta = meta_step(page, {"date"}).date
    except Exception:
        return
    if meta and meta.value and meta.precision == "minute" and \
            meta.value.date() == shown.value.date():
        cascade.values["date"] = (DateResult(shown.raw, meta.value, "minute"), source + "+meta")


def _page_type(url: str, page: Page, fam: Family, cascade: _Cascade, g: Generic,
               art_url: bool) -> tuple[str, str]:
    """article / listing / other, with the evidence; the body is only looked for when the
    answer depends on it (a category page full of dated links never needs one)."""
    def sources() -> tuple[str | None, str | None]:
        return (cascade.values.get("title", (None, None))[1],
                cascade.values.get("body", (None, None))[1])

    title_src, body_src = sources()
    if title_src is not None and title_src == body_src == fam.name != GENERIC:
        return "article", "profile"
    if fam.url_is_authoritative and not art_url and fam.is_listing(url):
        return "listing", "url"
    items, para = g.listing_evidence
    listing_like = items >= 3 and para < 300
    if listing_like and not art_url:
        return "listing", f"dom: {items} dated links"
    _generic(page, cascade, g, {"body"} - cascade.settled())
    title_src, body_src = sources()
    has_article = title_src is not None and body_src is not None
    if art_url and not has_article:
        return "article", "url"  # an article URL whose extraction failed: report it as such
    if listing_like:  # e.g. Liferay serving a listing at an article-like URL
        return "listing", f"dom: {items} dated links"
    if has_article:
        return "article", "dom"
    if fam.is_listing(url):
        return "listing", "url"
    return "other", "no article, listing or home evidence"


def _fill(rec: ArticleRecord, cascade: _Cascade) -> None:
    title, src = cascade.get("title")
    rec.title, rec.sources["title"] = title, src
    date, src = cascade.get("date")
    if date is not None:
        rec.published_raw = date.raw or None
        if date.value is not None:
            rec.published_at, rec.date_precision = date.iso, date.precision
            rec.sources["published_at"] = src
        else:
            cascade.reasons["date"].insert(0, f"{src}: {date.error}")
    author, src = cascade.get("author")
    if author is not None:
        rec.author_raw, rec.author = author.raw, author.name
        if author.name:
            rec.sources["author"] = src
        elif author.reason:
            cascade.reasons["author"].insert(0, f"{src}: {author.reason}")
    for name in ("summary", "category"):
        value, src = cascade.get(name)
        setattr(rec, name, value)
        rec.sources[name] = src
    body, src = cascade.get("body")
    if body is not None and body.lines:
        rec.body_text, rec.sources["body_text"] = body.text, src
    view, src = cascade.get("view_count")
    if view is not None:
        rec.view_count_raw, rec.view_count = view
        rec.sources["view_count"] = src


def _record_failures(rec: ArticleRecord, cascade: _Cascade) -> None:
    for name, field in _PRIMARY.items():
        if getattr(rec, field) in (None, "") and field not in rec.failures:
            reasons = cascade.reasons.get(name) or ["not found"]
            rec.failures[field] = "; ".join(dict.fromkeys(reasons))
    rec.sources = {k: v for k, v in rec.sources.items() if v}


def extract(url: str, html: str | bytes, family: str = "auto",
            encoding: str | None = None, references: bool = True,
            utf8: bytes | None = None) -> ArticleRecord:
    """Extract one page into an ``ArticleRecord``. Never raises: every problem is recorded
    in ``failures`` (per field), and a page that cannot be parsed yields an empty record.
    ``references``: collect what may reference page requisites (``rec.references``).
    ``utf8``: the bytes a text ``html`` is the exact UTF-8 decoding of, if the caller has
    them (parsed instead of the text encoded again)."""
    try:
        return _extract(url, html, family, encoding, references, utf8)
    except Exception as exc:  # last line of defence: the crawler must keep going
        rec = ArticleRecord(url=url if isinstance(url, str) else str(url or ""),
                            family=family if isinstance(family, str) else "generic")
        rec.failures["extract"] = _short(exc)
        return rec


def _extract(url: Any, html: Any, family: str, encoding: str | None,
             references: bool = True, utf8: bytes | None = None) -> ArticleRecord:
    url = url if isinstance(url, str) else ("" if url is None else str(url))
    failures: dict[str, str] = {}
    page = load_page(url, html, encoding, references, utf8)
    fam, how = _resolve_family(url, page.text, family if isinstance(family, str) else "auto",
                               failures)
    rec = ArticleRecord(url=url, family=fam.name, failures=failures)
    rec.links, rec.base_href, rec.references = page.hrefs, page.base_href, page.references
    rec.sources["family"] = how
    try:
        rec.article_id = fam.article_id(url)
    except Exception as exc:
        rec.failures["article_id"] = _short(exc)
    if rec.article_id is not None:
        rec.sources["article_id"] = "url"
    elif "article_id" not in rec.failures:
        rec.failures["article_id"] = f"not a {fam.name} article URL"
    if page.errors:
        rec.failures["page"] = "; ".join(page.errors)
    cascade = _Cascade()
    g = Generic(page)
    if page.root is not None:
        rec.page_type, rec.sources["page_type"] = _run_steps(url, page, fam, cascade, g, rec)
    else:
        for name in FIELDS:
            cascade.reasons[name].append("page: no HTML to read")
        if fam.url_is_authoritative and rec.article_id is not None:
            rec.page_type, rec.sources["page_type"] = "article", "url"
        elif fam.is_home(url):
            rec.page_type, rec.sources["page_type"] = "home", "url"
        else:
            rec.page_type, rec.sources["page_type"] = "other", "no HTML"
    _fill(rec, cascade)
    body = cascade.values.get("body", (None, ""))[0]
    try:
        rec.counters = find_counters(page.body, exclude=body.container if body else None,
                                     flat_text=page.flat_text)
        if rec.counters:
            rec.sources["counters"] = "widget"
        else:
            rec.failures["counters"] = "no visit-counter widget found"
    except Exception as exc:
        rec.failures["counters"] = _short(exc)
    if body is not None and rec.body_text:
        try:  # last: rendering works on a copy, but nothing may run after it anyway
            rec.body_html = render_body_html(body, url) or None
            rec.sources["body_html"] = rec.sources.get("body_text", "")
        except Exception as exc:
            rec.failures["body_html"] = _short(exc)
    _record_failures(rec, cascade)
    return rec
